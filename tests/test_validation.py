"""Operator input: schedules, durations, regions, handles."""

from __future__ import annotations

import pytest

from metrics.schedule import ScheduleError, parse_schedule
from replywatch import validation
from replywatch.validation import InputError
from storage.platforms import HandleError, canonical_handle


def test_schedule_parsing_and_canonical_text():
    schedule = parse_schedule("Mon-Fri 08:00-12:00 13:00-18:00, sat 09:00-12:00")
    assert schedule.days[0] == ((480, 720), (780, 1080))
    assert schedule.days[5] == ((540, 720),)
    assert schedule.days[6] == ()
    assert schedule.canonical() == "mon-fri 08:00-12:00 13:00-18:00, sat 09:00-12:00"
    assert schedule.open_minutes_per_week() == 5 * 540 + 180
    assert (
        parse_schedule("fri-mon 10:00-14:00").canonical() == "mon 10:00-14:00, fri-sun 10:00-14:00"
    )
    assert parse_schedule("mon 08:00-12:00; mon 11:00-24:00").days[0] == ((480, 1440),)
    assert parse_schedule("24/7").always_open and parse_schedule(None).always_open


@pytest.mark.parametrize(
    "text", ["mon", "mon 8:00", "mon 08:00-25:00", "mon 08:60-09:00", "xyz 08:00-09:00",
             "mon 09:00-09:00", "mon 08:00-12:00,", "mon-fri 08:00–18:00"],
)  # fmt: skip
def test_bad_schedules_are_refused(text):
    with pytest.raises(ScheduleError, match="business hours"):
        parse_schedule(text)


def test_durations_and_ratios():
    assert validation.duration_minutes("72h", "w") == 4320
    assert validation.duration_minutes("1h30m", "w") == 90
    assert validation.duration_minutes("15", "w") == 15
    assert validation.duration_minutes("2d", "w") == 2880
    for bad in ("", "h", "4 hours", "-3h", "0m"):
        with pytest.raises(InputError):
            validation.duration_minutes(bad, "w")
    assert validation.ratio("90%", "r") == pytest.approx(0.9)
    assert validation.ratio("0.65", "r") == pytest.approx(0.65)


@pytest.mark.parametrize(
    ("platform", "handle", "canonical"),
    [
        ("x", "@Shop_1", "@shop_1"),
        ("x", "shop", "@shop"),
        ("facebook", "1234567890", "1234567890"),
        ("facebook", "Baeckerei.Huber", "baeckerei.huber"),
        ("instagram", "@shop.name_1", "@shop.name_1"),
        ("mastodon", "@Shop@Mastodon.Social", "@shop@mastodon.social"),
        ("mastodon", "shop@chaos.social", "@shop@chaos.social"),
        ("bluesky", "Shop.bsky.social", "shop.bsky.social"),
        ("bluesky", "did:plc:abcdefghijklmnopqrstuvwx", "did:plc:abcdefghijklmnopqrstuvwx"),
    ],
)
def test_handles_are_canonical(platform, handle, canonical):
    assert canonical_handle(platform, handle) == canonical


@pytest.mark.parametrize(
    ("platform", "handle"),
    [("x", "sixteen_chars_xx"), ("x", "a-b"), ("instagram", "a..b"), ("instagram", ".ab"),
     ("mastodon", "@shop"), ("mastodon", "@shop@nodot"), ("bluesky", "shop"),
     ("bluesky", "did:plc:short"), ("facebook", "abc")],
)  # fmt: skip
def test_bad_handles_are_refused(platform, handle):
    with pytest.raises(HandleError, match="expected"):
        canonical_handle(platform, handle)


def test_time_zones_and_holiday_regions():
    assert validation.time_zone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(InputError):
        validation.time_zone("CEST")
    assert validation.holiday_region("de-by") == "DE-BY"
    assert validation.holiday_region("none") is None
    with pytest.raises(InputError, match="not a region of DE"):
        validation.holiday_region("DE-ZZ")


def test_moments_need_their_offset_and_come_back_in_utc():
    from datetime import UTC, datetime

    assert validation.moment("2026-11-18T09:30Z", "--now") == datetime(2026, 11, 18, 9, 30,
                                                                        tzinfo=UTC)  # fmt: skip
    assert validation.moment(" 2026-11-18T10:30+01:00 ", "--now") == datetime(
        2026, 11, 18, 9, 30, tzinfo=UTC)  # fmt: skip
    with pytest.raises(InputError, match="'2026-11-18T09:30' has no UTC offset"):
        validation.moment("2026-11-18T09:30", "--now")
    with pytest.raises(InputError, match="--now 'soon' is not a moment"):
        validation.moment("soon", "--now")
