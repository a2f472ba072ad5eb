"""A bigger demo portfolio: the same clients again, under other names, handles and ids.

``replicated(DEMO_PORTFOLIO, 10)`` has 30 clients telling the three stories ten times. Copy
1 is the portfolio itself; copy ``n`` appends ``n`` to client names ("Bäckerei Huber 2"),
handles (``@baeckereihuber2``, ``@velolindner2@mastodon.social``,
``harbourlanebooks2.bsky.social``), owners' user names and credentials names, and shifts
platform ids so that they stay in their platform's form and never collide. The consultant
stays one person who sees every copy. :func:`sandbox.generator.generate_demo` seeds each
account's activity from its client's name and handle, so every copy has activity of its
own, as deterministic as the original's.
"""

from __future__ import annotations

from dataclasses import replace

from sandbox.generator.portfolio import AccountSpec, ClientSpec, IdentitySpec, Portfolio, UserSpec

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # the alphabet of did:plc identifiers
_CHANNEL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # channel ids
X_HANDLE_MAX = 15
MAX_COPIES = 1000


def _numeric_id(value: str, copy: int) -> str:
    # Numeric ids of X, Facebook, Instagram and Mastodon: shifted, same number of digits.
    return str(int(value) + (copy - 1) * 7919)


def _did(value: str, copy: int) -> str:
    # did:plc: and 24 base32 letters: the last two count the copy, and the one before them
    # differs from the original's, so that no copy can spell the original.
    number = copy - 1
    marker = "a" if value[-3] != "a" else "b"
    return value[:-3] + marker + _BASE32[number // 32 % 32] + _BASE32[number % 32]


def _channel_id(value: str, copy: int) -> str:
    # A YouTube channel id, "UC" and 22 URL-safe letters: the last two count the copy, the
    # one before them differs from the original's (as for DIDs).
    number = copy - 1
    marker = "A" if value[-3] != "A" else "B"
    return value[:-3] + marker + _CHANNEL[number // 64 % 64] + _CHANNEL[number % 64]


def platform_id(value: str, copy: int) -> str:
    """The id ``value`` of copy 1 as copy ``copy`` has it."""
    if copy == 1:
        return value
    if value.startswith("did:plc:"):
        return _did(value, copy)
    if value.isdigit():
        return _numeric_id(value, copy)
    if value.startswith("UC") and len(value) == 24:
        return _channel_id(value, copy)
    raise ValueError(f"no rule to copy the platform id {value!r}")


def _name(name: str, suffix: str, limit: int | None = None) -> str:
    return (name[: limit - len(suffix)] if limit else name) + suffix


def handle(platform: str, value: str, copy: int) -> str:
    """A canonical or world handle of copy 1 as copy ``copy`` has it."""
    if copy == 1:
        return value
    suffix = str(copy)
    at = "@" if value.startswith("@") else ""
    bare = value.removeprefix("@")
    if platform == "mastodon" and "@" in bare:
        user, instance = bare.split("@", 1)
        return f"{at}{user}{suffix}@{instance}"
    if platform == "bluesky":
        user, _, domain = bare.partition(".")
        return f"{user}{suffix}.{domain}" if domain else f"{user}{suffix}"
    return at + _name(bare, suffix, X_HANDLE_MAX if platform == "x" else None)


def _account(account: AccountSpec, copy: int) -> AccountSpec:
    return replace(
        account,
        handle=handle(account.platform, account.handle, copy),
        actor_id=platform_id(account.actor_id, copy),
        world_handle=handle(account.platform, account.world_handle, copy),
        token=f"{account.token}-{copy}",
        credentials_ref=f"{account.credentials_ref}_{copy}",
        page_id=platform_id(account.page_id, copy) if account.page_id else None,
    )


def _identity(identity: IdentitySpec, copy: int) -> IdentitySpec:
    return replace(
        identity,
        handle=handle(identity.platform, identity.handle, copy),
        actor_id=platform_id(identity.actor_id, copy),
        world_handle=handle(identity.platform, identity.world_handle, copy),
    )


def _client(client: ClientSpec, copy: int) -> ClientSpec:
    if copy == 1:
        return client
    return replace(
        client,
        name=f"{client.name} {copy}",
        accounts=tuple(_account(account, copy) for account in client.accounts),
        identities=tuple(_identity(identity, copy) for identity in client.identities),
    )


def _owner(user: UserSpec, copy: int) -> UserSpec:
    local, _, domain = user.email.partition("@")
    return replace(
        user,
        username=f"{user.username}{copy}",
        email=f"{local}+{copy}@{domain}",
        clients=tuple(f"{name} {copy}" for name in user.clients),
    )


def replicated(portfolio: Portfolio, copies: int) -> Portfolio:
    """``portfolio`` ``copies`` times over (1: unchanged); ids and handles all distinct."""
    if not 1 <= copies <= MAX_COPIES:
        raise ValueError(f"copies must be 1 to {MAX_COPIES}, not {copies}")
    if copies == 1:
        return portfolio
    clients = tuple(_client(client, copy) for copy in range(1, copies + 1)
                    for client in portfolio.clients)  # fmt: skip
    users = list(portfolio.users)
    for copy in range(2, copies + 1):
        users += [_owner(user, copy) for user in portfolio.users if user.role == "owner"]
    result = Portfolio(clients=clients, users=tuple(users))
    _check_distinct(result)
    return result


def _check_distinct(portfolio: Portfolio) -> None:
    seen: dict[tuple[str, str], str] = {}
    for client in portfolio.clients:
        specs: list[AccountSpec | IdentitySpec] = [*client.accounts, *client.identities]
        for spec in specs:
            for key in ((spec.platform, spec.actor_id), (spec.platform, spec.handle.lower())):
                if seen.setdefault(key, client.name) != client.name:
                    raise ValueError(f"copies collide on {key} ({seen[key]}, {client.name})")
