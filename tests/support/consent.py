"""The person at a simulated consent screen (sandbox.person), for the tests."""

from sandbox.person import ConsentError, ConsentForm, callback_params, consent, read_consent

__all__ = ["ConsentError", "ConsentForm", "callback_params", "consent", "read_consent"]
