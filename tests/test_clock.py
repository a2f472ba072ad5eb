"""The business-hours clock: examples from docs/metrics.md and a brute-force comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from metrics.clock import BusinessClock
from metrics.schedule import parse_schedule
from tests.support.reference import business_seconds

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=tz)


def clock(hours: str | None, tz: str = "Europe/Berlin", region: str | None = None):
    return BusinessClock(parse_schedule(hours), tz, region)


def test_friday_16_45_breaches_on_monday_09_15():
    office = clock("mon-fri 09:00-17:00")
    friday = local(2026, 11, 20, 16, 45)
    assert office.deadline(friday, timedelta(minutes=30)) == local(2026, 11, 23, 9, 15)
    assert office.business_time(friday, local(2026, 11, 23, 9, 15)) == timedelta(minutes=30)
    # an answer on Monday at 09:16 is one minute late
    assert office.business_time(friday, local(2026, 11, 23, 9, 16)) == timedelta(minutes=31)


def test_a_message_arriving_while_closed_starts_at_the_next_opening():
    office = clock("mon-fri 09:00-17:00")
    sunday = local(2026, 11, 22, 10, 0)
    assert office.business_time(sunday, local(2026, 11, 23, 9, 20)) == timedelta(minutes=20)
    assert office.deadline(sunday, timedelta(minutes=30)) == local(2026, 11, 23, 9, 30)


def test_an_answer_given_while_closed_has_business_time_zero():
    office = clock("mon-fri 09:00-17:00")
    # Saturday evening message, answered on Sunday morning: nobody was on duty.
    assert office.business_time(local(2026, 11, 21, 20, 0), local(2026, 11, 22, 10, 0)) == (
        timedelta(0)
    )
    # Friday after closing, answered the same evening.
    assert office.business_time(local(2026, 11, 20, 17, 30), local(2026, 11, 20, 20, 0)) == (
        timedelta(0)
    )


def test_daylight_saving_nights_in_berlin():
    night = clock("sun 00:00-06:00")
    # 29 March 2026: clocks jump from 02:00 to 03:00, the six local hours last five.
    spring = night.business_time(local(2026, 3, 28, 23, 0), local(2026, 3, 29, 8, 0))
    assert spring == timedelta(hours=5)
    # 25 October 2026: clocks fall back from 03:00 to 02:00, the six local hours last seven.
    autumn = night.business_time(local(2026, 10, 24, 23, 0), local(2026, 10, 25, 8, 0))
    assert autumn == timedelta(hours=7)


def test_opening_hours_follow_the_wall_clock_across_the_switch():
    shop = clock("mon-fri 08:00-18:00")
    before = shop.open_intervals(datetime(2026, 3, 27).date())  # Friday, winter time
    after = shop.open_intervals(datetime(2026, 3, 30).date())  # Monday, summer time
    assert before == (
        (datetime(2026, 3, 27, 7, tzinfo=UTC), datetime(2026, 3, 27, 17, tzinfo=UTC)),
    )
    assert after == ((datetime(2026, 3, 30, 6, tzinfo=UTC), datetime(2026, 3, 30, 16, tzinfo=UTC)),)
    # Friday 17:30 to Monday 08:30 across the switch: 30 + 30 minutes.
    assert shop.business_time(local(2026, 3, 27, 17, 30), local(2026, 3, 30, 8, 30)) == (
        timedelta(minutes=60)
    )


def test_a_public_holiday_is_closed_all_day():
    # 6 January 2026 (Tuesday) is Epiphany in Bavaria but not in Berlin.
    monday_evening, wednesday = local(2026, 1, 5, 17, 30), local(2026, 1, 7, 8, 30)
    bavaria = clock("mon-fri 08:00-18:00", region="DE-BY")
    berlin = clock("mon-fri 08:00-18:00", region="DE-BE")
    assert bavaria.business_time(monday_evening, wednesday) == timedelta(hours=1)
    assert berlin.business_time(monday_evening, wednesday) == timedelta(hours=11)
    assert bavaria.deadline(monday_evening, timedelta(hours=1)) == wednesday
    assert not bavaria.is_open(local(2026, 1, 6, 10, 0))
    assert berlin.is_open(local(2026, 1, 6, 10, 0))


def test_without_a_schedule_the_clock_runs_around_the_clock_even_on_holidays():
    always = clock(None, region="DE-BY")
    start = local(2026, 1, 5, 23, 0)
    assert always.business_time(start, start + timedelta(hours=30)) == timedelta(hours=30)
    assert always.deadline(start, timedelta(hours=2)) == start + timedelta(hours=2)
    assert always.is_open(local(2026, 1, 6, 3, 0))


def test_split_days_and_saturday_hours():
    bakery = clock("mon-fri 07:00-12:00 14:00-18:00, sat 08:00-12:00")
    friday_noon = local(2026, 11, 20, 11, 0)
    # 1 h Friday morning + 4 h Friday afternoon + 4 h Saturday + 1 h Monday morning
    assert bakery.business_time(friday_noon, local(2026, 11, 23, 8, 0)) == timedelta(hours=10)


SCHEDULES = [
    "mon-fri 09:00-17:00",
    "mon-fri 08:00-18:00, sat 09:00-12:00",
    "mon-sun 00:00-06:00 22:00-24:00",
    "sun 01:30-03:30",
    "tue-thu 02:00-04:00 12:00-12:30",
]
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kathmandu"]
# Around the 2026 switches in the zones above, where mistakes would show.
ANCHORS = [
    datetime(2026, 3, 8, 6, tzinfo=UTC),
    datetime(2026, 3, 29, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 14, tzinfo=UTC),
    datetime(2026, 10, 3, 15, tzinfo=UTC),
    datetime(2026, 10, 25, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, tzinfo=UTC),
    datetime(2026, 12, 24, 12, tzinfo=UTC),
]


@settings(max_examples=60, deadline=None)
@given(
    hours=st.sampled_from(SCHEDULES),
    tz=st.sampled_from(ZONES),
    region=st.sampled_from([None, "DE-BY", "US"]),
    anchor=st.sampled_from(ANCHORS),
    offset=st.integers(min_value=-2 * 86400, max_value=2 * 86400),
    length=st.integers(min_value=0, max_value=3 * 86400),
)
# Found by Hypothesis: opening at 01:30 in New York's repeated autumn hour. The shop opens
# once, at the first 01:30, and stays open when the clock shows 01:00 again.
@example(hours="sun 01:30-03:30", tz="America/New_York", region=None,
         anchor=datetime(2026, 11, 1, 5, tzinfo=UTC), offset=0, length=3601)  # fmt: skip
@example(hours="sun 00:00-01:30", tz="America/New_York", region=None,
         anchor=datetime(2026, 11, 1, 5, tzinfo=UTC), offset=-7200, length=6 * 3600)  # fmt: skip
def test_agrees_with_walking_minute_by_minute(hours, tz, region, anchor, offset, length):
    start = anchor + timedelta(seconds=offset)
    end = start + timedelta(seconds=length)
    fast = clock(hours, tz, region).business_time(start, end).total_seconds()
    assert fast == business_seconds(start, end, hours, tz, region)


@settings(max_examples=40, deadline=None)
@given(
    hours=st.sampled_from(SCHEDULES),
    tz=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    offset=st.integers(min_value=-86400, max_value=86400),
    minutes=st.integers(min_value=1, max_value=600),
)
def test_deadline_is_where_the_business_time_reaches_the_target(hours, tz, anchor, offset, minutes):
    business = clock(hours, tz)
    start = anchor + timedelta(seconds=offset)
    due = business.deadline(start, timedelta(minutes=minutes))
    assert due is not None
    assert business.business_time(start, due) == timedelta(minutes=minutes)
    assert business.is_open(due - timedelta(seconds=1))
