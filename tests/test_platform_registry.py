"""Every registered platform has all its parts, and no product layer lists platforms.

The registry (storage/platforms.py) is the one declaration of what a platform is. These
tests iterate over it: a platform added there without its collector, its simulated server,
its recorded responses, its display name, its log redaction, a handle rule or its
settings fails here, naming the platform and the missing part.
"""

from __future__ import annotations

import ast
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.contract import CollectorFactory
from collectors.http import origin
from collectors.redact import LEAKY_LOGGERS, install_log_filter, register_secret
from dashboard.names import platform_name
from replywatch.collecting import COLLECTORS, api_origins
from replywatch.config import SETTINGS_BY_KEY, load_settings
from replywatch.demo.platforms import simulated_platforms
from replywatch.references import load
from reports.catalog import Wording
from sandbox.generator import generate_demo
from sandbox.http import SandboxServer
from storage.platforms import (
    REGISTRY,
    ApiSetting,
    Credentials,
    HandleRule,
    PlatformSpec,
    ThreadShape,
    canonical_handle,
)
from tests.support.source_trees import parse_files

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
PRODUCT = ("storage", "collectors", "metrics", "dashboard", "reports", "replywatch")

# Real responses of each platform's API (folders under tests/fixtures, provenance in its
# README.md): what the simulated server is shaped after. A new platform adds its own.
RECORDED_RESPONSES = {
    "x": ("x-api-v2", "x-tweepy-cassettes"),
    "facebook": ("graph-api/facebook",),
    "instagram": ("graph-api/instagram",),
    "mastodon": ("mastodon-cassettes",),
    "youtube": ("youtube",),
}
# Known gap, kept visible: the simulated Bluesky is checked through atproto's lexicon
# models (tests/test_sandbox_bluesky.py), not against recorded responses.
WITHOUT_RECORDINGS = {"bluesky"}


def missing_parts(spec: PlatformSpec) -> list[str]:
    """What ``spec`` lacks of the parts every platform has; empty when complete."""
    missing = []
    if not spec.display_name.strip():
        missing.append("display name")
    try:
        factory = load(spec.collector)
    except (ImportError, AttributeError, ValueError):
        factory = None
    if not isinstance(factory, CollectorFactory):
        missing.append(f"collector factory {spec.collector}")
    try:
        server = load(spec.simulated_server)
    except (ImportError, AttributeError, ValueError):
        server = None
    if not (
        isinstance(server, type)
        and issubclass(server, SandboxServer)
        and server.for_activity.__func__ is not SandboxServer.for_activity.__func__  # type: ignore[attr-defined]
    ):
        missing.append(f"simulated server {spec.simulated_server} (with for_activity)")
    folders = RECORDED_RESPONSES.get(spec.name, ())
    if not folders or not all(any((FIXTURES / f).rglob("*.*")) for f in folders):
        missing.append("recorded responses in tests/fixtures")
    if not spec.log_names:
        missing.append("loggers to redact")
    if spec.handle.canonical(spec.handle.example) != spec.handle.example:
        missing.append(f"handle rule accepting its own example {spec.handle.example!r}")
    if not any(setting.form == "url" for setting in spec.api_settings):
        missing.append("API base URL setting")
    return missing


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda spec: spec.name)
def test_every_registered_platform_has_its_parts(spec: PlatformSpec):
    if spec.name in WITHOUT_RECORDINGS:
        assert missing_parts(spec) == ["recorded responses in tests/fixtures"]
    else:
        assert missing_parts(spec) == []


def test_a_platform_registered_without_its_parts_is_caught():
    bare = PlatformSpec(
        name="tiktok",
        display_name="",
        handle=HandleRule(lambda text: None, "a TikTok handle like @shop", "@shop"),
        thread_shape=ThreadShape.FLAT,
        credentials=Credentials(required=True, secret="an access token"),
        permalink=None,
        log_names=(),
        api_settings=(),
        collector="collectors.tiktok.factory:FACTORY",
        simulated_server="sandbox.tiktok_api:TikTokServer",
    )
    assert missing_parts(bare) == [
        "display name",
        "collector factory collectors.tiktok.factory:FACTORY",
        "simulated server sandbox.tiktok_api:TikTokServer (with for_activity)",
        "recorded responses in tests/fixtures",
        "loggers to redact",
        "handle rule accepting its own example '@shop'",
        "API base URL setting",
    ]


