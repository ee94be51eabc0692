-- wrk prints its summary for people; this prints one JSON line for the benchmarks to read (times in microseconds).
-- Other scripts (inbox.lua) load this file for `report_fields` and add their own fields to the line.

function report_fields(summary, latency)
  local e = summary.errors
  return string.format(
    '"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "status_errors": %d, "socket_errors": %d',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    e.status, e.connect + e.read + e.write + e.timeout)
end

done = function(summary, latency, requests)
  io.write("{" .. report_fields(summary, latency) .. "}\n")
end
