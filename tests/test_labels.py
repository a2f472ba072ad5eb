"""Every verdict and metric has a name and explanation in every language."""

from metrics.labels import (
    LANGUAGES,
    METRIC_NAMES,
    Verdict,
    metric_name,
    verdict_explanation,
    verdict_name,
)


def test_every_language_names_every_verdict_and_metric():
    for language in LANGUAGES:
        for verdict in Verdict:
            assert verdict_name(verdict, language)
            assert verdict_explanation(verdict, language).endswith(".")
        assert set(METRIC_NAMES[language]) == set(METRIC_NAMES["en"])
    assert verdict_name("broadcast_only", "de") == "nur Senden"
    assert metric_name("response_ratio", "fr") == "response ratio"  # unknown language: English
