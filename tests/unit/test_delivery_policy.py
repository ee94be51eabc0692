from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from federation import delivery_policy as policy
from federation.delivery_policy import HostHealth

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SEEDS = range(50)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (None, "retry"),
        (200, "done"),
        (201, "done"),
        (202, "done"),
        (204, "done"),
        (301, "permanent"),
        (302, "permanent"),
        (307, "permanent"),
        (308, "permanent"),
        (400, "permanent"),
        (401, "retry"),
        (403, "permanent"),
        (404, "permanent"),
        (405, "permanent"),
        (408, "retry"),
        (410, "permanent"),
        (413, "permanent"),
        (422, "permanent"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (504, "retry"),
        (100, "retry"),
        (600, "retry"),
    ],
)
def test_each_status_is_classified_as_done_retry_or_permanent(status: int | None, kind: str) -> None:
    outcome = policy.classify(status, None, now=NOW)
    assert outcome.kind == kind
    assert outcome.not_before is None
    assert outcome.reason


@pytest.mark.parametrize("status", [429, 503])
def test_too_many_requests_and_unavailable_honour_retry_after(status: int) -> None:
    outcome = policy.classify(status, "120", now=NOW)
    assert outcome.kind == "retry"
    assert outcome.not_before == NOW + timedelta(seconds=120)


@pytest.mark.parametrize("status", [None, 401, 408, 500, 502])
def test_other_retries_ignore_retry_after(status: int | None) -> None:
    assert policy.classify(status, "120", now=NOW).not_before is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (" 120 ", NOW + timedelta(seconds=120)),
        ("0", NOW),
        ("0000000000000000000000000030", NOW + timedelta(seconds=30)),
        # RFC 9110 §5.6.7: IMF-fixdate, then the obsolete rfc850-date and asctime-date.
        ("Sun, 01 Mar 2026 12:10:00 GMT", NOW + timedelta(minutes=10)),
        ("Sunday, 01-Mar-26 12:10:00 GMT", NOW + timedelta(minutes=10)),
        ("Sun Mar  1 12:10:00 2026", NOW + timedelta(minutes=10)),
        ("Sun, 01 Mar 2026 14:10:00 +0200", NOW + timedelta(minutes=10)),
        # Never in the past.
        ("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
        ("Sun, 01 Mar 2026 11:59:59 GMT", NOW),
        # A hostile peer cannot park our queue: at most six hours.
        ("Fri, 01 Jan 2100 00:00:00 GMT", NOW + timedelta(hours=6)),
        ("Sun, 01 Mar 2026 18:00:01 GMT", NOW + timedelta(hours=6)),
        ("21601", NOW + timedelta(hours=6)),
        ("99999999999999999999", NOW + timedelta(hours=6)),
        ("9" * 5000, NOW + timedelta(hours=6)),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date_and_clamped(value: str, expected: datetime) -> None:
    assert policy.parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "1.5", "120 s", "0x10", "²", "Sun, 32 Mar 2026 12:00:00 GMT", "Sun, 01 Mar 99999"],
)
def test_unparseable_retry_after_is_ignored(value: str | None) -> None:
    assert policy.parse_retry_after(value, now=NOW) is None
    assert policy.classify(503, value, now=NOW) == policy.Outcome("retry", None, "HTTP 503")


def _retry_times(seed: int) -> list[datetime]:
    """Every attempt's time for a delivery that always fails, until the policy gives up."""
    rng = random.Random(seed)
    times = [NOW]
    for attempts in range(1, 100):
        at = policy.next_attempt(attempts, now=times[-1], rng=rng, not_before=None)
        if at is None:
            return times
        times.append(at)
    raise AssertionError("the retry schedule never gave up")


@pytest.mark.parametrize("seed", SEEDS)
def test_the_retry_schedule_gives_up_after_about_three_days(seed: int) -> None:
    times = _retry_times(seed)
    assert timedelta(days=2.5) <= times[-1] - NOW <= timedelta(days=3.5)
    assert len(times) == policy.MAX_RETRIES + 1 == 22


def test_the_same_seed_gives_the_same_schedule_and_seeds_differ() -> None:
    assert _retry_times(7) == _retry_times(7)
    assert len({tuple(_retry_times(seed)) for seed in SEEDS}) == len(SEEDS)