def test_names_and_settings_are_unique():
    assert len({spec.name for spec in REGISTRY}) == len(REGISTRY)
    assert len({spec.display_name for spec in REGISTRY}) == len(REGISTRY)
    declared: dict[str, ApiSetting] = {}
    for spec in REGISTRY:
        for setting in spec.api_settings:
            # A setting shared by two platforms (the Graph API's) is declared the same.
            assert declared.setdefault(setting.key, setting) == setting


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda spec: spec.name)
def test_every_layer_shows_the_registered_display_name(spec: PlatformSpec):
    assert platform_name(spec.name) == spec.display_name
    assert Wording("en", NOW).platform(spec.name) == spec.display_name


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda spec: spec.name)
def test_settings_and_collector_follow_the_registry(spec: PlatformSpec, tmp_path):
    settings = load_settings(None, env={"XDG_CONFIG_HOME": str(tmp_path)})
    for api in spec.api_settings:
        assert SETTINGS_BY_KEY[api.key].env == api.env
        assert settings.get(api.key) == api.default
    collector = COLLECTORS[spec.name]("a-token-of-the-operator", settings)
    assert collector.platform == spec.name
    # The hosts a collect checks before calling are those of the default settings (or,
    # for a platform without a default, the host its handle names).
    handle = canonical_handle(spec.name, spec.handle.example)
    origins = api_origins(spec.name, handle, True, settings)
    defaults = {origin(a.default) for a in spec.api_settings if a.form == "url" and a.default}
    assert origins and (origins <= defaults or not defaults)


class _Keep(logging.Handler):
    """The messages a logger hands its handlers, after the logger's filters."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda spec: spec.name)
def test_every_platform_logger_is_scrubbed(spec: PlatformSpec):
    install_log_filter()
    secret = f"{spec.name}-secret-0123456789"
    register_secret(secret)
    for name in spec.log_names:
        assert name in LEAKY_LOGGERS
        logger, keep = logging.getLogger(name), _Keep()
        level = logger.level
        logger.addHandler(keep)
        logger.setLevel(logging.DEBUG)
        try:
            logger.debug("GET /me?token=%s", secret)
        finally:
            logger.removeHandler(keep)
            logger.setLevel(level)
        assert keep.messages == ["GET /me?token=***"], name


@pytest.fixture(scope="module")
def demo_activity():
    return generate_demo(now=NOW, seed=1, weeks=2)


def test_the_demo_serves_every_registered_platform(demo_activity):
    with simulated_platforms(demo_activity) as running:
        assert set(running.servers) == {spec.name for spec in REGISTRY}
        for spec in REGISTRY:
            server = running.servers[spec.name]
            assert isinstance(server, load(spec.simulated_server))
            for setting in spec.api_settings:
                if setting.form == "url":
                    assert running.settings[setting.key] == server.url
            try:
                with urllib.request.urlopen(server.url + "/", timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as refused:
                status = refused.code
            assert 200 <= status < 500  # it listens and answers in HTTP


# --- no product layer lists platforms --------------------------------------------------

REGISTRY_MODULE = Path("storage/platforms.py")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def platform_literals(root: Path = ROOT) -> dict[str, list[tuple[int, str]]]:
    """Per product file: string constants that are a registered platform's name.

    Plotly's axis keys ``"x"`` in dicts are not the platform X and are left out.
    """
    names = {spec.name for spec in REGISTRY}
    found: dict[str, list[tuple[int, str]]] = {}
    paths = [
        path
        for package in PRODUCT
        for path in sorted((root / package).rglob("*.py"))
        if path.relative_to(root) != REGISTRY_MODULE
    ]
    for path, tree in parse_files(paths).items():
        relative = path.relative_to(root)
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                skip.update(id(key) for key in node.keys if isinstance(key, ast.Constant)
                            and key.value == "x")  # fmt: skip
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in names
                and id(node) not in skip
            ):
                found.setdefault(str(relative), []).append((node.lineno, node.value))
    return found


def test_no_product_module_names_a_platform_outside_the_registry():
    assert platform_literals() == {}


def test_the_literal_scan_finds_a_platform_list(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "shapes.py").write_text(
        '"""Docstrings may name facebook."""\nFLAT = ("facebook", "instagram")\nAXIS = {"x": 0}\n',
        encoding="utf-8",
    )
    for package in PRODUCT:
        (tmp_path / package).mkdir(exist_ok=True)
    assert platform_literals(tmp_path) == {"metrics/shapes.py": [(2, "facebook"), (2, "instagram")]}
