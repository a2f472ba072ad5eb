"""A person at a simulated platform's consent screen, without a browser: read the form the
page really shows, fill it in as a person would, and post it. The demo connects an
account this way and the tests use it where no browser is needed (the browser tests
click the same page in Chromium)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


class ConsentError(Exception):
    """The consent page or the decision did not answer as a platform's would."""


@dataclass
class ConsentForm:
    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    who: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)  # name -> values


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = ConsentForm(action="")
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form.action = found.get("action", "")
        elif tag == "input" and found.get("type") == "hidden":
            self.form.hidden[found["name"]] = found.get("value", "")
        elif tag == "input" and found.get("type") == "checkbox":
            self.form.checkboxes.setdefault(found["name"], []).append(found.get("value", ""))
        elif tag == "option":
            self._option = found.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self.form.who.append((self._option, data.strip()))
            self._option = None


def read_consent(browser: requests.Session, url: str) -> ConsentForm:
    page = browser.get(url, allow_redirects=False, timeout=30)
    if page.status_code != 200:
        raise ConsentError(f"the consent page answered HTTP {page.status_code}: {page.text[:300]}")
    reader = _FormReader()
    reader.feed(page.text)
    reader.form.action = urljoin(url, reader.form.action)
    return reader.form


def consent(
    url: str,
    *,
    approve: bool = True,
    who: str | None = None,
    uncheck: tuple[str, ...] = (),
    browser: requests.Session | None = None,
) -> str:
    """Open the consent screen at ``url``, decide, and return where the platform sends the
    browser back (the redirect URI with code and state, or with the error)."""
    browser = browser or requests.Session()
    form = read_consent(browser, url)
    data: list[tuple[str, str]] = list(form.hidden.items())
    if form.who:
        chosen = next((value for value, label in form.who if who in (None, value, label)), None)
        if chosen is None:
            raise ConsentError(f"{who!r} cannot sign in here; the page offers {form.who}")
        data.append(("who", chosen))
    for name, values in form.checkboxes.items():
        data.extend((name, value) for value in values if value not in uncheck)
    data.append(("decision", "approve" if approve else "deny"))
    answer = browser.post(form.action, data=data, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise ConsentError(f"the decision answered HTTP {answer.status_code}: {answer.text[:300]}")
    return answer.headers["Location"]


def callback_params(location: str) -> dict[str, str]:
    """The query of the link back, as the callback receives it."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(location).query).items()}
