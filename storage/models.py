"""The tables replywatch keeps, as typed SQLAlchemy 2 models.

Times are UTC-aware everywhere (see :class:`storage.types.UTCDateTime`). Platform ids are
strings: X ids overflow 53-bit floats, Graph ids contain underscores, Bluesky uses URIs.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from storage.types import UTCDateTime, utcnow
from storage.usernames import USERNAME_LENGTH, canonical_username

# Stable constraint names so that Alembic migrations are identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class ItemKind(StrEnum):
    """What an item is, structurally. Whether it counts as inbound is decided by metrics."""

    POST = "post"  # top of a thread
    REPLY = "reply"  # reply in a threaded conversation (X, Mastodon, Bluesky)
    COMMENT = "comment"  # comment or comment reply on a flat thread (Facebook, Instagram)
    MENTION = "mention"  # mentions the account without replying inside its threads
    VISITOR_POST = "visitor_post"  # somebody else's post on a Facebook Page
    REPOST = "repost"  # retweet / boost / repost: counted apart, never a post or reply


class CredentialStatus(StrEnum):
    """What the platform last said about an account's credentials.

    A connection that still works but runs out soon is not a status of its own: that is
    read from ``Connection.expires_at`` (storage.renewal), because it changes with time.
    """

    UNCHECKED = "unchecked"
    OK = "ok"
    # Refused without saying why (401/403 and nothing more specific).
    NEEDS_RENEWAL = "needs_renewal"
    EXPIRED = "expired"  # the token or its data access ran out
    REVOKED = "revoked"  # taken back: app removed, password changed, app password deleted
    NO_PERMISSION = "no_permission"  # valid, but a permission the collector needs is missing

    @property
    def refused(self) -> bool:
        """The platform refuses the credentials: somebody has to connect again."""
        return self not in (CredentialStatus.UNCHECKED, CredentialStatus.OK)


class PurgeReason(StrEnum):
    """Why an item's personal data was removed (``Item.purge_reason``)."""

    RETENTION = "retention"  # older than its client's retention period
    ERASURE = "erasure"  # its author asked to be forgotten (privacy forget)


DEFAULT_RETENTION_MONTHS = 13


class Role(StrEnum):
    CONSULTANT = "consultant"
    OWNER = "owner"


class Client(Base):
    """A business whose accounts are audited, with its service-level settings."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Canonical schedule text, e.g. "mon-fri 08:00-18:00, sat 09:00-12:00"; None = 24/7.
    business_hours: Mapped[str | None] = mapped_column(String(500))
    # ISO 3166 country, optionally with subdivision: "DE", "DE-BY", "US-CA".
    holiday_region: Mapped[str | None] = mapped_column(String(16))
    answer_window_hours: Mapped[float] = mapped_column(Float, default=72.0)
    response_target_minutes: Mapped[int] = mapped_column(Integer, default=240)
    min_settled: Mapped[int] = mapped_column(Integer, default=5)
    responsive_ratio: Mapped[float] = mapped_column(Float, default=0.90)
    partly_responsive_ratio: Mapped[float] = mapped_column(Float, default=0.65)
    no_conversation_min_posts: Mapped[int] = mapped_column(Integer, default=3)
    widen_max_weeks: Mapped[int] = mapped_column(Integer, default=8)
    # After this many months outsiders' texts, names and handles are removed (storage/
    # privacy.py); 13 so that a week can still be compared with the same week a year ago.
    retention_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RETENTION_MONTHS, server_default=str(DEFAULT_RETENTION_MONTHS)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[Account]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )
    identities: Mapped[list[Identity]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )


class Account(Base):
    """One managed social account of a client."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Resolved from the handle on first collection when not given.
    platform_account_id: Mapped[str | None] = mapped_column(String(128))
    handle: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The *name* of an environment variable or secrets-file key; never the secret itself.
    credentials_ref: Mapped[str | None] = mapped_column(String(64))
    credential_status: Mapped[str] = mapped_column(String(16), default=CredentialStatus.UNCHECKED)
    credential_error: Mapped[str | None] = mapped_column(String(500))
    collect_interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship(back_populates="accounts")


