"""Setting up a portfolio: clients, accounts, identities and users.

What ``client add``, ``account add``, ``identity add`` and ``user add`` do once their
input is read, and what the demo calls to set up its portfolio. Each ``check_...``
function checks what was typed and returns it in stored form, raising
:class:`~replywatch.validation.InputError` that names the input (the command line turns
it into a usage error); each ``add_...`` function stores it in the session it is given,
raising InputError for what only the database can tell (a name taken, a client missing).
Nothing here prints: the callers say what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replywatch import validation
from replywatch.secrets import check_reference
from replywatch.validation import InputError
from storage.models import Account, Client, Identity, Role, User, UserClient
from storage.own_side import refresh_own_flags
from storage.passwords import MIN_PASSWORD_LENGTH, hash_password
from storage.usernames import canonical_username

# Ten years: beyond that "retention" no longer limits anything.
MAX_RETENTION_MONTHS = 120
# Shorter intervals would spend API quotas for little: replies rarely come faster.
MIN_INTERVAL_MINUTES = 5


def find_client(session: Session, name: str) -> Client:
    client = session.scalar(select(Client).where(Client.name == " ".join(name.split())))
    if client is None:
        client = session.scalar(select(Client).where(Client.name.ilike(" ".join(name.split()))))
    if client is None:
        raise InputError(f"client {name!r} does not exist; `replywatch client list` shows them")
    return client


# --- clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientOptions:
    """A client's service-level settings as typed (None: not given)."""

    time_zone: str | None = None
    hours: str | None = None
    holidays: str | None = None
    answer_window: str | None = None
    target: str | None = None
    min_settled: int | None = None
    responsive_ratio: str | None = None
    partly_ratio: str | None = None
    retention: int | None = None  # months


def client_fields(options: ClientOptions) -> dict[str, Any]:
    """The given options as Client fields, each one checked."""
    fields: dict[str, Any] = {}
    if options.time_zone is not None:
        fields["time_zone"] = validation.time_zone(options.time_zone)
    if options.hours is not None:
        fields["business_hours"] = validation.business_hours(options.hours)
    if options.holidays is not None:
        fields["holiday_region"] = validation.holiday_region(options.holidays)
    if options.answer_window is not None:
        minutes = validation.duration_minutes(options.answer_window, "answer window")
        fields["answer_window_hours"] = minutes / 60
    if options.target is not None:
        minutes = validation.duration_minutes(options.target, "response-time target")
        fields["response_target_minutes"] = max(1, round(minutes))
    if options.min_settled is not None:
        fields["min_settled"] = validation.positive_int(options.min_settled, "--min-settled")
    if options.responsive_ratio is not None:
        fields["responsive_ratio"] = validation.ratio(
            options.responsive_ratio, "--responsive-ratio"
        )
    if options.partly_ratio is not None:
        fields["partly_responsive_ratio"] = validation.ratio(options.partly_ratio, "--partly-ratio")
    if options.retention is not None:
        fields["retention_months"] = validation.positive_int(
            options.retention, "--retention (months)", MAX_RETENTION_MONTHS
        )
    responsive = fields.get("responsive_ratio")
    partly = fields.get("partly_responsive_ratio")
    if responsive is not None and partly is not None and partly > responsive:
        raise InputError("--partly-ratio must not be higher than --responsive-ratio")
    return fields


@dataclass(frozen=True)
class NewClient:
    name: str
    fields: dict[str, Any] = field(default_factory=dict)


def check_client(name: str, options: ClientOptions) -> NewClient:
    fields = client_fields(options)
    return NewClient(validation.client_name(name), fields)


def add_client(session: Session, new: NewClient) -> Client:
    """Settings not given take the METRICS.md defaults; the time zone is UTC."""
    if session.scalar(select(Client).where(func.lower(Client.name) == new.name.lower())):
        raise InputError(
            f"client {new.name!r} exists already; change it with `replywatch client edit`"
        )
    added = Client(name=new.name, **{"time_zone": "UTC", **new.fields})
    session.add(added)
    session.flush()
    return added


# --- accounts --------------------------------------------------------------------------


def interval_minutes(text: str) -> int:
    """The collection interval of ``--interval`` in whole minutes; InputError if unusable."""
    minutes = validation.duration_minutes(text, "collection interval")
    if minutes < MIN_INTERVAL_MINUTES:
        raise InputError(
            f"collection interval {text!r} is shorter than {MIN_INTERVAL_MINUTES} minutes"
        )
    return round(minutes)


def credentials_reference(text: str) -> str:
    """The *name* of a secret from ``--credentials``; InputError for anything else."""
    try:
        return check_reference(text)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@dataclass(frozen=True)
