"""The demo portfolio as data: a consultant, four owners' businesses, their accounts.

The demo creates these clients, accounts, identities and users in replywatch through its
normal commands, points the collectors at the simulated platforms, and lets them collect
what :func:`sandbox.generator.demo.generate_demo` put into the worlds. Tests use the same
data. Handles are given in the canonical form replywatch stores (X, Instagram and YouTube
``@name``, Mastodon ``@name@instance``, Bluesky ``name.bsky.social``, Facebook a Page
username); ``world_handle`` is the same handle as the simulated platform shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum

from sandbox.generator.calendar import Calendar, OpenHours, hours_text


class Story(StrEnum):
    """What a client's accounts show, in the words of the product."""

    BROADCAST = "broadcast"  # an agency that only broadcasts
    WEEKDAY_TEAM = "weekday_team"  # an in-house team, weekdays in business hours only
    RESPONSIVE = "responsive"  # an agency that meets its contract SLA
    HOLLOW = "hollow"  # an agency that answers everything quickly, and says nothing


STORY_TEXT = {
    Story.BROADCAST: (
        "An agency that only broadcasts: it posts three times a week, likes its own posts "
        "(also from an agency employee's profile), never answers a customer, and hides a "
        "critical comment on Facebook."
    ),
    Story.WEEKDAY_TEAM: (
        "An in-house team that answers within minutes on weekdays during business hours and "
        "leaves evenings, weekends and public holidays uncovered."
    ),
    Story.RESPONSIVE: (
        "An agency with a contract SLA (one hour) that answers nearly everything within "
        "minutes, around the clock, partly from its employees' own profiles."
    ),
    Story.HOLLOW: (
        "An agency that answers every comment within minutes, always with the same two "
        'sentences and "send us a DM": responsive by the ratio, hollow by the content.'
    ),
}


@dataclass(frozen=True)
class AccountSpec:
    """A managed account: what `replywatch account add` needs and what the sandbox accepts."""

    platform: str
    handle: str  # canonical, as `replywatch account add --handle` stores it
    actor_id: str  # the platform's account id (Facebook: Page id; Instagram: IG user id)
    world_handle: str  # the handle as the simulated platform shows it (no @)
    name: str
    token: str  # the access token the simulated platform accepts (Bluesky: app password)
    credentials_ref: str  # a suggested secret name for `--credentials`
    followers: int
    page_id: str | None = None  # Facebook: the Page; Instagram: its connected Page


@dataclass(frozen=True)
class IdentitySpec:
    """A further handle that speaks for a client (agency staff): `replywatch identity add`."""

    platform: str
    handle: str  # canonical
    actor_id: str
    world_handle: str
    name: str
    label: str


@dataclass(frozen=True)
class UserSpec:
    """A dashboard and email user: `replywatch user add`."""

    username: str
    name: str
    role: str  # "consultant" or "owner"
    language: str  # "en" or "de"
    email: str
    clients: tuple[str, ...] = ()  # client names an owner may see (a consultant sees all)


@dataclass(frozen=True)
class ClientSpec:
    """A business with its service settings and the story its accounts tell."""

    name: str
    business: str  # bakery, bikes, books: what its customers talk about
    language: str  # the language the business posts in
    customer_languages: tuple[tuple[str, float], ...]  # share of customers per language
    time_zone: str
    hours: tuple[OpenHours, ...]
    holiday_region: str | None
    response_target: timedelta
    answer_window: timedelta
    story: Story
    accounts: tuple[AccountSpec, ...]
    identities: tuple[IdentitySpec, ...] = ()
    agency: str | None = None  # who runs the accounts, when not the business itself

    @property
    def business_hours(self) -> str:
        """The schedule text for `replywatch client add --hours`."""
        return hours_text(self.hours)

    @property
    def target_text(self) -> str:
        """The response target for `replywatch client add --target`: "4h", "90m"."""
        return _duration_text(self.response_target)

    @property
    def answer_window_text(self) -> str:
        """The answer window for `replywatch client add --answer-window`: "72h"."""
        return _duration_text(self.answer_window)

    @property
    def story_text(self) -> str:
        return STORY_TEXT[self.story]

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.time_zone, self.hours, self.holiday_region)

    def identities_on(self, platform: str) -> tuple[IdentitySpec, ...]:
        return tuple(identity for identity in self.identities if identity.platform == platform)


