"""The words for an account's credentials (storage.renewal's standing), the same on every
page: "needs renewal by 2027-02-01" two weeks before a connected grant ends, what the
platform said when it refused, and where to reconnect."""

from __future__ import annotations

from dashboard.i18n import translate
from storage.platforms import REGISTRY
from storage.renewal import CredentialState, Standing


def credentials_text(state: CredentialState, language: str) -> str:
    date = f"{state.ends:%Y-%m-%d}" if state.ends is not None else ""
    texts = {
        Standing.UNCHECKED: translate("not checked yet", language),
        Standing.OK: (
            translate("ok until {date}", language, date=date) if date else translate("ok", language)
        ),
        Standing.RENEW_SOON: translate("needs renewal by {date}", language, date=date),
        Standing.EXPIRED: translate("expired: needs renewal", language),
        Standing.REVOKED: translate("access taken back: needs renewal", language),
        Standing.NO_PERMISSION: translate("a permission is missing: needs renewal", language),
        Standing.REFUSED: translate("needs renewal", language),
    }
    return texts[state.standing]


def connect_method(platform: str) -> str | None:
    """How an account of ``platform`` is connected ("oauth", "app_password"), or None."""
    spec = next((s for s in REGISTRY if s.name == platform), None)
    return spec.connect.method if spec is not None and spec.connect is not None else None


def reconnect_href(client_id: int, platform: str) -> str:
    return f"/connect?client={client_id}&platform={platform}#offer-{platform}"
