"""Settings for tests: defaults plus what the test names, never the machine's config."""

from __future__ import annotations

from typing import Any

from replywatch.config import Settings, load_settings


def settings_for(database_url: str | None = None, **values: Any) -> Settings:
    """``settings_for(url, **{"service.lease_seconds": 3})``; keys are dotted settings."""
    overrides = {"database.url": database_url, **values}
    return load_settings(
        env={"XDG_CONFIG_HOME": "/nonexistent/replywatch-tests"},
        overrides={key: str(value) for key, value in overrides.items() if value is not None},
    )