@dataclass(frozen=True)
class Portfolio:
    """A consultant's clients and the people who may look at them."""

    clients: tuple[ClientSpec, ...]
    users: tuple[UserSpec, ...]

    @property
    def platforms(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for client in self.clients:
            for account in client.accounts:
                seen.setdefault(account.platform, None)
        return tuple(seen)

    def client(self, name: str) -> ClientSpec:
        for client in self.clients:
            if client.name == name:
                return client
        raise KeyError(f"no client {name!r} in the portfolio")

    def by_story(self, story: Story) -> ClientSpec:
        for client in self.clients:
            if client.story == story:
                return client
        raise KeyError(f"no client tells the story {story}")

    def accounts(self) -> tuple[tuple[ClientSpec, AccountSpec], ...]:
        return tuple((client, account) for client in self.clients for account in client.accounts)


def _duration_text(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _weekdays(opens: str, closes: str, first: int = 0, last: int = 4) -> OpenHours:
    return OpenHours(first, last, time.fromisoformat(opens), time.fromisoformat(closes))


HUBER = ClientSpec(
    name="Bäckerei Huber",
    business="bakery",
    language="de",
    customer_languages=(("de", 0.9), ("en", 0.1)),
    time_zone="Europe/Berlin",
    hours=(_weekdays("06:30", "18:00"), _weekdays("07:00", "12:00", 5, 5)),
    holiday_region="DE-BY",
    response_target=timedelta(hours=4),
    answer_window=timedelta(hours=72),
    story=Story.BROADCAST,
    agency="Pixelwerk Agentur",
    accounts=(
        AccountSpec(
            platform="facebook",
            handle="baeckereihuber",
            actor_id="104872236015201",
            world_handle="baeckereihuber",
            name="Bäckerei Huber",
            token="sandbox-facebook-baeckereihuber",
            credentials_ref="DEMO_HUBER_FACEBOOK_TOKEN",
            followers=1843,
            page_id="104872236015201",
        ),
        AccountSpec(
            platform="instagram",
            handle="@baeckerei.huber",
            actor_id="17841405822304914",
            world_handle="baeckerei.huber",
            name="Bäckerei Huber",
            token="sandbox-instagram-baeckereihuber",
            credentials_ref="DEMO_HUBER_INSTAGRAM_TOKEN",
            followers=2310,
            page_id="104872236015201",
        ),
        AccountSpec(
            platform="x",
            handle="@baeckereihuber",
            actor_id="1298374650192837465",
            world_handle="baeckereihuber",
            name="Bäckerei Huber",
            token="sandbox-x-baeckereihuber",
            credentials_ref="DEMO_HUBER_X_TOKEN",
            followers=412,
        ),
    ),
    identities=(
        IdentitySpec(
            platform="facebook",
            handle="jana.pixelwerk",
            actor_id="2749105538120476",
            world_handle="jana.pixelwerk",
            name="Jana Pixelwerk",
            label="agency: Jana (Pixelwerk)",
        ),
        IdentitySpec(
            platform="instagram",
            handle="@jana.pixelwerk",
            actor_id="17841401198234567",
            world_handle="jana.pixelwerk",
            name="Jana | Pixelwerk",
            label="agency: Jana (Pixelwerk)",
        ),
        IdentitySpec(
            platform="x",
            handle="@jana_pixelwerk",
            actor_id="1187765432109876543",
            world_handle="jana_pixelwerk",
            name="Jana (Pixelwerk)",
            label="agency: Jana (Pixelwerk)",
        ),
    ),
)

LINDNER = ClientSpec(
    name="Velo Lindner",
    business="bikes",
    language="de",
    customer_languages=(("de", 0.85), ("en", 0.15)),
    time_zone="Europe/Berlin",
    hours=(_weekdays("09:00", "18:00"),),
    holiday_region="DE-NW",
    response_target=timedelta(hours=2),
    answer_window=timedelta(hours=72),
    story=Story.WEEKDAY_TEAM,
    accounts=(
        AccountSpec(
            platform="x",
            handle="@velolindner",
            actor_id="1420938475610293847",
            world_handle="velolindner",
            name="Velo Lindner Köln",
            token="sandbox-x-velolindner",
            credentials_ref="DEMO_LINDNER_X_TOKEN",
            followers=688,
        ),
        AccountSpec(
            platform="mastodon",
            handle="@velolindner@mastodon.social",
            actor_id="109384756102938475",
            world_handle="velolindner",
            name="Velo Lindner",
            token="sandbox-mastodon-velolindner",
            credentials_ref="DEMO_LINDNER_MASTODON_TOKEN",
            followers=325,
        ),
    ),
)

HARBOUR_LANE = ClientSpec(
    name="Harbour Lane Books",
    business="books",
    language="en",
    customer_languages=(("en", 0.85), ("de", 0.15)),
    time_zone="Europe/London",
    hours=(_weekdays("09:00", "19:00", 0, 5), _weekdays("11:00", "17:00", 6, 6)),
    holiday_region="GB-ENG",
    response_target=timedelta(hours=1),
    answer_window=timedelta(hours=72),
    story=Story.RESPONSIVE,
    agency="Tidewater Social",
    accounts=(
        AccountSpec(
            platform="facebook",
            handle="harbourlanebooks",
            actor_id="102938475610293",
            world_handle="harbourlanebooks",
            name="Harbour Lane Books",
            token="sandbox-facebook-harbourlanebooks",
            credentials_ref="DEMO_HARBOUR_FACEBOOK_TOKEN",
            followers=5210,
            page_id="102938475610293",
        ),
        AccountSpec(
            platform="instagram",
            handle="@harbourlanebooks",
            actor_id="17841409988776655",
            world_handle="harbourlanebooks",
            name="Harbour Lane Books",
            token="sandbox-instagram-harbourlanebooks",
            credentials_ref="DEMO_HARBOUR_INSTAGRAM_TOKEN",
            followers=8874,
            page_id="102938475610293",
        ),
        AccountSpec(
            platform="bluesky",
            handle="harbourlanebooks.bsky.social",
            actor_id="did:plc:k7fw2mhq4xv3b5n6tzrc2dpe",
            world_handle="harbourlanebooks.bsky.social",
            name="Harbour Lane Books",
            token="hlbk-7q2m-x4vd-9tpe",
            credentials_ref="DEMO_HARBOUR_BLUESKY_APP_PASSWORD",
            followers=1436,
        ),
        # Book talk videos; Tidewater answers the comments, read with the channel's OAuth
        # token (which also shows the channel's own likes of comments).
        AccountSpec(
            platform="youtube",
            handle="@harbourlanebooks",
            actor_id="UCq7HbLnB0oks4rbRlaNe2Yt",
            world_handle="harbourlanebooks",
            name="Harbour Lane Books",
            token="ya29.sandbox-youtube-harbourlanebooks",
            credentials_ref="DEMO_HARBOUR_YOUTUBE_TOKEN",
            followers=2140,
        ),
    ),
    identities=(
        IdentitySpec(
            platform="facebook",
            handle="sam.tidewater",
            actor_id="3018273645501928",
            world_handle="sam.tidewater",
            name="Sam Okafor (Tidewater Social)",
            label="agency: Sam (Tidewater)",
        ),
        IdentitySpec(
            platform="instagram",
            handle="@sam.tidewater",
            actor_id="17841402233445566",
            world_handle="sam.tidewater",
            name="Sam | Tidewater Social",
            label="agency: Sam (Tidewater)",
        ),
        IdentitySpec(
            platform="instagram",
            handle="@priya.tidewater",
            actor_id="17841403344556677",
            world_handle="priya.tidewater",
            name="Priya | Tidewater Social",
            label="agency: Priya (Tidewater)",
        ),
        IdentitySpec(
            platform="bluesky",
            handle="sam-tidewater.bsky.social",
            actor_id="did:plc:u3qk5rj2w7e4tpxzm6hb4ayc",
            world_handle="sam-tidewater.bsky.social",
            name="Sam (Tidewater Social)",
            label="agency: Sam (Tidewater)",
        ),
        IdentitySpec(
            platform="youtube",
            handle="@sam.tidewater",
            actor_id="UCs4mOkafoRT1dewaterSoc1",
            world_handle="sam.tidewater",
            name="Sam | Tidewater Social",
            label="agency: Sam (Tidewater)",
        ),
    ),
)

SOMMER = ClientSpec(
    name="Radhaus Sommer",
    business="bikes",
    language="de",
    customer_languages=(("de", 0.85), ("en", 0.15)),
    time_zone="Europe/Berlin",
    hours=(_weekdays("10:00", "19:00"), _weekdays("10:00", "16:00", 5, 5)),
    holiday_region="DE-HH",
    response_target=timedelta(hours=2),
    answer_window=timedelta(hours=72),
    story=Story.HOLLOW,
    agency="Klickfabrik Social",
    accounts=(
        AccountSpec(
            platform="facebook",
            handle="radhaussommer",
            actor_id="105839201746352",
            world_handle="radhaussommer",
            name="Radhaus Sommer",
            token="sandbox-facebook-radhaussommer",
            credentials_ref="DEMO_SOMMER_FACEBOOK_TOKEN",
            followers=2764,
            page_id="105839201746352",
        ),
        AccountSpec(
            platform="instagram",
            handle="@radhaus.sommer",
            actor_id="17841406630917382",
            world_handle="radhaus.sommer",
            name="Radhaus Sommer",
            token="sandbox-instagram-radhaussommer",
            credentials_ref="DEMO_SOMMER_INSTAGRAM_TOKEN",
            followers=4120,
            page_id="105839201746352",
        ),
    ),
    identities=(
        IdentitySpec(
            platform="instagram",
            handle="@kim.klickfabrik",
            actor_id="17841407741028493",
            world_handle="kim.klickfabrik",
            name="Kim | Klickfabrik Social",
            label="agency: Kim (Klickfabrik)",
        ),
    ),
)

DEMO_PORTFOLIO = Portfolio(
    clients=(HUBER, LINDNER, HARBOUR_LANE, SOMMER),
    users=(
        UserSpec(
            username="mara",
            name="Mara Vogt",
            role="consultant",
            language="de",
            email="mara@vogt-beratung.example",
        ),
        UserSpec(
            username="anna",
            name="Anna Huber",
            role="owner",
            language="de",
            email="anna@baeckerei-huber.example",
            clients=(HUBER.name,),
        ),
        UserSpec(
            username="jonas",
            name="Jonas Lindner",
            role="owner",
            language="de",
            email="jonas@velo-lindner.example",
            clients=(LINDNER.name,),
        ),
        UserSpec(
            username="olivia",
            name="Olivia Hart",
            role="owner",
            language="en",
            email="olivia@harbourlanebooks.example",
            clients=(HARBOUR_LANE.name,),
        ),
        UserSpec(
            username="lena",
            name="Lena Sommer",
            role="owner",
            language="de",
            email="lena@radhaus-sommer.example",
            clients=(SOMMER.name,),
        ),
    ),
)
