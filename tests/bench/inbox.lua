-- Signed inbox POSTs for wrk, each sent once: `wrk -s inbox.lua URL -- REQUESTS_FILE THREADS`.
--
-- REQUESTS_FILE holds requests signed beforehand (tests/bench/test_federation_bench.py writes it), one after the
-- other, each as a line "METHOD PATH HEADERS BODY_BYTES", HEADERS lines "Name: value", then the body and a newline.
-- Thread k (from 1) sends requests k, k + THREADS, k + 2 * THREADS… in order and never one twice: a repeated
-- activity would be answered 202 and not stored, which is not the work being measured. A thread that runs out sends
-- GET /healthz instead and says so ("exhausted"), so the benchmark can refuse the round. With a third argument
-- "cycle" a thread starts its requests again instead (for a baseline server that stores nothing).
-- Prints one JSON line (times in microseconds) with how many requests each thread sent, in order.

-- report_fields: the JSON fields every benchmark line has (report.lua, next to this file).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

local function load_requests(path, index, count)
  local file = assert(io.open(path, "rb"))
  local mine, number = {}, 0
  while true do
    local line = file:read("*l")
    if line == nil or line == "" then
      break
    end
    local method, target, header_count, length = line:match("^(%S+) (%S+) (%d+) (%d+)$")
    assert(method, "bad request line: " .. line)
    local headers = {}
    for _ = 1, tonumber(header_count) do
      local name, value = file:read("*l"):match("^([^:]+): (.*)$")
      headers[name] = value
    end
    local body = file:read(tonumber(length))
    file:read("*l") -- the newline after the body
    number = number + 1
    if (number - 1) % count == index - 1 then
      mine[#mine + 1] = wrk.format(method, target, headers, body)
    end
  end
  file:close()
  return mine
end

function init(args)
  requests = load_requests(args[1], index, tonumber(args[2]))
  cycle = args[3] == "cycle"
  sent = 0
  exhausted = false
  spare = wrk.format("GET", "/healthz", {}, nil)
end

function request()
  if sent < #requests then
    sent = sent + 1
    return requests[sent]
  end
  if cycle then
    sent = sent + 1
    return requests[(sent - 1) % #requests + 1]
  end
  exhausted = true
  return spare
end

function done(summary, latency, _)
  local counts, out = {}, false
  for _, thread in ipairs(threads) do
    counts[#counts + 1] = tostring(thread:get("sent"))
    out = out or thread:get("exhausted")
  end
  io.write(string.format('{%s, "sent": [%s], "exhausted": %s}\n',
    report_fields(summary, latency), table.concat(counts, ", "), tostring(out)))
end
