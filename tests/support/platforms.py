"""Scripted simulated platforms for the collector tests: small worlds with known stories.

Each builder returns the world and the posts by name, so tests can assert on exact ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.clock import SandboxClock
from sandbox.world import Actor, Post, World
from storage.models import Account, Client, Identity

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday
X_TOKEN = "x-bearer-AAAAsecret0123456789"
PAGE_TOKEN = "EAAGpagetoken0123456789secret"
FAST_RETRY_SECONDS = 0.01


@dataclass
class Scripted:
    world: World
    posts: dict[str, Post] = field(default_factory=dict)


def x_world(now: datetime = T0 + timedelta(days=1)) -> Scripted:
    """@huber_shop: a post with a question, an agency answer and a deeper reply, a mention,
    a retweet, an old post whose conversation is past search's reach, and likes."""
    t0 = now - timedelta(days=1)  # the story starts a day before now
    world = World("x", now=now)
    for actor in (
        Actor("100", "huber_shop", name="Bäckerei Huber", followers=420),
        Actor("200", "jana_agency", name="Jana (Agentur)"),
        Actor("900", "anna_k", name="Anna"),
        Actor("901", "ben_b", name="Ben"),
    ):
        world.add_actor(actor)
    world.manage("100", X_TOKEN)
    posts: dict[str, Post] = {}
    posts["old"] = world.post("100", t0 - timedelta(days=10), "Unser Herbstbrot ist da")
    posts["old_reply"] = world.post(
        "900", t0 - timedelta(days=9), "@huber_shop lecker!", reply_to=posts["old"].id
    )
    posts["post"] = world.post("100", t0, "Frische Brezen ab 7 Uhr!")
    posts["question"] = world.post(
        "900", t0 + timedelta(minutes=5), "@huber_shop habt ihr heute offen?",
        reply_to=posts["post"].id,
    )  # fmt: skip
    posts["answer"] = world.post(
        "200", t0 + timedelta(minutes=20), "@anna_k ja, bis 18 Uhr!",
        reply_to=posts["question"].id,
    )  # fmt: skip
    posts["deeper"] = world.post(
        "901", t0 + timedelta(minutes=30), "@jana_agency @huber_shop auch am Samstag?",
        reply_to=posts["answer"].id, mentions=["100"],
    )  # fmt: skip
    posts["mention"] = world.post(
        "901", t0 + timedelta(hours=2), "Beste Brezen gibt es bei @huber_shop", mentions=["100"]
    )
    posts["retweet"] = world.post(
        "100", t0 + timedelta(hours=3), "", kind="repost", reposted_id=posts["mention"].id
    )
    world.like(posts["post"].id, "900", t0 + timedelta(minutes=6))
    world.like(posts["post"].id, "200", t0 + timedelta(minutes=7))  # the agency likes it
    world.like(posts["question"].id, "100", t0 + timedelta(minutes=8))  # liked, not answered
    posts["post"].anonymous_likes = 3
    return Scripted(world, posts)


def _client(session: Session) -> Client:
    """The test client, created on first use."""
    client = session.scalar(select(Client).where(Client.name == "Bäckerei Huber"))
    if client is None:
        client = Client(name="Bäckerei Huber", time_zone="Europe/Berlin")
        session.add(client)
        session.flush()
    return client


def add_x_account(session: Session, reference: str | None = "HUBER_X_TOKEN") -> Account:
    client = _client(session)
    account = Account(
        client_id=client.id, platform="x", handle="@huber_shop", credentials_ref=reference
    )
    session.add(account)
    session.add(Identity(client_id=client.id, platform="x", handle="@jana_agency"))
    session.flush()
    return account


@dataclass
class GraphScripted:
    facebook: World
    instagram: World
    posts: dict[str, Post] = field(default_factory=dict)