def test_the_nominal_delay_starts_at_thirty_seconds_doubles_and_is_capped_at_six_hours() -> None:
    delays = [policy.nominal_delay(attempts) for attempts in range(1, 200)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert max(delays) == delays[-1] == timedelta(hours=6)
    with pytest.raises(ValueError):
        policy.nominal_delay(0)


def test_jitter_stays_between_85_and_100_percent_of_the_nominal_delay() -> None:
    for attempts in range(1, policy.MAX_RETRIES + 1):
        nominal = policy.nominal_delay(attempts)
        delays = set()
        for seed in SEEDS:
            at = policy.next_attempt(attempts, now=NOW, rng=random.Random(seed), not_before=None)
            assert at is not None
            delays.add(at - NOW)
        assert all(nominal * 0.85 <= delay <= nominal <= timedelta(hours=6) for delay in delays)
        assert len(delays) > len(SEEDS) // 2, "deliveries that failed together must not come back together"
        assert max(delays) - min(delays) > nominal * 0.1


def test_retry_after_postpones_the_retry_but_never_brings_it_forward() -> None:
    later = NOW + timedelta(hours=5)
    assert policy.next_attempt(1, now=NOW, rng=random.Random(1), not_before=later) == later
    sooner = policy.next_attempt(9, now=NOW, rng=random.Random(1), not_before=NOW + timedelta(seconds=1))
    assert sooner == policy.next_attempt(9, now=NOW, rng=random.Random(1), not_before=None)
    assert policy.next_attempt(policy.MAX_RETRIES + 1, now=NOW, rng=random.Random(1), not_before=later) is None


def _fail(health: HostHealth, times: int, *, now: datetime) -> HostHealth:
    for _ in range(times):
        health = policy.after_failure(health, now=now)
    return health


def test_the_breaker_opens_after_five_consecutive_failures() -> None:
    four = _fail(policy.HEALTHY, 4, now=NOW)
    assert policy.may_attempt(four, now=NOW)
    five = policy.after_failure(four, now=NOW)
    assert five.consecutive_failures == 5
    assert not policy.may_attempt(five, now=NOW)
    assert five.paused_until == NOW + timedelta(minutes=1)
    assert policy.may_attempt(five, now=NOW + timedelta(minutes=1))


def test_a_success_closes_the_breaker_and_forgets_the_failures() -> None:
    failing = _fail(policy.HEALTHY, 5, now=NOW)
    assert policy.after_success(failing) == policy.HEALTHY
    assert policy.may_attempt(policy.after_success(failing), now=NOW)
    assert policy.may_attempt(_fail(policy.after_success(failing), 4, now=NOW), now=NOW)


def test_the_pause_grows_with_the_outage_up_to_an_hour() -> None:
    health, now, pauses = policy.HEALTHY, NOW, []
    for _ in range(40):
        health = policy.after_failure(health, now=now)
        if health.paused_until is not None and health.paused_until > now:
            pauses.append(health.paused_until - now)
            now = health.paused_until
    assert pauses[0] == timedelta(minutes=1)
    assert all(a <= b for a, b in itertools.pairwise(pauses))
    assert pauses[4] >= timedelta(minutes=8)
    assert max(pauses) == pauses[-1] == timedelta(hours=1)


def test_a_burst_of_failures_in_one_batch_pauses_only_briefly() -> None:
    assert _fail(policy.HEALTHY, 100, now=NOW).paused_until == NOW + timedelta(minutes=1)


def test_a_late_failure_never_shortens_a_pause() -> None:
    paused = HostHealth(
        consecutive_failures=10, failing_since=NOW, paused_until=NOW + timedelta(hours=1), unavailable=False
    )
    assert policy.after_failure(paused, now=NOW + timedelta(minutes=1)).paused_until == NOW + timedelta(hours=1)


def test_a_host_failing_for_three_days_becomes_unavailable_and_not_before() -> None:
    health = policy.HEALTHY
    for hour in range(72):
        health = policy.after_failure(health, now=NOW + timedelta(hours=hour))
        assert not health.unavailable
    assert health.failing_since == NOW
    assert policy.may_attempt(health, now=NOW + timedelta(hours=73))

    health = policy.after_failure(health, now=NOW + timedelta(days=3, minutes=1))
    assert health.unavailable
    assert not policy.may_attempt(health, now=NOW + timedelta(days=365))
    assert policy.may_attempt(policy.after_success(health), now=NOW + timedelta(days=4))


def test_three_days_of_failures_count_from_the_first_failure_after_a_success() -> None:
    health = _fail(policy.HEALTHY, 3, now=NOW)
    health = policy.after_success(health)
    health = policy.after_failure(health, now=NOW + timedelta(days=2))
    assert not policy.after_failure(health, now=NOW + timedelta(days=3, hours=1)).unavailable
    assert policy.after_failure(health, now=NOW + timedelta(days=5, hours=1)).unavailable
