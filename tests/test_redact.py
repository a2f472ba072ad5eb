"""Tokens are removed from texts and from the logs of the HTTP and platform libraries."""

from __future__ import annotations

import logging

from collectors.redact import install_log_filter, register_secret, scrub


def test_scrub_removes_registered_secrets_and_token_shapes():
    register_secret("s3cr3t-value-0815")
    register_secret("abc")  # too short to mask safely: ignored
    text = (
        "HTTPSConnectionPool(host='graph.facebook.com'): Max retries exceeded with url: "
        "/v24.0/me?access_token=EAAGunknown123&fields=id; header {'Authorization': "
        "'Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid'}; s3cr3t-value-0815; abc"
    )
    cleaned = scrub(text)
    assert "EAAGunknown123" not in cleaned and "AAAAAAAAAAAAAAAAAAAA" not in cleaned
    assert "s3cr3t-value-0815" not in cleaned and cleaned.endswith("***; abc")
    assert "access_token=***&fields=id" in cleaned and "'Bearer ***'" in cleaned


def test_scrub_leaves_prose_alone():
    message = "Graph error 190: Invalid OAuth access token - Cannot parse access token"
    assert scrub(message) == message


def test_library_debug_logs_are_scrubbed(caplog):
    install_log_filter()
    register_secret("EAAGlogged0123456789")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug(
            '%s://%s:%s "%s %s %s" %s', "https", "graph.facebook.com", 443, "GET",
            "/v24.0/me?access_token=EAAGlogged0123456789", "HTTP/1.1", 200,
        )  # fmt: skip
    assert "EAAGlogged0123456789" not in caplog.text
    assert "access_token=***" in caplog.text
