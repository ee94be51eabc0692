"""Delivery policy: what happens to an outgoing activity after each attempt, and when a failing host is left alone.

Pure functions over values: no I/O, no asyncio, no database. The caller (`federation/delivery.py`) supplies the
current time and a seeded ``random.Random`` and stores the results, so every rule here is tested without a clock.

The same schedule paces received activities whose processing failed on a fetch that may succeed later (the
worker, ``federation/worker.py``); ``fetch_refused_for_good`` tells the others apart.

``classify`` turns one attempt (an HTTP status, or ``None`` for a network error or timeout) into an ``Outcome``:
``done``, ``retry`` (possibly not before a ``Retry-After`` instant) or ``permanent``. ``next_attempt`` says when to
retry, or ``None`` to give up. The nominal delay after the n-th failed attempt is ``BASE_DELAY`` doubled each time
and capped at ``MAX_DELAY``; we give up once the nominal schedule has reached ``RETRY_HORIZON`` (3 days):

    ======================  =============  ==========================================
    after failed attempt n  nominal delay  attempt n+1 at (nominal, after attempt 1)
    ======================  =============  ==========================================
    1                       30 s           30 s
    2                       1 min          1 min 30 s
    3                       2 min          3 min 30 s
    4                       4 min          7 min 30 s
    5                       8 min          15 min 30 s
    6                       16 min         31 min 30 s
    7                       32 min         1 h 03 min 30 s
    8                       1 h 04 min     2 h 07 min 30 s
    9                       2 h 08 min     4 h 15 min 30 s
    10                      4 h 16 min     8 h 31 min 30 s
    11 … 21                 6 h (the cap)  14 h 31 min 30 s … 3 d 2 h 31 min 30 s
    22                      give up        (22 attempts in all)
    ======================  =============  ==========================================

Jitter: each delay is drawn uniformly from ``[(1 - JITTER) × nominal, nominal]`` so deliveries that failed together
(one host down, one fan-out) do not come back together. Full jitter (``[0, nominal]``) and decorrelated jitter
(Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog 2015) were rejected: the give-up rule only sees
the attempt count, so with full jitter the time until we give up would be half the nominal schedule on average
(1.5 days) with a standard deviation of 6 h. With this band it always lies between 2.6 and 3.1 days (0.85 × and
1 × the nominal 3 d 2 h 31 min 30 s), and no interval exceeds the 6 h cap. A ``Retry-After`` instant (clamped to
``MAX_RETRY_AFTER``) only ever postpones a retry. So do pauses of the host (below): in wall-clock time a delivery
can outlive the schedule a little.

Per-host circuit breaker (``HostHealth``): after ``FAILURES_BEFORE_PAUSE`` consecutive failures the host is paused
for as long as it has been failing, between ``MIN_PAUSE`` and ``MAX_PAUSE``. Since the next failure comes when the
pause ends, that about doubles the pause each time (1, 1, 2, 4 … 32 min, then 1 h); unlike doubling per failure,
it does not jump to the cap when a batch of a hundred deliveries fails in the same second. Once it has been failing
for ``UNAVAILABLE_AFTER`` (the same 3 days as the retry schedule) the host is unavailable: skipped until it sends
us anything signed, when the caller applies ``after_success``.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from random import Random
from typing import Literal

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
RETRY_HORIZON = timedelta(days=3)
JITTER = 0.15
# A hostile or confused peer must not stall our queue for years with ``Retry-After: 999999999``.
MAX_RETRY_AFTER = timedelta(hours=6)

FAILURES_BEFORE_PAUSE = 5
MIN_PAUSE = timedelta(minutes=1)
MAX_PAUSE = timedelta(hours=1)
UNAVAILABLE_AFTER = RETRY_HORIZON

# RFC 9110 §10.2.3: delay-seconds = 1*DIGIT (ASCII only: str.isdigit would accept "²").
_DELAY_SECONDS = re.compile(r"[0-9]+")


def nominal_delay(attempts: int) -> timedelta:
    """The delay before the next try, without jitter, after ``attempts`` (≥ 1) attempts have failed."""
    if attempts < 1:
        raise ValueError(f"attempts counts the attempt that just failed, so it is at least 1, not {attempts}")
    # From 2**10 × 30 s on the cap applies; bounding the exponent keeps a huge count from building a huge integer.
    return min(BASE_DELAY * (1 << min(attempts - 1, 20)), MAX_DELAY)


def _schedule_length() -> int:
    attempts, total = 0, timedelta(0)
    while total < RETRY_HORIZON:
        attempts += 1
        total += nominal_delay(attempts)
    return attempts


# The number of retries in the nominal schedule (21): after attempt MAX_RETRIES + 1 we give up.
MAX_RETRIES = _schedule_length()


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Literal["done", "retry", "permanent"]
    not_before: datetime | None
    reason: str


def parse_retry_after(value: str | None, *, now: datetime) -> datetime | None:
    """The instant a ``Retry-After`` value names, within ``[now, now + MAX_RETRY_AFTER]``; ``None`` if unparseable."""
    if value is None:
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        # Python refuses to parse integers of more than 4300 digits; anything past 6 digits is past the clamp anyway.
        digits = text.lstrip("0") or "0"
        delay = timedelta(seconds=int(digits)) if len(digits) <= 6 else MAX_RETRY_AFTER
        return now + min(delay, MAX_RETRY_AFTER)
    try:
        # RFC 9110 §5.6.7: IMF-fixdate, and the obsolete rfc850-date and asctime-date recipients must still accept.
        at = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # asctime-date and "-0000" carry no zone; an HTTP-date is always UTC (§5.6.7)
    return min(max(at, now), now + MAX_RETRY_AFTER)


def classify(status: int | None, retry_after: str | None, *, now: datetime) -> Outcome:
    """What one attempt means: ``status`` is the HTTP status, ``None`` for a network error or timeout."""
    if status is None:
        return Outcome("retry", None, "network error or timeout")
    if 200 <= status < 300:
        return Outcome("done", None, f"HTTP {status}")
    if 300 <= status < 400:
        # We do not follow redirects on a POST: the signature covers (request-target) and Host, so it would not be
        # valid at the new address, and RFC 9110 §15.4 lets a client turn a redirected POST into a GET. An inbox that
        # moved says so in its actor document; retrying the same URL would only earn the same redirect.
        return Outcome("permanent", None, f"HTTP {status}: redirects are not followed for deliveries")
    if status in (429, 503):
        # RFC 6585 §4 (429) and RFC 9110 §15.6.4 (503) may say when to come back (RFC 9110 §10.2.3).
        return Outcome("retry", parse_retry_after(retry_after, now=now), f"HTTP {status}")
    if status == 401:
        # After we rotate a key, a peer may still hold the old one cached; it refetches our actor in due course.
        return Outcome("retry", None, "HTTP 401: the peer may not have fetched our current key yet")
    if status == 408:
        return Outcome("retry", None, "HTTP 408: the peer timed out reading the request")  # RFC 9110 §15.5.9
    if 400 <= status < 500:
        return Outcome("permanent", None, f"HTTP {status}")
    if 500 <= status < 600:
        return Outcome("retry", None, f"HTTP {status}")
    # 1xx as a final answer or a status outside RFC 9110 §15: a broken server, which may be fixed; the schedule ends.
    return Outcome("retry", None, f"HTTP {status}: not a valid final status")


def next_attempt(attempts: int, *, now: datetime, rng: Random, not_before: datetime | None) -> datetime | None:
    """When to try again after ``attempts`` failed attempts (counting the one that just failed), or ``None``."""
    if attempts > MAX_RETRIES:
        return None
    at = now + nominal_delay(attempts) * rng.uniform(1 - JITTER, 1.0)
    return at if not_before is None else max(at, not_before)


def fetch_refused_for_good(status: int | None, *, now: datetime) -> bool:
    """Whether a received activity whose processing failed on a fetch the peer answered with ``status`` (None: no
    answer) is not worth retrying: a status ``classify`` deems permanent (a 404 or 410 for a relayed post's id, say).
    A network error, a timeout or a 5xx may pass, and is retried on the schedule above like a delivery."""
    return status is not None and classify(status, None, now=now).kind == "permanent"


@dataclass(frozen=True, slots=True)
class HostHealth:
    consecutive_failures: int
    failing_since: datetime | None
    paused_until: datetime | None
    unavailable: bool


HEALTHY = HostHealth(consecutive_failures=0, failing_since=None, paused_until=None, unavailable=False)


def after_success(health: HostHealth) -> HostHealth:
    """The host answered (or sent us something signed): forget its failures."""
    return HEALTHY


def after_failure(health: HostHealth, *, now: datetime) -> HostHealth:
    """Count one more failed attempt at ``now``; pause the host or mark it unavailable when due."""
    failures = health.consecutive_failures + 1
    since = health.failing_since or now
    if now - since >= UNAVAILABLE_AFTER:
        return replace(health, consecutive_failures=failures, failing_since=since, unavailable=True)
    paused_until = health.paused_until
    if failures >= FAILURES_BEFORE_PAUSE:
        pause_end = now + min(max(now - since, MIN_PAUSE), MAX_PAUSE)
        # Never shorten a pause: a slow response from the same batch may report its failure after the pause began.
        paused_until = pause_end if paused_until is None else max(paused_until, pause_end)
    return HostHealth(failures, since, paused_until, health.unavailable)


def may_attempt(health: HostHealth, *, now: datetime) -> bool:
    """Whether a delivery to this host may be attempted at ``now`` (mirrors the claim query's filter)."""
    return not health.unavailable and (health.paused_until is None or health.paused_until <= now)
