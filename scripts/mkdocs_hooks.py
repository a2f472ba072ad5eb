"""MkDocs hooks for the replywatch manual (mkdocs.yml ``hooks:``).

A page that contains the marker ``<!-- settings-reference -->`` gets the table of every
setting made from ``replywatch.config.SETTINGS`` in its place, so the configuration
reference cannot drift from the settings the code reads.
"""

from __future__ import annotations

from typing import Any

SETTINGS_MARKER = "<!-- settings-reference -->"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if SETTINGS_MARKER not in markdown:
        return markdown
    from replywatch.config import reference_table

    return markdown.replace(SETTINGS_MARKER, reference_table())
