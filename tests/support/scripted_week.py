"""A scripted fortnight of Bäckerei Huber on a simulated Mastodon instance, and the figures it
must give in week 2026-W47 (Monday 16 to Sunday 22 November, Europe/Berlin).

Week 46 is a good week: five customer replies, each answered within half an hour.
Week 47 is worse, and is the week of the email sent on Monday 23 November at 07:00 Berlin
(06:00 UTC):

========  ====================  =======  ===================================================
when UTC  who                   what     fate
========  ====================  =======  ===================================================
Mon 09:00 the shop              post 1
Mon 09:05 Anna                  reply    answered 09:20 (15 min)
Mon 10:00 Ben                   reply    answered 12:00 (2 h)
Tue 10:00 Clara                 mention  never answered: missed (window ends Fri 10:00)
Wed 14:00 Dora                  reply    never answered: missed; her text holds HTML
Thu 09:00 the shop              post 2
Thu 09:30 Emil                  reply    answered 11:30 (2 h)
Sat 16:00 Anna                  reply    unanswered, still waiting on Monday morning
========  ====================  =======  ===================================================

So on Monday at 06:00 UTC: 6 customer messages, 3 answered, 2 missed, 1 waiting; response
ratio 3 / 5 = 60 % (unresponsive, below the 65 % of partly responsive), last week 100 %
(responsive); the oldest unanswered message (Clara's) has waited 5 days 20 hours, which
the email rounds to 6 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from sandbox.world import Actor
from storage.models import Account, Client, Role, User, UserClient
from tests.support.platforms import MASTODON_DOMAIN, MASTODON_TOKEN, Scripted

WEEK = "2026-W47"
MONDAY_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
WEEK_START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday, the first post
LAST_WEEK_START = WEEK_START - timedelta(days=7)
TOKEN_NAME = "HUBER_MASTODON_TOKEN"
ACCOUNT_HANDLE = f"@baeckerei@{MASTODON_DOMAIN}"
HTML_TEXT = 'Lecker! <b>5 Sterne</b> & "mehr"'

SHOP, ANNA, BEN, CLARA, DORA, EMIL = (f"1090000000000001{n:02d}" for n in range(6))


@dataclass(frozen=True)
class Figures:
    posts: int
    own_replies: int
    inbound: int
    answered: int
    missed: int
    waiting: int


# Week 47 seen on Monday morning, and in the middle of the week (Thursday 12:00 UTC).
ON_MONDAY = Figures(posts=2, own_replies=3, inbound=6, answered=3, missed=2, waiting=1)
ON_THURSDAY = Figures(posts=2, own_replies=3, inbound=5, answered=3, missed=0, waiting=2)
THURSDAY_NOON = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
LAST_WEEK = Figures(posts=1, own_replies=5, inbound=5, answered=5, missed=0, waiting=0)


def fortnight(now: datetime = MONDAY_MORNING - timedelta(minutes=30)) -> Scripted:
    from sandbox.world import World

    world = World("mastodon", now=now)
    for actor in (
        Actor(SHOP, "baeckerei", name="Bäckerei Huber", followers=321),
        Actor(ANNA, "anna", name="Anna"),
        Actor(BEN, "ben@other.social", name="Ben"),
        Actor(CLARA, "clara", name="Clara"),
        Actor(DORA, "dora@elsewhere.example", name="Dora"),
        Actor(EMIL, "emil", name="Emil"),
    ):
        world.add_actor(actor)
    world.manage(SHOP, MASTODON_TOKEN)
    posts = {}

    def at(start: datetime, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return start + timedelta(days=days, hours=hours, minutes=minutes)

    # Week 46: five questions under one post, each answered within half an hour.
    posts["w46_post"] = world.post(SHOP, LAST_WEEK_START, "Martinsgänse aus Hefeteig!")
    for number, author in enumerate((ANNA, BEN, CLARA, DORA, EMIL)):
        question = world.post(
            author, at(LAST_WEEK_START, days=number % 2, hours=number + 1),
            f"Frage {number + 1}: gibt es die auch morgen?", reply_to=posts["w46_post"].id,
        )  # fmt: skip
        world.post(
            SHOP, at(question.created_at, minutes=10 + 5 * number), "Ja!", reply_to=question.id
        )

    # Week 47.
    post1 = posts["post1"] = world.post(SHOP, WEEK_START, "Frische Brezen ab 7 Uhr!")
    posts["anna"] = world.post(
        ANNA, at(WEEK_START, minutes=5), "Habt ihr heute offen?", reply_to=post1.id
    )
    world.post(SHOP, at(WEEK_START, minutes=20), "Ja, bis 18 Uhr!", reply_to=posts["anna"].id)
    posts["ben"] = world.post(BEN, at(WEEK_START, hours=1), "Gibt es Dinkelbrot?",
                              reply_to=post1.id)  # fmt: skip
    world.post(SHOP, at(WEEK_START, hours=3), "Ja, ab Mittwoch.", reply_to=posts["ben"].id)
    posts["clara"] = world.post(
        CLARA, at(WEEK_START, days=1, hours=1), "@baeckerei wann kommt das Brot nach Giesing?",
        mentions=[SHOP],
    )  # fmt: skip
    posts["dora"] = world.post(DORA, at(WEEK_START, days=2, hours=5), HTML_TEXT,
                               reply_to=post1.id)  # fmt: skip
    post2 = posts["post2"] = world.post(SHOP, at(WEEK_START, days=3), "Neu: Kürbisbrot")
    posts["emil"] = world.post(
        EMIL, at(WEEK_START, days=3, minutes=30), "Wie lange hält das?", reply_to=post2.id
    )
    world.post(SHOP, at(WEEK_START, days=3, hours=2, minutes=30), "4 Tage.",
               reply_to=posts["emil"].id)  # fmt: skip
    posts["anna_saturday"] = world.post(
        ANNA, at(WEEK_START, days=5, hours=7), "Habt ihr morgen offen?", reply_to=post2.id
    )
    return Scripted(world, posts)


@dataclass(frozen=True)
class People:
    client_id: int
    quiet_client_id: int
    account_id: int


def add_people(session: Session) -> People:
    """The client and its account, a second client without accounts, and three users:
    Anna (owner, German), Bob (owner, English), Carla (consultant, English)."""
    huber = Client(name="Bäckerei Huber", time_zone="Europe/Berlin")
    quiet = Client(name="Café Zwei", time_zone="Europe/Berlin")
    session.add_all([huber, quiet])
    session.flush()
    account = Account(
        client_id=huber.id, platform="mastodon", handle=ACCOUNT_HANDLE, credentials_ref=TOKEN_NAME
    )
    session.add(account)
    for name, role, email, language in (
        ("anna", Role.OWNER, "anna@example.com", "de"),
        ("bob", Role.OWNER, "bob@example.com", "en"),
        ("carla", Role.CONSULTANT, "carla@agency.example", "en"),
    ):
        user = User(username=name, password_hash="x", role=role, email=email, language=language)
        session.add(user)
        session.flush()
        if role == Role.OWNER:
            session.add(UserClient(user_id=user.id, client_id=huber.id))
    session.flush()
    return People(huber.id, quiet.id, account.id)


def write_secrets(folder: Path) -> Path:
    """The secrets file holding the Mastodon token (mode 600, as replywatch requires)."""
    path = folder / "secrets.toml"
    path.write_text(f'{TOKEN_NAME} = "{MASTODON_TOKEN}"\n')
    path.chmod(0o600)
    return path