def graph_worlds(now: datetime = T0 + timedelta(days=1)) -> GraphScripted:
    """Bäckerei Huber's Page 555 and its Instagram business account, one page token."""
    t0 = now - timedelta(days=1)  # the story starts a day before now
    clock = SandboxClock(now)  # one Graph API, one clock for both worlds
    fb = World("facebook", clock=clock)
    for actor in (
        Actor("555", "baeckerei.huber", name="Bäckerei Huber", followers=310),
        Actor("9001", "anna.k", name="Anna K"),
        Actor("9002", "ben.b", name="Ben B"),
    ):
        fb.add_actor(actor)
    fb.manage("555", PAGE_TOKEN)
    posts: dict[str, Post] = {}
    posts["old"] = fb.post("555", t0 - timedelta(days=30), "Wir haben Urlaub")
    posts["post"] = fb.post("555", t0, "Neue Brötchen!")
    posts["question"] = fb.post(
        "9001", t0 + timedelta(minutes=5), "Habt ihr offen?", reply_to=posts["post"].id
    )
    posts["answer"] = fb.post(
        "555", t0 + timedelta(minutes=9), "Ja, bis 18 Uhr!", reply_to=posts["question"].id
    )
    posts["thanks"] = fb.post(
        "9001", t0 + timedelta(minutes=11), "Danke!", reply_to=posts["answer"].id
    )
    posts["complaint"] = fb.post(
        "9002", t0 + timedelta(minutes=40), "Gestern war das Brot alt.",
        reply_to=posts["post"].id, hidden_at=t0 + timedelta(hours=1),
    )  # fmt: skip
    posts["visitor"] = fb.post(
        "9002", t0 + timedelta(hours=2), "Macht ihr auch Torten?", kind="visitor_post",
        page_id="555",
    )  # fmt: skip
    posts["visitor_answer"] = fb.post(
        "555", t0 + timedelta(hours=3), "Ja, auf Bestellung.", reply_to=posts["visitor"].id
    )
    fb.like(posts["post"].id, "9001", t0 + timedelta(minutes=6))
    fb.like(posts["post"].id, "555", t0 + timedelta(minutes=8))  # the Page likes itself
    fb.like(posts["complaint"].id, "555", t0 + timedelta(minutes=45))  # liked, not answered

    ig = World("instagram", clock=clock)
    for actor in (
        Actor("17841400000000001", "baeckerei_huber", followers=1200),
        Actor("17841400000000009", "kunde_karl"),
    ):
        ig.add_actor(actor)
    ig.manage("17841400000000001", PAGE_TOKEN, page_id="555")
    posts["media"] = ig.post("17841400000000001", t0, "Sauerteig, 48 Stunden")
    posts["ig_comment"] = ig.post(
        "17841400000000009", t0 + timedelta(minutes=3), "Wie lange hält das?",
        reply_to=posts["media"].id,
    )  # fmt: skip
    posts["ig_answer"] = ig.post(
        "17841400000000001", t0 + timedelta(minutes=30), "@kunde_karl 4 Tage",
        reply_to=posts["ig_comment"].id,
    )  # fmt: skip
    posts["ig_followup"] = ig.post(
        "17841400000000009", t0 + timedelta(minutes=35), "@baeckerei_huber super",
        reply_to=posts["ig_answer"].id,
    )  # fmt: skip
    ig.like(posts["media"].id, "17841400000000009", t0 + timedelta(minutes=4))
    posts["media"].anonymous_likes = 10
    return GraphScripted(fb, ig, posts)


def add_graph_accounts(session: Session, reference: str = "HUBER_PAGE_TOKEN") -> tuple[int, int]:
    client = _client(session)
    facebook = Account(
        client_id=client.id, platform="facebook", handle="baeckerei.huber",
        credentials_ref=reference,
    )  # fmt: skip
    instagram = Account(
        client_id=client.id, platform="instagram", handle="@baeckerei_huber",
        credentials_ref=reference,
    )  # fmt: skip
    session.add_all([facebook, instagram])
    session.flush()
    return facebook.id, instagram.id


def settings_for(tmp_path, **values: object):
    """Settings as the service would load them, with these environment variables."""
    from replywatch.config import load_settings

    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        **{name: str(value) for name, value in values.items()},
    }
    return load_settings(env=env)


