"""Redirects, templates and acknowledgments on hand-labelled real texts (tests/support/
labelled.py): the classifiers' precision and recall, as docs/metrics.md reports them.

The labels come first; the figures are whatever the classifiers make of them. The
redirect and acknowledgment lists were written while reading the TWCS sample, so their
figures on it are not held out; the fixture texts and the written German rows were
labelled afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import gzip
import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from metrics import api
from metrics.acknowledgments import (
    acknowledgment_reason,
    is_acknowledgment_text,
    load_acknowledgments,
)
from metrics.questions import is_question
from metrics.replies import is_redirect, load_replies, normalised, redirect_reason, reply_key
from metrics.wordlists import WordListError
from replywatch.importing.twcs import import_twcs
from storage.models import Item, ItemFact
from tests.conftest import FIXTURES
from tests.support.labelled import (
    ACK_LABELS,
    REPLY_LABELS_FIXTURES,
    REPLY_LABELS_TWCS,
    REPLY_LABELS_WRITTEN,
    TEMPLATES_TWCS,
    precision_recall,
)

SAMPLE = FIXTURES / "twcs" / "twcs_sample.csv"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
NOW = datetime(2017, 12, 31, tzinfo=UTC)
TWCS_TEXTS = {
    row["tweet_id"]: html.unescape(row["text"])
    for row in csv.DictReader(SAMPLE.open(encoding="utf-8"))
}


def _text(source: str, value: str) -> str:
    return TWCS_TEXTS[value] if source == "twcs" else value


def _reply_rows() -> list[tuple[str, str, str]]:
    twcs = [("twcs", tweet, label) for tweet, label in REPLY_LABELS_TWCS.items()]
    return [*twcs, *REPLY_LABELS_FIXTURES, *REPLY_LABELS_WRITTEN]


# --- the tables are what they say --------------------------------------------------------


def _fixture_strings() -> set[str]:
    """Every string value of every JSON body in tests/fixtures (cassettes decoded)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for path in FIXTURES.rglob("*"):
        if path.suffix == ".json":
            walk(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".yaml":
            for interaction in yaml.safe_load(path.read_text()).get("interactions", []):
                body = interaction["response"]["body"]
                raw = body.get("string") if isinstance(body, dict) else body
                if isinstance(raw, str) and raw and not raw.lstrip().startswith(("{", "[")):
                    raw = base64.b64decode(raw)
                if isinstance(raw, bytes):
                    with contextlib.suppress(OSError):  # not every body is compressed
                        raw = gzip.decompress(raw)
                    raw = raw.decode("utf-8", "replace")
                try:
                    walk(json.loads(raw))
                except (TypeError, ValueError):
                    continue
    return found


def test_the_tables_are_large_enough_and_their_real_texts_are_real():
    replies = _reply_rows()
    real_replies = [row for row in replies if not row[0].startswith("written")]
    assert len(real_replies) >= 60
    assert {label for *_, label in replies} == {"redirect", "substantive"}
    acks = [row for row in ACK_LABELS]
    assert len(acks) >= 40
    assert sum(1 for *_, label in acks if label) >= 15
    assert sum(1 for *_, label in acks if not label) >= 15
    # the written rows are German, besides two English ones marked "written-en"
    assert sum(1 for source, *_ in acks if source == "written") >= 15
    strings = _fixture_strings()
    for source, text, _ in [*REPLY_LABELS_FIXTURES, *ACK_LABELS]:
        if source == "twcs" or source.startswith("written"):
            continue
        assert any(text.strip() in value for value in strings), (source, text)
    twcs_ids = {tweet for tweet, label in REPLY_LABELS_TWCS.items()}
    brands = {row for row in TWCS_TEXTS if not row.isdigit()}
    assert len(twcs_ids) == 44 and not brands  # every brand tweet of the sample, labelled


# --- the classifiers on the tables ------------------------------------------------------------


def _redirect_figures(rows) -> tuple[float, float, int, int, int]:
    return precision_recall(
        [(label == "redirect", is_redirect(_text(s, t))) for s, t, label in rows]
    )


def _ack_figures(rows) -> tuple[float, float, int, int, int]:
    def predicted(source: str, value: str) -> bool:
        text = _text(source, value)
        return is_acknowledgment_text(text) and not is_question(text)

    return precision_recall([(label, predicted(s, t)) for s, t, label in rows])


def _docs_row(name: str) -> str:
    rows = [
        line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| {name} |")
    ]
    assert len(rows) == 1, f"docs/metrics.md has no single row for {name!r}"
    return rows[0]


def _cells(figures: tuple[float, float, int, int, int], rows: int) -> str:
    precision, recall, hits, false_hits, misses = figures
    return (
        f"| {rows} | {hits} | {false_hits} | {misses} | {precision * 100:.0f} % | "
        f"{recall * 100:.0f} % |"
    )


def test_redirects_precision_and_recall_as_the_docs_report_them():
    replies = _reply_rows()
    real = [row for row in replies if not row[0].startswith("written")]
    written = [row for row in replies if row[0].startswith("written")]
    real_figures, written_figures = _redirect_figures(real), _redirect_figures(written)
    assert real_figures[0] >= 0.9 and real_figures[1] >= 0.9
    assert written_figures[0] >= 0.8 and written_figures[1] >= 0.8
    assert _docs_row("redirect, real replies").endswith(_cells(real_figures, len(real)))
    assert _docs_row("redirect, written (German)").endswith(_cells(written_figures, len(written)))


def test_acknowledgments_precision_and_recall_as_the_docs_report_them():
    real = [row for row in ACK_LABELS if not row[0].startswith("written")]
    written = [row for row in ACK_LABELS if row[0].startswith("written")]
    real_figures, written_figures = _ack_figures(real), _ack_figures(written)
    assert real_figures[0] >= 0.9 and real_figures[1] >= 0.8
    assert written_figures[0] >= 0.9 and written_figures[1] >= 0.8
    assert _docs_row("acknowledgment, real texts").endswith(_cells(real_figures, len(real)))
    assert _docs_row("acknowledgment, written (German)").endswith(
        _cells(written_figures, len(written))
    )


def test_the_pipeline_rates_the_samples_brand_tweets_as_labelled(engine):
    """Templates need the conversation around a reply: the sample imported, each brand a
    client, the facts computed. A reply both redirect and template counts as redirect."""
    with engine.connect() as connection:
        import_twcs(connection, SAMPLE)
    with Session(engine) as session:
        api.refresh(session, now=NOW)
        session.commit()
        rows = session.execute(
            select(Item.platform_item_id, ItemFact.redirect, ItemFact.template, ItemFact.role)
            .join(ItemFact, ItemFact.item_id == Item.id)
            .where(Item.is_own)
        ).all()
    templates = {tweet for tweet, _, template, _ in rows if template}
    template_figures = precision_recall(
        [(tweet in TEMPLATES_TWCS, tweet in templates) for tweet, *_ in rows]
    )
    assert template_figures[:2] == (1.0, 1.0)
    assert _docs_row("template, TWCS sample").endswith(_cells(template_figures, len(rows)))
    for tweet, redirect, template, _ in rows:
        rated = "redirect" if redirect else "template" if template else "substantive"
        label = REPLY_LABELS_TWCS[tweet]
        assert rated == label or tweet in ("",), (tweet, rated, label, TWCS_TEXTS[tweet])
    # the real acknowledgments of the sample are acknowledgments in the facts, too
    with Session(engine) as session:
        roles = dict(
            session.execute(
                select(Item.platform_item_id, ItemFact.role).join(
                    ItemFact, ItemFact.item_id == Item.id
                )
            ).all()
        )
    for source, tweet, label in ACK_LABELS:
        if source == "twcs":
            assert (roles[tweet] == "acknowledgment") is label, (tweet, roles[tweet])


# --- the rules behind them ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Perfect, I'll come by on Wednesday.", "'perfect' and 5 other words"),
        ("@SpotifyCares Brilliant thanks 😊", "'brilliant'"),
        ("👍🏻🙏", "only the emoji 👍🙏"),
        ("Danke, aber das Paket ist immer noch nicht da", None),  # a veto after the thanks
        ("no problem", "'no problem'"),  # a phrase, not a veto
        ("Hat leider nicht geklappt", None),
        ("Thanks. My order 12345 arrived damaged", None),
        ("", None),
    ],
)
def test_acknowledgment_reasons(text, reason):
    assert acknowledgment_reason(text) == reason


