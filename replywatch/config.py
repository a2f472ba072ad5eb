"""Settings: built-in defaults < TOML file < environment variables < command-line options.

Every setting is declared once in ``SETTINGS`` with its TOML key, its environment
variable, its type, its default and its description, so the manual's configuration
reference (``reference_table``, docs/operators/configuration.md) and the validation come
from the same place. A bad value names the setting, where it came from and what is expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from replywatch.secrets import check_reference
from storage.engine import DatabaseURLError, normalise_url, sqlite_url
from storage.platforms import api_settings


class ConfigError(ValueError):
    """A setting, a configuration file or a secrets file is not usable."""


def _data_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _config_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _data_home(env) / "replywatch"


def default_database_path(env: Mapping[str, str] = os.environ) -> Path:
    return default_data_dir(env) / "replywatch.db"


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    return _config_home(env) / "replywatch" / "config.toml"


def default_secrets_path(env: Mapping[str, str] = os.environ) -> Path:
    return _config_home(env) / "replywatch" / "secrets.toml"


# --- value parsers: each raises ValueError with the expected form ----------------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty text")
    return value.strip()


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return number

    return parse


def _http_url(value: Any) -> str:
    text = _text(value)
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("an http:// or https:// URL")
    return text.rstrip("/")


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise ValueError("one of " + ", ".join(options))
        return text

    return parse


def _graph_version(value: Any) -> str:
    text = _text(value)
    digits = text.removeprefix("v")
    major, _, minor = digits.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ValueError('a Graph API version like "v24.0"')
    return f"v{int(major)}.{int(minor)}"


def _database_url(value: Any) -> str:
    text = _text(value)
    try:
        normalise_url(text)
    except DatabaseURLError:
        raise ValueError("sqlite:///PATH or postgresql://USER@HOST/DB") from None
    return text


def _path(value: Any) -> str:
    return str(Path(_text(value)).expanduser())


def _clock_time(value: Any) -> str:
    text = _text(value)
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError('a time of day like "07:00"')
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValueError('a time of day like "07:00"')
    return f"{int(hours):02d}:{minutes}"


@dataclass(frozen=True)
class Setting:
    key: str  # dotted TOML key, e.g. "smtp.port"
    env: str
    parse: Callable[[Any], Any]
    default: Any
    help: str  # Markdown: the configuration reference of the manual is made from it
    # What the default means when it is computed at run time (``default`` is then None).
    default_text: str | None = None

    @property
    def shown_default(self) -> str:
        if self.default_text is not None:
            return self.default_text
        return "—" if self.default is None else f"`{self.default}`"


def _secret_name(value: Any) -> str:
    text = _text(value)
    try:
        return check_reference(text)
    except ValueError:
        raise ValueError(
            "the name of an environment variable or secrets-file key (letters, digits, _), "
            "not the secret itself"
        ) from None


def _loopback_callback(value: Any) -> str:
    text = _http_url(value)
    parsed = urlparse(text)
    if parsed.scheme != "http" or parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("an http://127.0.0.1:PORT/... URL (the command line listens there)")
    if not parsed.port:
        raise ValueError("an http://127.0.0.1:PORT/... URL with a port")
    return text


# How each form of platform setting in the registry is read.
_PLATFORM_FORMS: dict[str, Callable[[Any], Any]] = {
    "url": _http_url,
    "graph_version": _graph_version,
    "text": _text,
    "secret_name": _secret_name,
}


def _platform_settings() -> tuple[Setting, ...]:
    """The API settings the platform registry declares (base URLs, the Graph version)."""
    return tuple(
        Setting(
            api.key, api.env, _PLATFORM_FORMS[api.form], api.default, api.help, api.default_text
        )
        for api in api_settings()
    )


SETTINGS: tuple[Setting, ...] = (
    Setting("database.url", "REPLYWATCH_DATABASE_URL", _database_url, None,
            "`sqlite:///PATH` or `postgresql://USER@HOST/DB`",
            "SQLite file `replywatch.db` in the data folder"),
    Setting("secrets_file", "REPLYWATCH_SECRETS_FILE", _path, None,
            "TOML file of secrets (`KEY = \"value\"`), readable by its owner only",
            "`~/.config/replywatch/secrets.toml`"),
    Setting("log_level", "REPLYWATCH_LOG_LEVEL", _choice("debug", "info", "warning", "error"),
            "info", "debug, info, warning, error"),
    *_platform_settings(),
    Setting("collect.request_timeout", "REPLYWATCH_REQUEST_TIMEOUT", _integer(1, 600), 30,
            "seconds one API request may take in all (connecting, waiting, reading the whole "
            "answer) before it counts as timed out"),
    Setting("collect.max_response_mb", "REPLYWATCH_MAX_RESPONSE_MB", _integer(1, 1024), 32,
            "largest answer (MB) one API request may bring; reading a larger one stops there "
            "and the call fails"),
    Setting("collect.max_retries", "REPLYWATCH_MAX_RETRIES", _integer(0, 10), 3,
            "retries of a failed request (timeout, refused, cut off, 5xx)"),
    Setting("collect.retry_budget_seconds", "REPLYWATCH_RETRY_BUDGET", _integer(0, 3600), 60,
            "seconds one account's run may lose to failed requests and retry pauses before "
            "it gives up (`failed`), so that a failing platform does not hold up the other "
            "accounts"),
    Setting("collect.jitter_seconds", "REPLYWATCH_COLLECT_JITTER", _integer(0, 3600), 120,
            "random delay added to each scheduled collection"),
    Setting("collect.history_days", "REPLYWATCH_COLLECT_HISTORY_DAYS", _integer(1, 3650), 90,
            "how far back the first collection of an account reaches (X: at most 3,200 "
            "posts)"),
    Setting("collect.thread_days", "REPLYWATCH_COLLECT_THREAD_DAYS", _integer(1, 365), 14,
            "posts this young have their threads re-read: on every run on "
            "Facebook/Instagram, on a schedule that slows as they age on Mastodon/Bluesky"),
    Setting("collect.older_posts_days", "REPLYWATCH_COLLECT_OLDER_POSTS_DAYS",
            _integer(0, 3650), 365,
            "Facebook/Instagram: older posts up to this age are checked on every run for new "
            "comments (one call per 100 posts); a post whose comments changed is read again. "
            "`0` switches it off ([costs](collection-costs.md))"),
    Setting("connect.key_file", "REPLYWATCH_CONNECT_KEY_FILE", _path, None,
            "the key file (mode 600) that seals connected accounts' tokens in the database; "
            "every machine on the same database needs a copy ([connecting](connecting.md))",
            "`connections.key` in the data folder"),
    Setting("connect.cli_redirect_uri", "REPLYWATCH_CONNECT_CLI_REDIRECT_URI",
            _loopback_callback, "http://127.0.0.1:8765/callback",
            "where the platform sends the browser back after `replywatch account connect`: "
            "the command listens there once (register it with the platform's app)"),
    Setting("dashboard.host", "REPLYWATCH_DASHBOARD_HOST", _text, "127.0.0.1",
            "address the dashboard listens on"),
    Setting("dashboard.port", "REPLYWATCH_DASHBOARD_PORT", _integer(1, 65535), 8050,
            "port the dashboard listens on"),
    Setting("dashboard.public_url", "REPLYWATCH_PUBLIC_URL", _http_url, None,
            "the dashboard's URL as recipients reach it (links in emails); its "
            "`/connect/callback` is the redirect URI of the dashboard's Connect page"),
    Setting("dashboard.secret_key_ref", "REPLYWATCH_SECRET_KEY_REF", _text, None,
            "name of the secret (at least 32 characters) that signs session cookies; set it "
            "when several machines serve one dashboard",
            "generated, kept in `dashboard-secret-key` in the data folder (mode 600)"),
    Setting("dashboard.secure_cookies", "REPLYWATCH_DASHBOARD_SECURE_COOKIES",
            _choice("auto", "always", "never"), "auto",
            "mark cookies Secure: `auto` (when the request came over https), `always`, "
            "`never`"),
    Setting("dashboard.session_hours", "REPLYWATCH_DASHBOARD_SESSION_HOURS", _integer(1, 720),
            12, "hours without a request after which a dashboard login ends"),
    Setting("dashboard.trusted_proxy", "REPLYWATCH_DASHBOARD_TRUSTED_PROXY", _text, None,
            "address of a reverse proxy whose `X-Forwarded-For` / `-Proto` headers are "
            "believed"),
    Setting("dashboard.threads", "REPLYWATCH_DASHBOARD_THREADS", _integer(1, 64), 8,
            "worker threads of the dashboard's web server"),
    Setting("privacy.key_ref", "REPLYWATCH_PRIVACY_KEY_REF", _text, None,
            "name of the secret (at least 32 characters) that makes the pseudonyms of "
            "purged and forgotten authors; set it when the service and the command line run "
            "on several machines ([privacy](privacy.md))",
            "generated, kept in `privacy-key` in the data folder (mode 600)"),
    Setting("smtp.host", "REPLYWATCH_SMTP_HOST", _text, None, "SMTP server for weekly emails"),
    Setting("smtp.port", "REPLYWATCH_SMTP_PORT", _integer(1, 65535), 587, "SMTP port"),
    Setting("smtp.security", "REPLYWATCH_SMTP_SECURITY", _choice("starttls", "ssl", "none"),
            "starttls", "`starttls`, `ssl` or `none`"),
    Setting("smtp.user", "REPLYWATCH_SMTP_USER", _text, None, "SMTP user name"),
    Setting("smtp.password_ref", "REPLYWATCH_SMTP_PASSWORD_REF", _text, None,
            "name of the secret holding the SMTP password"),
    Setting("smtp.sender", "REPLYWATCH_SMTP_SENDER", _text, None,
            "From address of the weekly emails"),
    Setting("smtp.timeout", "REPLYWATCH_SMTP_TIMEOUT", _integer(1, 600), 30,
            "seconds before an SMTP connection or command times out"),
    Setting("smtp.ca_file", "REPLYWATCH_SMTP_CA_FILE", _path, None,
            "PEM file of certificate authorities to trust for the SMTP server (a company CA)",
            "the system's"),
    Setting("email.send_time", "REPLYWATCH_EMAIL_SEND_TIME", _clock_time, "07:00",
            "Monday time, in each client's time zone, when the weekly email goes out"),
    Setting("email.late_hours", "REPLYWATCH_EMAIL_LATE_HOURS", _integer(1, 160), 48,
            "how long after that a week's email is still sent when the service was down"),
    Setting("email.max_attempts", "REPLYWATCH_EMAIL_MAX_ATTEMPTS", _integer(1, 50), 8,
            "sending attempts of one email before it is marked failed"),
    Setting("email.chart_browser", "REPLYWATCH_EMAIL_CHART_BROWSER", _path,
            "/usr/bin/chromium", "the Chromium that draws the email's chart image"),
    Setting("reports.browser", "REPLYWATCH_REPORTS_BROWSER", _path, "/usr/bin/chromium",
            "the Chromium that draws the audit report's charts and prints it to PDF"),
    Setting("service.lease_seconds", "REPLYWATCH_SERVICE_LEASE_SECONDS", _integer(3, 3600), 120,
            "lifetime of a lease, renewed every third of it; a crashed service's work is "
            "taken over after at most this long"),
    Setting("service.workers", "REPLYWATCH_SERVICE_WORKERS", _integer(1, 64), 4,
            "jobs the service runs at the same time"),
    Setting("service.reconcile_seconds", "REPLYWATCH_SERVICE_RECONCILE_SECONDS",
            _integer(1, 3600), 60,
            "how often the service picks up added, changed and removed accounts"),
    Setting("service.stop_seconds", "REPLYWATCH_SERVICE_STOP_SECONDS", _integer(0, 3600), 60,
            "on SIGTERM / Ctrl-C, how long running jobs may finish before they are abandoned"),
)  # fmt: skip

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}


def reference_table() -> str:
    """Every setting as a Markdown table: the manual's configuration reference."""
    rows = ["| TOML key | environment variable | default | meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        rows.append(
            f"| `{setting.key}` | `{setting.env}` | {setting.shown_default} | {setting.help} |"
        )
    return "\n".join(rows)


