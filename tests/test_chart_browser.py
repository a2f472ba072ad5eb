"""The email chart's browser is checked before kaleido starts it in a thread of its own
(a missing browser used to leave every later image request waiting forever)."""

from __future__ import annotations

import pytest

from reports.chart import ChartError, ChartRenderer, check_browser


def test_a_missing_or_unrunnable_browser_is_an_error_at_once_a_runnable_one_passes(tmp_path):
    # Refused on entering the batch, before kaleido's thread exists: no image is requested.
    renderer = ChartRenderer("/nonexistent/chromium")
    with pytest.raises(ChartError, match=r"no browser to draw the chart at /nonexistent/chromium"):
        renderer.__enter__()
    plain_file = tmp_path / "chromium"
    plain_file.write_text("not a program")
    with pytest.raises(ChartError, match=r"email\.chart_browser"):
        check_browser(str(plain_file))
    with pytest.raises(ChartError, match=r"no browser to draw the chart at"):
        check_browser(str(tmp_path))  # a folder
    plain_file.chmod(0o755)  # the check is about being runnable, not about the name
    assert check_browser(str(plain_file)) is None
