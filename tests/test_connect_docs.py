"""The manual's page on connecting lists every permission the connect flows ask for."""

from __future__ import annotations

from pathlib import Path

from storage.platforms import REGISTRY

PAGE = Path(__file__).resolve().parents[1] / "docs" / "operators" / "connecting.md"


def test_every_permission_asked_for_is_in_the_manual_with_a_reason():
    text = PAGE.read_text(encoding="utf-8")
    for spec in REGISTRY:
        if spec.connect is None:
            continue
        for permission in spec.connect.permissions:
            short = permission.name.rsplit("/", 1)[-1]
            assert f"`{short}`" in text, (spec.name, permission.name)
    assert "| `business_management` | not asked by default" in text