@dataclass(frozen=True)
class Settings:
    """Resolved settings. ``values`` maps dotted keys to parsed values."""

    values: Mapping[str, Any]
    config_file: Path | None
    sources: Mapping[str, str]  # dotted key -> where the value came from

    def get(self, key: str) -> Any:
        return self.values[key]

    @property
    def database_url(self) -> str:
        url = self.values["database.url"]
        return url if url else sqlite_url(default_database_path())

    @property
    def secrets_file(self) -> Path:
        configured = self.values["secrets_file"]
        return Path(configured) if configured else default_secrets_path()

    @property
    def key_file(self) -> Path:
        """The key that seals connected accounts' tokens (replywatch.connect.vault)."""
        configured = self.values["connect.key_file"]
        return Path(configured) if configured else default_data_dir() / "connections.key"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        # TOML is UTF-8; a file saved in Latin-1 or UTF-16 fails before any parsing.
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"configuration file {path} is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
            f"on line {line}; save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc.strerror}") from None
    flat = _flatten(table)
    for key in flat:
        if key not in SETTINGS_BY_KEY:
            known = ", ".join(sorted(SETTINGS_BY_KEY))
            raise ConfigError(f"{path}: unknown setting {key!r}; known settings: {known}")
    return flat


def load_settings(
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] = os.environ,
) -> Settings:
    """Resolve every setting; raises ConfigError naming the first bad one."""
    path: Path | None
    if config_file is not None:
        path = Path(config_file).expanduser()
    elif env.get("REPLYWATCH_CONFIG"):
        path = Path(env["REPLYWATCH_CONFIG"]).expanduser()
    else:
        path = default_config_path(env)
        path = path if path.exists() else None
    from_file = read_config_file(path) if path is not None else {}

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        raw, source = setting.default, "default"
        if setting.key in from_file:
            raw, source = from_file[setting.key], f"{path} [{setting.key}]"
        if env.get(setting.env):
            raw, source = env[setting.env], f"environment variable {setting.env}"
        if overrides and overrides.get(setting.key) is not None:
            raw, source = overrides[setting.key], "command line"
        if raw is not None and source != "default":
            try:
                raw = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"{source}: {raw!r} is not valid for {setting.key}; expected {exc}"
                ) from None
        values[setting.key] = raw
        sources[setting.key] = source
    return Settings(values=values, config_file=path, sources=sources)
