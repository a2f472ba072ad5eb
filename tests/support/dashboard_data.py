"""A small dashboard world built in code: three clients, five accounts, runs, items, users.

Times are placed relative to ``now`` so that the default period (the last full week)
always holds data, whenever the tests run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.period import last_full_week
from storage.models import Account, Client, CollectionRun, CredentialStatus, Item, User, UserClient
from storage.passwords import hash_password

PASSWORDS = {
    "clara": "clara-password-1",  # consultant, English
    "otto": "otto-password-1",  # owner of Bäckerei Huber only, English
    "dora": "dora-password-1",  # owner of Café Lindner only, German
}
SCRIPT_TEXT = "Hallo <script>window.__replywatch_xss = 1</script> wann habt ihr offen?"
IMG_TEXT = '<img src=x onerror="window.__replywatch_xss = 2"> Is the shop open on Sunday?'
FORMULA_ERROR = '=HYPERLINK("http://evil.example","click")'


@dataclass
class DashboardWorld:
    huber: int
    lindner: int
    harbour: int
    huber_x: int
    huber_mastodon: int
    lindner_instagram: int
    lindner_facebook: int
    harbour_bluesky: int


def _account(session: Session, client: Client, platform: str, handle: str, **fields) -> Account:
    account = Account(
        client_id=client.id,
        platform=platform,
        handle=handle,
        platform_account_id=fields.pop("platform_account_id", handle.strip("@")),
        **fields,
    )
    session.add(account)
    session.flush()
    return account


def _runs(
    session: Session,
    account: Account,
    now: datetime,
    *,
    days: int = 21,
    every_hours: int = 6,
    base_new: int = 3,
    failures: tuple[int, ...] = (),
    last_outcome: str = "ok",
    last_error: str | None = None,
) -> None:
    """Runs every ``every_hours`` over the last ``days``; run numbers in ``failures`` fail."""
    start = now - timedelta(days=days)
    count = days * 24 // every_hours
    for number in range(count):
        started = start + timedelta(hours=every_hours * number)
        last = number == count - 1
        failed = number in failures
        outcome = last_outcome if last else ("failed" if failed else "ok")
        session.add(
            CollectionRun(
                account_id=account.id,
                started_at=started,
                finished_at=started + timedelta(seconds=20 + number % 7),
                outcome=outcome,
                api_calls=4 + number % 3,
                items_new=0 if failed else base_new + (number * 7) % 5,
                items_updated=number % 4,
                error=(last_error if last else ("HTTP 503 from the API" if failed else None)),
                problems=[{"id": "1", "endpoint": "replies", "problem": "no author"}]
                if number % 9 == 0
                else [],
            )
        )


def _item(
    session: Session,
    account: Account,
    item_id: str,
    created: datetime,
    text: str,
    *,
    own: bool = False,
    kind: str = "reply",
    handle: str = "kundin",
    permalink: str | None = None,
) -> None:
    session.add(
        Item(
            platform=account.platform,
            platform_item_id=item_id,
            account_id=account.id,
            author_id=handle,
            author_handle=handle,
            is_own=own,
            kind=kind,
            created_at=created,
            text=text,
            permalink=permalink
            if permalink is not None
            else f"https://x.com/{handle}/status/{item_id}",
            first_seen=created,
            last_seen=created,
        )
    )


def build_dashboard_world(session: Session, now: datetime) -> DashboardWorld:
    huber = Client(
        name="Bäckerei Huber",
        time_zone="Europe/Berlin",
        business_hours="mon-fri 08:00-18:00, sat 09:00-12:00",
        holiday_region="DE-BY",
    )
    lindner = Client(name="Café Lindner", time_zone="Europe/Vienna")
    harbour = Client(name="Harbour Books", time_zone="Europe/London", response_target_minutes=120)
    session.add_all([huber, lindner, harbour])
    session.flush()

    huber_x = _account(session, huber, "x", "@baeckereihuber", display_name="Bäckerei Huber")
    huber_mastodon = _account(
        session,
        huber,
        "mastodon",
        "@huber@mastodon.social",
        credential_status=CredentialStatus.NEEDS_RENEWAL,
        credential_error="token revoked by the instance (HTTP 401)",
    )
    lindner_instagram = _account(session, lindner, "instagram", "@cafelindner")
    lindner_facebook = _account(session, lindner, "facebook", "cafelindner.wien")
    harbour_bluesky = _account(
        session, harbour, "bluesky", "harbourbooks.bsky.social", collect_interval_minutes=120
    )

    _runs(session, huber_x, now, base_new=5, failures=(30, 31))
    _runs(
        session,
        huber_mastodon,
        now,
        base_new=1,
        last_outcome="credentials",
        last_error="401 Unauthorized: The access token was revoked",
    )
    _runs(session, lindner_instagram, now, base_new=8)
    _runs(session, lindner_facebook, now, base_new=2, every_hours=12)
    _runs(
        session,
        harbour_bluesky,
        now,
        base_new=2,
        last_outcome="failed",
        last_error=FORMULA_ERROR,
    )

    week = last_full_week(now, "Europe/Berlin")
    monday = datetime.combine(week.start, datetime.min.time(), tzinfo=ZoneInfo("Europe/Berlin"))
    _item(
        session,
        huber_x,
        "1001",
        monday + timedelta(hours=9),
        "Frische Brezen ab 7 Uhr!",
        own=True,
        kind="post",
        handle="baeckereihuber",
    )
    _item(session, huber_x, "1002", monday + timedelta(hours=10), SCRIPT_TEXT)
    _item(
        session,
        huber_x,
        "1003",
        monday + timedelta(hours=11),
        IMG_TEXT,
        handle="visitor",
        permalink="javascript:alert(document.cookie)",
    )
    _item(
        session,
        huber_x,
        "1004",
        monday + timedelta(days=1, hours=8),
        "Sonntag zu, Montag ab 7 wieder da.",
        own=True,
        handle="baeckereihuber",
    )
    _item(
        session,
        huber_x,
        "1005",
        monday + timedelta(days=2, hours=15),
        "Gibt es glutenfreie Brötchen?\nDanke!",
        handle="lena",
    )
    _item(session, lindner_instagram, "2001", monday + timedelta(hours=12),
          "Lindner-only secret: the Sachertorte recipe", handle="wien_fan",
          permalink="https://www.instagram.com/p/2001/")  # fmt: skip

    users = {}
    for name, role, language in (
        ("clara", "consultant", "en"),
        ("otto", "owner", "en"),
        ("dora", "owner", "de"),
    ):
        users[name] = User(
            username=name, password_hash=hash_password(PASSWORDS[name]), role=role,
            language=language, email=f"{name}@example.com",
        )  # fmt: skip
        session.add(users[name])
    session.flush()
    session.add(UserClient(user_id=users["otto"].id, client_id=huber.id))
    session.add(UserClient(user_id=users["dora"].id, client_id=lindner.id))
    session.commit()
    return DashboardWorld(
        huber=huber.id,
        lindner=lindner.id,
        harbour=harbour.id,
        huber_x=huber_x.id,
        huber_mastodon=huber_mastodon.id,
        lindner_instagram=lindner_instagram.id,
        lindner_facebook=lindner_facebook.id,
        harbour_bluesky=harbour_bluesky.id,
    )