def fast_retry(max_retries: int = 3):
    from collectors.contract import RetryPolicy

    return RetryPolicy(max_retries=max_retries, base_delay=FAST_RETRY_SECONDS)


# --- Mastodon ----------------------------------------------------------------------------

MASTODON_TOKEN = "mastodon-token-0123456789secret"
MASTODON_DOMAIN = "social.example"
M_SHOP, M_ANNA, M_BEN, M_JANA = (
    "109000000000000001",
    "109000000000000002",
    "109000000000000003",
    "109000000000000004",
)


def mastodon_world(now: datetime = T0 + timedelta(days=1)) -> Scripted:
    """@baeckerei@social.example: an old post, a young post whose thread has a question, an
    agency answer and a deeper reply without mention, a mention the shop answers and
    boosts, a mention deep inside somebody else's thread, favourites both ways."""
    t0 = now - timedelta(days=1)  # the story starts a day before now
    world = World("mastodon", now=now)
    for actor in (
        Actor(M_SHOP, "baeckerei", name="Bäckerei Huber", followers=321),
        Actor(M_ANNA, "anna", name="Anna"),
        Actor(M_BEN, "ben@other.social", name="Ben"),
        Actor(M_JANA, "jana@agentur.example", name="Jana (Agentur)"),
    ):
        world.add_actor(actor)
    world.manage(M_SHOP, MASTODON_TOKEN)
    posts: dict[str, Post] = {}
    posts["old"] = world.post(M_SHOP, t0 - timedelta(days=30), "Wir haben Urlaub")
    posts["post"] = world.post(M_SHOP, t0, "Frische Brezen ab 7 Uhr!")
    posts["question"] = world.post(
        M_ANNA, t0 + timedelta(minutes=5), "Habt ihr heute offen?", reply_to=posts["post"].id
    )
    posts["answer"] = world.post(
        M_JANA, t0 + timedelta(minutes=20), "Ja, bis 18 Uhr!", reply_to=posts["question"].id
    )
    posts["deeper"] = world.post(
        M_BEN, t0 + timedelta(minutes=30), "Auch am Samstag?", reply_to=posts["answer"].id
    )
    posts["foreign_root"] = world.post(M_ANNA, t0 + timedelta(hours=1), "Wo gibt es gutes Brot?")
    posts["foreign_reply"] = world.post(
        M_BEN, t0 + timedelta(hours=1, minutes=5), "Gute Frage", reply_to=posts["foreign_root"].id
    )
    posts["foreign_mention"] = world.post(
        M_ANNA, t0 + timedelta(hours=1, minutes=10), "@baeckerei vielleicht?",
        reply_to=posts["foreign_reply"].id, mentions=[M_SHOP],
    )  # fmt: skip
    posts["mention"] = world.post(
        M_BEN, t0 + timedelta(hours=2), "Beste Brezen bei @baeckerei", mentions=[M_SHOP]
    )
    posts["shop_reply"] = world.post(
        M_SHOP, t0 + timedelta(hours=2, minutes=10), "Danke!", reply_to=posts["mention"].id
    )
    posts["boost"] = world.post(
        M_SHOP, t0 + timedelta(hours=3), "", kind="repost", reposted_id=posts["mention"].id
    )
    world.like(posts["post"].id, M_ANNA, t0 + timedelta(minutes=6))
    world.like(posts["post"].id, M_SHOP, t0 + timedelta(minutes=7))  # the shop likes itself
    world.like(posts["question"].id, M_SHOP, t0 + timedelta(minutes=8))  # liked, not answered
    world.like(posts["foreign_root"].id, M_SHOP, t0 + timedelta(hours=1, minutes=1))
    return Scripted(world, posts)


def add_mastodon_account(
    session: Session, reference: str | None = "HUBER_MASTODON_TOKEN"
) -> Account:
    client = _client(session)
    account = Account(
        client_id=client.id, platform="mastodon", handle=f"@baeckerei@{MASTODON_DOMAIN}",
        credentials_ref=reference,
    )  # fmt: skip
    session.add(account)
    session.add(Identity(client_id=client.id, platform="mastodon",
                         handle="@jana@agentur.example"))  # fmt: skip
    session.flush()
    return account


