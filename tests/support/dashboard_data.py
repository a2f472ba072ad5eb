"""A small dashboard world built in code: three clients, five accounts, collection runs,
twelve weeks of conversations (``tests.support.dashboard_activity``) with computed
metrics, and four users.

Times are placed relative to ``now`` so that the default period (the last full week)
always holds data, whenever the tests run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from metrics.periods import last_full_week
from storage.models import Account, Client, CollectionRun, CredentialStatus, User, UserClient
from storage.passwords import hash_password
from storage.upsert import record_followers
from tests.support.dashboard_activity import activity, store

PASSWORDS = {
    "clara": "clara-password-1",  # consultant, English
    "otto": "otto-password-1",  # owner of Bäckerei Huber only, English
    "dora": "dora-password-1",  # owner of Café Lindner only, German
    "paula": "paula-password-1",  # owner of Bäckerei Huber and Harbour Books, German
}
SCRIPT_TEXT = "Hallo <script>window.__replywatch_xss = 1</script> wann habt ihr offen?"
IMG_TEXT = '<img src=x onerror="window.__replywatch_xss = 2"> Is the shop open on Sunday?'
FORMULA_ERROR = '=HYPERLINK("http://evil.example","click")'
GLUTEN_TEXT = "Gibt es glutenfreie Brötchen?\nDanke!"
REMOVED_TEXT = "Schlechteste Bäckerei der Stadt, nie wieder!"
SECRET_TEXT = "Lindner-only secret: the Sachertorte recipe"


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


def _conversations(session: Session, now: datetime, accounts: dict[str, Account]) -> None:
    """Twelve weeks of generated activity, plus a few messages the tests look for."""
    week = last_full_week("Europe/Berlin", now)
    monday = datetime.combine(week.start, datetime.min.time(), tzinfo=ZoneInfo("Europe/Berlin"))
    writers = activity(accounts, monday)

    x = writers["huber_x"]
    post = x.add(monday + timedelta(hours=9), "Frische Brezen ab 7 Uhr!", own=True, item_id="1001")
    sunday = x.add(monday + timedelta(days=1, hours=7, minutes=30), "Habt ihr am Sonntag offen?",
                   own=False, author="max_k", parent=post, item_id="1006")  # fmt: skip
    x.add(monday + timedelta(days=1, hours=8), "Sonntag zu, Montag ab 7 wieder da.", own=True,
          parent=sunday, item_id="1004")  # fmt: skip
    gluten = x.add(monday + timedelta(days=2, hours=15), GLUTEN_TEXT, own=False, author="lena",
                   parent=post, item_id="1005")  # fmt: skip
    x.like(gluten, x.own_handle, monday + timedelta(days=2, hours=16), own=True)
    x.like(post, "huber_team", monday + timedelta(hours=9, minutes=5), own=True)

    mastodon = writers["huber_mastodon"]
    toot = mastodon.add(monday + timedelta(hours=9, minutes=30), "Neue Woche, neue Brezen!",
                        own=True, item_id="1101")  # fmt: skip
    mastodon.add(monday + timedelta(hours=10), SCRIPT_TEXT, own=False, parent=toot,
                 item_id="1102")  # fmt: skip
    mastodon.add(monday + timedelta(hours=11), IMG_TEXT, own=False, author="visitor", parent=toot,
                 item_id="1103", link="javascript:alert(document.cookie)")  # fmt: skip
    mastodon.add(monday + timedelta(days=1, hours=12), REMOVED_TEXT, own=False,
                 author="grummel_1", parent=toot, item_id="1107", hidden=True)  # fmt: skip

    insta = writers["lindner_instagram"]
    cake = insta.add(monday + timedelta(days=5, hours=10), "Samstag: Sachertorte, frisch.",
                     own=True, item_id="2000")  # fmt: skip
    insta.add(monday + timedelta(days=5, hours=14), SECRET_TEXT, own=False, author="wien_fan",
              parent=cake, item_id="2001", link="https://www.instagram.com/p/2001/")  # fmt: skip
    store(session, list(writers.values()), now)
    record_followers(session, accounts["huber_x"].id, 1200, now - timedelta(days=20))
    record_followers(session, accounts["lindner_instagram"].id, 860, now - timedelta(days=20))
    session.commit()


def build_dashboard_world(session: Session, now: datetime) -> DashboardWorld:
    huber = Client(
        name="Bäckerei Huber",
        time_zone="Europe/Berlin",
        business_hours="mon-fri 08:00-18:00, sat 09:00-12:00",
        holiday_region="DE-BY",
    )
    lindner = Client(name="Café Lindner", time_zone="Europe/Vienna", answer_window_hours=240)
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

    _conversations(
        session,
        now,
        {
            "huber_x": huber_x,
            "huber_mastodon": huber_mastodon,
            "lindner_instagram": lindner_instagram,
            "lindner_facebook": lindner_facebook,
            "harbour_bluesky": harbour_bluesky,
        },
    )

    users = {}
    for name, role, language in (
        ("clara", "consultant", "en"),
        ("otto", "owner", "en"),
        ("dora", "owner", "de"),
        ("paula", "owner", "de"),
    ):
        users[name] = User(
            username=name, password_hash=hash_password(PASSWORDS[name]), role=role,
            language=language, email=f"{name}@example.com",
        )  # fmt: skip
        session.add(users[name])
    session.flush()
    session.add(UserClient(user_id=users["otto"].id, client_id=huber.id))
    session.add(UserClient(user_id=users["dora"].id, client_id=lindner.id))
    session.add(UserClient(user_id=users["paula"].id, client_id=huber.id))
    session.add(UserClient(user_id=users["paula"].id, client_id=harbour.id))
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