class NewAccount:
    platform: str
    handle: str  # canonical
    platform_account_id: str | None
    credentials_ref: str | None  # the name of the secret, never the secret
    display_name: str | None
    interval_minutes: int


def check_account(
    platform: str,
    handle: str,
    *,
    account_id: str | None = None,
    credentials_ref: str | None = None,
    display_name: str | None = None,
    interval: str = "60m",
) -> NewAccount:
    platform = platform.lower()
    canonical = validation.handle(platform, handle)
    reference = credentials_reference(credentials_ref) if credentials_ref is not None else None
    minutes = interval_minutes(interval)
    shown = validation.display_name(display_name) if display_name is not None else None
    if account_id is not None and not account_id.strip():
        raise InputError("--account-id must not be empty")
    return NewAccount(
        platform, canonical, account_id.strip() if account_id else None, reference, shown, minutes
    )


def add_account(session: Session, client_name: str, new: NewAccount) -> Account:
    owner = find_client(session, client_name)
    taken = session.scalar(
        select(Account).where(Account.platform == new.platform, Account.handle == new.handle)
    )
    if taken is not None and not taken.active:
        # `account remove` only deactivates: the account and its history are still here.
        raise InputError(
            f"{new.platform} account {new.handle} exists already, deactivated (account "
            f"{taken.id}); to collect it again run: replywatch account edit {taken.id} --active"
        )
    if taken is not None:
        raise InputError(f"{new.platform} account {new.handle} exists already (account {taken.id})")
    added = Account(
        client_id=owner.id,
        platform=new.platform,
        handle=new.handle,
        platform_account_id=new.platform_account_id,
        credentials_ref=new.credentials_ref,
        display_name=new.display_name,
        collect_interval_minutes=new.interval_minutes,
    )
    session.add(added)
    session.flush()
    return added


# --- identities ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewIdentity:
    platform: str
    handle: str  # canonical
    platform_user_id: str | None = None
    label: str | None = None


def check_identity(
    platform: str, handle: str, user_id: str | None = None, label: str | None = None
) -> NewIdentity:
    platform = platform.lower()
    return NewIdentity(platform, validation.handle(platform, handle), user_id, label)


def add_identity(session: Session, client_name: str, new: NewIdentity) -> tuple[Client, int]:
    """Store the identity and re-count the client's stored items: (client, re-counted)."""
    owner = find_client(session, client_name)
    exists = session.scalar(
        select(Identity).where(
            Identity.client_id == owner.id,
            Identity.platform == new.platform,
            Identity.handle == new.handle,
        )
    )
    if exists:
        raise InputError(f"{new.handle} on {new.platform} is already an identity of {owner.name!r}")
    session.add(
        Identity(
            client_id=owner.id,
            platform=new.platform,
            handle=new.handle,
            platform_user_id=new.platform_user_id,
            label=new.label,
        )
    )
    session.flush()
    return owner, refresh_own_flags(session, owner.id)


# --- users -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    client_names: tuple[str, ...]
    email: str | None
    language: str


def check_user(
    username: str,
    *,
    role: str,
    client_names: Sequence[str] = (),
    email: str | None = None,
    language: str = "en",
) -> NewUser:
    username = validation.username(username)
    language = validation.language(language)
    email = validation.email(email) if email else None
    if role == Role.OWNER and not client_names:
        raise InputError("an owner needs at least one --client to see")
    if role == Role.CONSULTANT and client_names:
        raise InputError("a consultant sees every client; drop --client")
    return NewUser(username, role, tuple(client_names), email, language)


def check_user_is_new(session: Session, new: NewUser) -> None:
    """Before a password is asked for: the clients exist and the name is free."""
    for name in new.client_names:
        find_client(session, name)
    existing = session.scalar(
        select(User.username).where(User.username_key == canonical_username(new.username))
    )
    if existing is not None:
        raise InputError(username_taken(new.username, existing))


def username_taken(username: str, existing: str) -> str:
    """Why ``username`` cannot be given to a user: ``existing`` has it, maybe in another case."""
    if existing == username:
        return f"user {username!r} exists already"
    return (
        f"user {username!r} exists already as {existing!r}; user names are the same name "
        "whatever their case"
    )


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password is too short; expected at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def add_user(session: Session, new: NewUser, password: str) -> tuple[User, list[Client]]:
    """Store the user with the hash of ``password``: (user, the clients it may see)."""
    check_user_is_new(session, new)
    clients = [find_client(session, name) for name in new.client_names]
    added = User(
        username=new.username,
        password_hash=hash_password(check_password(password)),
        role=new.role,
        email=new.email,
        language=new.language,
    )
    added.grants = [UserClient(client_id=found.id) for found in clients]
    session.add(added)
    session.flush()
    return added, clients