class Identity(Base):
    """A further handle that speaks for a client: agency staff, a second brand account."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("client_id", "platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(200))
    platform_user_id: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship(back_populates="identities")


class Item(Base):
    """Any authored content seen on a managed account: post, reply, comment, mention."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("platform", "platform_item_id"),
        Index("ix_items_account_created", "account_id", "created_at"),
        Index("ix_items_platform_parent", "platform", "parent_id"),
        Index("ix_items_platform_root", "platform", "root_id"),
        # An author's items: privacy gives them one pseudonym at once (storage/privacy.py).
        Index("ix_items_platform_author", "platform", "author_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_item_id: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(String(300))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16))
    mentions_account: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the account's handle appears (docs/metrics.md, "Who is addressed"): "text" in
    # the author's own words, "prefix" only in the reply prefix the platform marks (X's
    # display_text_range, the leading @handles of a TWCS reply), "leading" only in the
    # leading @handles of a reply on a platform that does not mark its prefix (Mastodon):
    # own words unless the account took part in the thread above. None: not mentioned,
    # or stored before the place was known (then ``mentions_account`` counts as "text").
    mention_place: Mapped[str | None] = mapped_column(String(8))
    # Platform ids of what this item replies to and of the top of its conversation.
    parent_id: Mapped[str | None] = mapped_column(String(300))
    root_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    permalink: Mapped[str | None] = mapped_column(String(500))
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    repost_count: Mapped[int] = mapped_column(Integer, default=0)
    # Filled by metrics from the question patterns; None until classified.
    is_question: Mapped[bool | None] = mapped_column(Boolean)
    # Filled by metrics from metrics/data/acknowledgments.toml (items from outside the own
    # side: "thanks", "passt") and metrics/data/replies.toml (own replies: a redirect to
    # DM / mail / phone, and the key of the normalised text that finds templates); None
    # until classified. A changed text is classified again.
    is_ack_text: Mapped[bool | None] = mapped_column(Boolean)
    is_redirect: Mapped[bool | None] = mapped_column(Boolean)
    reply_key: Mapped[int | None] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()
    removed_reason: Mapped[str | None] = mapped_column(String(16))
    # Set when the text, handle and link of an outsider's item were removed and the author
    # id replaced by a pseudonym (storage/privacy.py); the stored flags derived from the
    # text (is_question) are final from then on, and no later sighting fills them in again.
    purged_at: Mapped[datetime | None] = mapped_column()
    purge_reason: Mapped[str | None] = mapped_column(String(16))


class Like(Base):
    """Somebody liked an item. Platforms cap liker lists; counts live on the item."""

    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("item_id", "liker_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    liker_id: Mapped[str] = mapped_column(String(300))
    liker_handle: Mapped[str | None] = mapped_column(String(200))
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    liked_at: Mapped[datetime | None] = mapped_column()
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ErasedAuthor(Base):
    """An outsider who asked to be forgotten (``replywatch privacy forget``).

    Only a keyed hash of the id or handle is kept (``storage.privacy.Pseudonyms``), never
    the id or handle itself: the list says "this person is forgotten" to whoever holds the
    installation's key and nothing to anybody else. ``client_id`` None: for every client.
    """

    __tablename__ = "erased_authors"
    __table_args__ = (Index("ix_erased_authors_platform_digest", "platform", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class PseudonymKey(Base):
    """The fingerprint of the key that made this database's pseudonyms: one row, id 1.

    The key itself lives outside the database (storage/privacy.py); a different key would
    make new pseudonyms that do not match the stored ones and no longer recognise the
    forgotten authors, so every use compares its fingerprint with this one first.
    """

    __tablename__ = "pseudonym_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    first_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyEvent(Base):
    """One privacy action (a purge, an erasure, an export): the record an operator shows
    the data-protection officer. Counts and scope only, never whose data it was."""

    __tablename__ = "privacy_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    happened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(16))  # purge, forget, export
    platform: Mapped[str | None] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    # The client's name then: the event stays readable after the client is deleted.
    client_name: Mapped[str | None] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FollowerSnapshot(Base):
    __tablename__ = "follower_snapshots"
    __table_args__ = (Index("ix_follower_snapshots_account_taken", "account_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column()
    followers: Mapped[int] = mapped_column(Integer)


class CollectionCursor(Base):
    """Where the next collection of one endpoint of one account starts (since_id, cursor)."""

    __tablename__ = "collection_cursors"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectionRun(Base):
    """One collection of one account: what it cost, what it found, how it ended."""

    __tablename__ = "collection_runs"
    __table_args__ = (Index("ix_collection_runs_account_started", "account_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # running, ok, partial, rate_limited, credentials, failed, interrupted
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Payload problems that did not stop the run: [{"id": ..., "endpoint": ..., "problem": ...}]
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Private messages (Mastodon ``visibility: direct``) the platform showed and the run
    # dropped unread: replywatch audits the public dialogue only.
    private_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resume_after: Mapped[datetime | None] = mapped_column()


class CollectionSlot(Base):
    """An account's due collection, shared by every ``replywatch run`` on one PostgreSQL.

    The scheduler opens a slot (``opened_at``) when the account is due; a process that
    collects it holds this row locked (``SELECT … FOR UPDATE SKIP LOCKED``) in an open
    transaction for the whole collection and clears ``opened_at`` in that transaction when
    it is done. A process that dies rolls back: the lock is gone at once and the slot is
    still open for the next process. See storage/collection_slots.py.
    """

    __tablename__ = "collection_slots"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # When the open slot was opened (the account came due); None: nothing due.
    opened_at: Mapped[datetime | None] = mapped_column(index=True)
    # The account's newest collection run when the slot opened: a finished run after it
    # served the slot (its collector died before it could close it).
    opened_after_run: Mapped[int | None] = mapped_column(BigId)
    # When a collection last closed a slot of this account.
    closed_at: Mapped[datetime | None] = mapped_column()


class User(Base):
    """A dashboard and email user: a consultant (all clients) or an owner (granted ones)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    # The name in its canonical form (storage.usernames), kept in step with ``username``
    # by ``_keep_username_key``. Unique, so that names differing only in case cannot both
    # exist, and the column logins look up.
    username_key: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grants: Mapped[list[UserClient]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("username")
    def _keep_username_key(self, _field: str, value: str) -> str:
        self.username_key = canonical_username(value)
        return value


class UserClient(Base):
    """An owner may see this client."""

    __tablename__ = "user_clients"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )


class EmailDelivery(Base):
    """One weekly snapshot for one recipient: the record that makes sending exactly-once."""

    __tablename__ = "email_deliveries"
    __table_args__ = (UniqueConstraint("recipient", "scope", "iso_week"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "client:<id>" for an owner's snapshot, "digest" for a consultant's digest.
    scope: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    iso_week: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RollupDirty(Base):
    """Days (UTC) of an account whose items changed since metrics last rolled them up.

    Written in the same transaction as the items, so a crash between collecting and
    rolling up leaves the mark behind and the next rollup catches up.
    """

    __tablename__ = "rollup_dirty"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class RollupDirtyClient(Base):
    """Clients that lost an account since metrics last rolled them up.

    An account's rollups go with it (ON DELETE CASCADE) while its client's weeks still
    count them. A trigger on ``accounts`` (migration 0013) writes the mark, so that every
    way of deleting one leaves it: ``account remove --purge``, a client removed with its
    accounts, SQL by hand. The refresh then checks that client's weeks only, not every
    client's. No foreign key: the client may be gone too.
    """

    __tablename__ = "rollup_dirty_clients"

    client_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class LoginAttempt(Base):
    """One try to log in to the dashboard: kept so that rate limits survive restarts.

    ``username`` is what was typed in its canonical form (storage.usernames), whether or not
    such a user exists, so that guessing names is limited like guessing passwords.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_attempted", "username", "attempted_at"),
        Index("ix_login_attempts_address_attempted", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    # The client's IP address as the web server saw it (after a trusted proxy, if any).
    address: Mapped[str] = mapped_column(String(64))
    # checking (the password is being checked; counts as a failure until it is known),
    # ok, failed (wrong name or password), refused (rate limit: the password was not checked)
    outcome: Mapped[str] = mapped_column(String(16))


class LoginCounter(Base):
    """The login attempts of one user name or one address, counted before any password
    is checked.

    Counting an attempt writes its row, and the row stays locked until the transaction that
    decides on the attempt ends (PostgreSQL locks the row, SQLite the database for writing).
    So attempts on the same name or from the same address are decided one after another,
    each seeing all attempts before it, also those whose password is still being checked.
    """

    __tablename__ = "login_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # username | address
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(BigInteger)
    last_attempt_at: Mapped[datetime] = mapped_column()


class DashboardSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored,
    so a copy of the database does not let anybody log in, and logging out ends it."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """A time-limited claim on a piece of work, shared by every process on the database.

    Whoever holds the row for ``key`` until ``expires_at`` does the work (collect one
    account, run the scheduler); a process that dies stops renewing, and its lease runs
    out. See storage/leases.py.
    """

    __tablename__ = "leases"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # "host:pid:random" of the holding process; renewing and releasing check it.
    owner: Mapped[str] = mapped_column(String(200), index=True)
    acquired_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class Connection(Base):
    """The token of an account its owner connected through the platform's own consent
    screen (``replywatch account connect``, the dashboard's "Connect an account").

    ``sealed`` is the secret material (access token, refresh token, app password) as one
    encrypted text; the key lives in a file outside the database (replywatch.connect.vault).
    The other columns are what replywatch may read without the key: which grant it is, what
    it allows and when it ends. An account with a connection is collected with it; an
    account without one uses its ``credentials_ref`` as before.
    """

    __tablename__ = "connections"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # How it was granted: meta_login, mastodon_oauth, x_oauth2, bluesky_app_password,
    # google_oauth (replywatch.connect names them).
    method: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str] = mapped_column(Text)
    # Space-separated, as the platform granted them.
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The access token's own end; a refresh token renews it without anybody's help.
    access_expires_at: Mapped[datetime | None] = mapped_column()
    # When the grant itself ends and the owner must connect again (Meta's data access, a
    # refresh token that runs out); None: the platform names no end.
    expires_at: Mapped[datetime | None] = mapped_column()
    checked_at: Mapped[datetime | None] = mapped_column()  # last asked the platform about it
    refreshed_at: Mapped[datetime | None] = mapped_column()
    # Bumped by every change of ``sealed``: a refresh writes only over the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1)


class OAuthApp(Base):
    """replywatch's registration as an application on one server (a Mastodon instance
    registers apps itself: ``POST /api/v1/apps``, once per instance and redirect URI)."""

    __tablename__ = "oauth_apps"
    __table_args__ = (UniqueConstraint("platform", "server", "redirect_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    server: Mapped[str] = mapped_column(String(300))  # the instance's origin
    redirect_uri: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    sealed_secret: Mapped[str] = mapped_column(Text)  # the client secret, encrypted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConnectFlow(Base):
    """One connect in progress: from the link to the platform's consent screen to the
    accounts stored.

    The ``state`` sent to the platform is random and only its SHA-256 is kept here; the
    callback must bring it back from the same holder (the dashboard session or the command
    line process that started it, ``holder_hash``) before ``expires_at``, and only once.
    """

    __tablename__ = "connect_flows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    holder_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    server: Mapped[str | None] = mapped_column(String(300))  # a Mastodon instance
    # authorizing -> choosing (Meta: which Pages to audit) -> done; or refused
    stage: Mapped[str] = mapped_column(String(16), default="authorizing")
    # Encrypted: the PKCE verifier while authorizing, the tokens offered while choosing.
    sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ScheduledJob(Base):
    """APScheduler 3's job store table, created by our migrations instead of by APScheduler.

    Column names and types are exactly those of ``SQLAlchemyJobStore``; it finds the
    table present and uses it. replywatch reads ``next_run_time`` (UTC epoch seconds) for
    ``status`` and never writes here itself.
    """

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


# --- metrics (docs/metrics.md): derived tables, rebuilt from the ones above at any time ---


class MetricSettings(Base):
    """The settings in force for one client and one week (weeks since 1970-01-05).

    Taken from the client when the week is first computed and followed while the week
    runs; once it has ended they stay, so a changed contract SLA does not rewrite history.
    """

    __tablename__ = "metric_settings"
    # The longest answer window (which items can still be waiting) from the index's end.
    __table_args__ = (Index("ix_metric_settings_answer_window", "answer_window_seconds"),)

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time_zone: Mapped[str] = mapped_column(String(64))
    business_hours: Mapped[str | None] = mapped_column(String(500))
    holiday_region: Mapped[str | None] = mapped_column(String(16))
    answer_window_seconds: Mapped[int] = mapped_column(Integer)
    response_target_seconds: Mapped[int] = mapped_column(Integer)
    min_settled: Mapped[int] = mapped_column(Integer)
    responsive_ratio: Mapped[float] = mapped_column(Float)
    partly_responsive_ratio: Mapped[float] = mapped_column(Float)
    no_conversation_min_posts: Mapped[int] = mapped_column(Integer)
    widen_max_weeks: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemFact(Base):
    """What metrics know about one item: its role, and for inbound items the answer.

    Times are microseconds since 1970 (UTC) so that SQLite and PostgreSQL do the same
    integer arithmetic; ``local_week`` and ``hour_of_week`` are in the client's zone.
    """

    __tablename__ = "item_facts"
    __table_args__ = (
        Index("ix_item_facts_account_week_created", "account_id", "local_week", "created_us"),
        # The threads in scope (facts by thread) and the privacy rewrites (by author).
        Index("ix_item_facts_thread_author", "platform", "thread_key", "author_key", "created_us"),
        # Own replies by their normalised text: the template rule looks 28 days around.
        Index(
            "ix_item_facts_reply_key",
            "client_id",
            "reply_key",
            "created_us",
            sqlite_where=sql_text("reply_key IS NOT NULL"),
            postgresql_where=sql_text("reply_key IS NOT NULL"),
        ),
    )

    item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    client_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    # items.id of the parent when it is stored; thread and top-level comment as platform ids
    parent_item: Mapped[int | None] = mapped_column(BigInteger)
    thread_key: Mapped[str] = mapped_column(String(300))
    top_key: Mapped[str | None] = mapped_column(String(300))
    author_key: Mapped[str | None] = mapped_column(String(300))
    created_us: Mapped[int] = mapped_column(BigInteger)
    local_week: Mapped[int] = mapped_column(Integer)
    hour_of_week: Mapped[int] = mapped_column(Integer)
    # post, own_reply, own_thread, own_repost, inbound, acknowledgment, conversation, other
    role: Mapped[str] = mapped_column(String(16))
    is_question: Mapped[bool | None] = mapped_column(Boolean)
    # outsiders: the text matches the acknowledgment list and is no question
    ack_text: Mapped[bool] = mapped_column(Boolean)
    # own replies: the normalised text's key, the customer answered (the parent's author),
    # a redirect by its text, the same text sent to two other customers within 28 days
    reply_key: Mapped[int | None] = mapped_column(BigInteger)
    customer_key: Mapped[str | None] = mapped_column(String(300))
    redirect: Mapped[bool] = mapped_column(Boolean)
    template: Mapped[bool] = mapped_column(Boolean)
    # own replies that cover at least one inbound item within its answer window
    answering: Mapped[bool] = mapped_column(Boolean)
    liked_by_own: Mapped[bool] = mapped_column(Boolean)
    own_likes: Mapped[int] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean)
    # own posts: inbound items in their thread + likes by others + reposts
    interactions: Mapped[int] = mapped_column(Integer)
    window_us: Mapped[int | None] = mapped_column(BigInteger)
    answered: Mapped[bool] = mapped_column(Boolean)
    # 1 direct reply, 2 reply to a later message of the author, 3 same top-level comment
    answer_rule: Mapped[int | None] = mapped_column(Integer)
    # inbound: covered within the window by at least one reply that is neither a redirect
    # nor a template
    substantive: Mapped[bool] = mapped_column(Boolean)
    first_response_us: Mapped[int | None] = mapped_column(BigInteger)
    response_us: Mapped[int | None] = mapped_column(BigInteger)
    business_us: Mapped[int | None] = mapped_column(BigInteger)
    settles_us: Mapped[int | None] = mapped_column(BigInteger)


class _WeekFigures:
    """Counts of one week, summable across weeks; medians are not and are kept per week."""

    posts: Mapped[int] = mapped_column(Integer)
    own_replies: Mapped[int] = mapped_column(Integer)
    own_thread: Mapped[int] = mapped_column(Integer)
    reposts: Mapped[int] = mapped_column(Integer)
    inbound: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    answered_questions: Mapped[int] = mapped_column(Integer)
    # not answered (yet): missed once settled, waiting before
    unanswered: Mapped[int] = mapped_column(Integer)
    unanswered_questions: Mapped[int] = mapped_column(Integer)
    liked_unanswered: Mapped[int] = mapped_column(Integer)
    within_target: Mapped[int] = mapped_column(Integer)
    interactions: Mapped[int] = mapped_column(Integer)
    self_likes: Mapped[int] = mapped_column(Integer)
    removed_inbound: Mapped[int] = mapped_column(Integer)
    # addressed items that expect no answer, and outsiders talking among themselves
    acknowledgments: Mapped[int] = mapped_column(Integer)
    customer_conversation: Mapped[int] = mapped_column(Integer)
    # own replies of the week that answer an inbound item, by quality (redirect first)
    answering_replies: Mapped[int] = mapped_column(Integer)
    redirect_replies: Mapped[int] = mapped_column(Integer)
    template_replies: Mapped[int] = mapped_column(Integer)
    # inbound items of the week answered by a substantive reply within their window
    substantive_answered: Mapped[int] = mapped_column(Integer)
    response_median_us: Mapped[int | None] = mapped_column(BigInteger)
    response_p90_us: Mapped[int | None] = mapped_column(BigInteger)
    business_median_us: Mapped[int | None] = mapped_column(BigInteger)
    business_p90_us: Mapped[int | None] = mapped_column(BigInteger)
    # latest moment an unanswered item of the week settles; after it nothing is waiting
    open_until_us: Mapped[int | None] = mapped_column(BigInteger)
    # creation of the oldest unanswered item ("the oldest has waited 6 days")
    first_unanswered_us: Mapped[int | None] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountWeek(_WeekFigures, Base):
    """Stored weekly rollup of one account (ISO week in its client's time zone)."""

    __tablename__ = "account_weeks"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    client_id: Mapped[int] = mapped_column(Integer)


class ClientWeek(_WeekFigures, Base):
    """Stored weekly rollup of all accounts of one client together."""

    __tablename__ = "client_weeks"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class LeagueWeek(Base):
    """One line of the portfolio's league table for one ISO week, stored by the refresh.

    A client's line (``account_id`` 0) and one per account of it, as the metrics compute
    them for that week, with the previous week's response ratio for the change column.
    Exact while ``computed_us <= now < valid_until_us`` (NULL: no item of the lines'
    windows settles later) and while the client has the accounts of ``accounts_key``;
    otherwise the metrics compute the line again (metrics.league).
    """

    __tablename__ = "league_weeks"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # 0: the client as a whole (a primary key column cannot be NULL)
    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    verdict: Mapped[str] = mapped_column(String(24))
    response_ratio: Mapped[float | None] = mapped_column(Float)
    ratio_low: Mapped[float | None] = mapped_column(Float)
    ratio_high: Mapped[float | None] = mapped_column(Float)
    response_median_us: Mapped[int | None] = mapped_column(BigInteger)
    dialogue_share: Mapped[float | None] = mapped_column(Float)
    waiting: Mapped[int] = mapped_column(Integer)
    previous_response_ratio: Mapped[float | None] = mapped_column(Float)
    verdict_weeks: Mapped[int] = mapped_column(Integer)
    substantive_ratio: Mapped[float | None] = mapped_column(Float)
    redirect_share: Mapped[float | None] = mapped_column(Float)
    template_share: Mapped[float | None] = mapped_column(Float)
    hollow: Mapped[bool] = mapped_column(Boolean)
    # the client's accounts when computed, ids in order ("3,17,52"); on the client's line
    accounts_key: Mapped[str] = mapped_column(Text, default="")
    computed_us: Mapped[int] = mapped_column(BigInteger)
    valid_until_us: Mapped[int | None] = mapped_column(BigInteger)


class HourCount(Base):
    """Inbound items and own replies of one account-week by local hour of week (0 = Mon 0h)."""

    __tablename__ = "hour_counts"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    inbound: Mapped[int] = mapped_column(Integer)
    own_replies: Mapped[int] = mapped_column(Integer)
