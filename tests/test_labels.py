"""Every verdict and metric has a name and explanation in every language."""

from metrics.labels import (
    LANGUAGES,
    METRIC_NAMES,
    Verdict,
    metric_name,
    verdict_explanation,
    verdict_name,
    weeks_judged,
)


def test_every_language_names_every_verdict_and_metric():
    for language in LANGUAGES:
        for verdict in Verdict:
            assert verdict_name(verdict, language)
            assert verdict_explanation(verdict, language).endswith(".")
        for key in METRIC_NAMES:
            assert metric_name(key, language)
    # German is translated, not the English id handed through.
    german = {metric_name(key, "de") for key in METRIC_NAMES}
    assert german.isdisjoint({"response ratio", "dialogue share", "posts"})
    assert verdict_name("broadcast_only", "de") == "nur Senden"
    assert verdict_explanation("unresponsive", "de") == (
        "Die meisten Kunden, die schreiben, bekommen keine Antwort."
    )
    assert metric_name("response_ratio", "de") == "Antwortquote"
    assert metric_name("response_ratio", "fr") == "response ratio"  # unknown language: English


def test_the_widened_window_has_plural_forms():
    assert weeks_judged(5, "en") == "over the last 5 weeks"
    assert weeks_judged(5, "de") == "in den letzten 5 Wochen"
    assert weeks_judged(1, "en") == "over the last week"
    assert weeks_judged(1, "de") == "in der letzten Woche"