# --- Bluesky -----------------------------------------------------------------------------

BLUESKY_APP_PASSWORD = "abcd-efgh-ijkl-mnop"
B_SHOP = "did:plc:baeckereihuber2345abcdef"
B_ANNA = "did:plc:anna234567abcdefghijklmn"
B_BEN = "did:plc:ben234567abcdefghijklmno"
B_JANA = "did:plc:janaagentur234567abcdefg"
B_HANDLE = "baeckerei-huber.bsky.social"


def bluesky_world(now: datetime = T0 + timedelta(days=1)) -> Scripted:
    """baeckerei-huber.bsky.social: an old post, a young post whose thread goes five levels
    deep (the agency answers on level 2) with a reply the shop hid, a mention the shop
    answers and reposts, likes both ways."""
    t0 = now - timedelta(days=1)  # the story starts a day before now
    world = World("bluesky", now=now)
    for actor in (
        Actor(B_SHOP, B_HANDLE, name="Bäckerei Huber", followers=512),
        Actor(B_ANNA, "anna.bsky.social", name="Anna"),
        Actor(B_BEN, "ben.example.org", name="Ben"),
        Actor(B_JANA, "jana-agentur.bsky.social", name="Jana (Agentur)"),
    ):
        world.add_actor(actor)
    world.manage(B_SHOP, BLUESKY_APP_PASSWORD)
    posts: dict[str, Post] = {}
    posts["old"] = world.post(B_SHOP, t0 - timedelta(days=30), "Wir haben Urlaub")
    posts["post"] = world.post(B_SHOP, t0, "Frische Brezen ab 7 Uhr!")
    chain = [("question", B_ANNA, "Habt ihr heute offen?"), ("answer", B_JANA, "Ja, bis 18 Uhr!"),
             ("deeper", B_BEN, "Auch am Samstag?"), ("deep4", B_ANNA, "Gute Frage"),
             ("deep5", B_BEN, "Ich frage morgen nach")]  # fmt: skip
    parent = posts["post"]
    for number, (name, author, text) in enumerate(chain, start=1):
        parent = posts[name] = world.post(
            author, t0 + timedelta(minutes=5 * number), text, reply_to=parent.id
        )
    posts["spam"] = world.post(
        B_BEN, t0 + timedelta(hours=1), "Billige Brötchen hier!", reply_to=posts["post"].id,
        hidden_at=t0 + timedelta(hours=1, minutes=30),
    )  # fmt: skip
    posts["foreign"] = world.post(B_ANNA, t0 + timedelta(minutes=50), "Schönes Wetter heute")
    posts["mention"] = world.post(
        B_BEN, t0 + timedelta(hours=2), f"Beste Brezen bei @{B_HANDLE}", mentions=[B_SHOP]
    )
    posts["shop_reply"] = world.post(
        B_SHOP, t0 + timedelta(hours=2, minutes=10), "Danke!", reply_to=posts["mention"].id
    )
    posts["repost"] = world.post(
        B_SHOP, t0 + timedelta(hours=3), "", kind="repost", reposted_id=posts["mention"].id
    )
    world.like(posts["post"].id, B_ANNA, t0 + timedelta(minutes=6))
    world.like(posts["post"].id, B_SHOP, t0 + timedelta(minutes=7))  # the shop likes itself
    world.like(posts["question"].id, B_SHOP, t0 + timedelta(minutes=8))  # liked, not answered
    world.like(posts["foreign"].id, B_SHOP, t0 + timedelta(hours=1, minutes=1))
    return Scripted(world, posts)


def add_bluesky_account(
    session: Session, reference: str | None = "HUBER_BLUESKY_APP_PASSWORD"
) -> Account:
    client = _client(session)
    account = Account(client_id=client.id, platform="bluesky", handle=B_HANDLE,
                      credentials_ref=reference)  # fmt: skip
    session.add(account)
    session.add(Identity(client_id=client.id, platform="bluesky",
                         handle="jana-agentur.bsky.social"))  # fmt: skip
    session.flush()
    return account