def test_redirects_hold_nothing_else():
    assert redirect_reason("Send us a DM so we can look into this together. ^AY") == (
        "sends elsewhere: 'send us a dm'"
    )
    # a question for the details to send privately is part of the redirect
    assert is_redirect("Which version of iOS are you on? DM us and we'll go from there.")
    # a sentence that tells the customer something is content
    assert not is_redirect("You can find that in Settings > General > About. Reply in DM.")
    assert not is_redirect("You'll even receive a congrats email. Are you almost there?")
    assert not is_redirect("Danke!")  # nothing sends anyone anywhere


def test_two_sends_of_one_pasted_reply_have_one_key():
    first = "@105839 Hi Anna, sorry to hear that! Please DM us your order number 4711. ^JS"
    second = "@2201 Hi Ben, sorry to hear that! Please DM us your order number 99. -Mike"
    assert (
        normalised(first)
        == normalised(second)
        == ("hi sorry to hear that please dm us your order number")
    )
    assert reply_key(first) == reply_key(second) is not None
    assert reply_key("Oh no, Anna. We're on it!") == reply_key("Oh no, Ben! We're on it.")
    assert reply_key("Die Torte ist fertig.") != reply_key("Die Brezel ist fertig.")
    assert reply_key("@x 😊 https://t.co/a") is None  # nothing left of it


def test_unusable_lists_are_refused_by_name(tmp_path: Path):
    broken = tmp_path / "acknowledgments.toml"
    broken.write_text('[en]\nphrases = ["thanks("]\nfillers = []\nvetoes = []\n')
    with pytest.raises(WordListError, match=r"acknowledgment list .*phrases: 'thanks\(' is not a"):
        load_acknowledgments(broken)
    missing = tmp_path / "replies.toml"
    missing.write_text("[en]\nredirects = []\n")
    with pytest.raises(WordListError, match=r"reply patterns .* \[en\]: needs 'fillers'"):
        load_replies(missing)