# --- YouTube -----------------------------------------------------------------------------

YT_KEY = "AIzaSyHuberKey0123456789secret"  # an API key: public reads
YT_OAUTH = "ya29.huber-oauth-0123456789secret"  # the channel's own OAuth access token
Y_SHOP = "UCbaeckereihuber0123456A"
Y_ANNA = "UCanna0123456789abcdefgh"
Y_BEN = "UCben0123456789abcdefghi"
Y_JANA = "UCjanaagentur0123456789a"
Y_HANDLE = "@baeckereihuber"


def youtube_world(now: datetime = T0 + timedelta(days=1)) -> Scripted:
    """@baeckereihuber: an old video with a fresh comment, a young video whose first thread
    has a question, the channel's answer and a thank-you (the channel likes the question);
    a second thread the agency answers from its own channel, seven replies long (more
    than a thread shows); a comment held for review."""
    t0 = now - timedelta(days=1)  # the story starts a day before now
    world = World("youtube", now=now)
    for actor in (
        Actor(Y_SHOP, "baeckereihuber", name="Bäckerei Huber", followers=870),
        Actor(Y_ANNA, "anna-k", name="Anna K"),
        Actor(Y_BEN, "ben.b", name="Ben B"),
        Actor(Y_JANA, "jana-agentur", name="Jana (Agentur)"),
    ):
        world.add_actor(actor)
    world.manage(Y_SHOP, YT_OAUTH)
    posts: dict[str, Post] = {}
    posts["old"] = world.post(Y_SHOP, t0 - timedelta(days=30), "Wie wir Sauerteig ansetzen")
    posts["old_comment"] = world.post(
        Y_ANNA, t0 + timedelta(hours=4), "Gibt es das Rezept?", reply_to=posts["old"].id
    )
    posts["video"] = world.post(Y_SHOP, t0, "Brezen backen\nSo entstehen unsere Brezen.")
    posts["question"] = world.post(
        Y_ANNA, t0 + timedelta(minutes=5), "Habt ihr heute offen?", reply_to=posts["video"].id
    )
    posts["answer"] = world.post(
        Y_SHOP, t0 + timedelta(minutes=9), "Ja, bis 18 Uhr!", reply_to=posts["question"].id
    )
    posts["thanks"] = world.post(
        Y_ANNA, t0 + timedelta(minutes=11), "Danke!", reply_to=posts["answer"].id
    )
    posts["long"] = world.post(
        Y_BEN, t0 + timedelta(minutes=30), "Welches Mehl nehmt ihr?", reply_to=posts["video"].id
    )
    parent = posts["long"]
    for number in range(7):
        author = (Y_JANA, Y_BEN)[number % 2]
        parent = posts[f"long{number}"] = world.post(
            author, t0 + timedelta(minutes=40 + number), f"Antwort {number}", reply_to=parent.id
        )
    posts["held"] = world.post(
        Y_BEN, t0 + timedelta(hours=2), "Zu teuer!", reply_to=posts["video"].id,
        hidden_at=t0 + timedelta(hours=2),
    )  # fmt: skip
    world.like(posts["video"].id, Y_ANNA, t0 + timedelta(minutes=6))
    world.like(posts["question"].id, Y_SHOP, t0 + timedelta(minutes=8))
    posts["video"].anonymous_likes = 4
    return Scripted(world, posts)


def add_youtube_account(
    session: Session,
    reference: str | None = "HUBER_YOUTUBE_TOKEN",
    handle: str = Y_HANDLE,
    staff: bool = True,
) -> Account:
    client = _client(session)
    account = Account(client_id=client.id, platform="youtube", handle=handle,
                      credentials_ref=reference)  # fmt: skip
    session.add(account)
    if staff:
        session.add(Identity(client_id=client.id, platform="youtube", handle="@jana-agentur",
                             platform_user_id=Y_JANA))  # fmt: skip
    session.flush()
    return account
