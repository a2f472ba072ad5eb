"""Handing messages to an SMTP server: STARTTLS, implicit TLS or plain, with login.

One :class:`Mailer` keeps one connection for a batch. ``send`` speaks MAIL FROM and RCPT
TO, then calls ``before_data`` and only then sends DATA: the caller records there that
the message is about to be handed over (see reports/delivery.py), because after the
server's reply to DATA the message is the server's, whatever happens to this process.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType

from reports.message import message_bytes


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    sender: str = ""
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: str | None = None

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


class SendError(Exception):
    """The message was not accepted.

    ``permanent``: retrying the same message is pointless (the server said 5xx to it).
    ``uncertain``: the connection broke during DATA without a reply, so the server may
    have accepted the message; sending it again could deliver it twice.
    """

    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


class Fenced(Exception):
    """``before_data`` said no: somebody else owns this message now; nothing was sent."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


class Mailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        where = config.describe()
        try:
            smtp: smtplib.SMTP
            if config.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout, context=self._tls_context()
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            smtp.ehlo()
            if config.security == "starttls":
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise SendError(f"SMTP server {where} does not offer STARTTLS")
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if config.user:
                smtp.login(config.user, config.password or "")
        except SendError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"SMTP server {where} refused the login of {config.user!r}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(f"SMTP server {where}: {exc}") from None
        except ssl.SSLError as exc:
            raise SendError(f"TLS with SMTP server {where} failed: {exc.reason or exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot reach SMTP server {where}: {_describe(exc)}") from None
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(
        self,
        message: EmailMessage,
        recipient: str,
        before_data: Callable[[], bool] | None = None,
    ) -> None:
        """Hand one message over; raises SendError (not accepted) or Fenced (not sent)."""
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        where = self.config.describe()
        in_data = False
        try:
            code, text = smtp.mail(self.config.sender)
            if code != 250:
                smtp.rset()
                raise SendError(
                    f"SMTP server {where} refused the sender {self.config.sender}: "
                    f"{_reply(code, text)}",
                    permanent=False,  # a configuration problem: fixable, so retried
                )
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                raise SendError(
                    f"SMTP server {where} refused the recipient {recipient}: {_reply(code, text)}",
                    permanent=500 <= code < 600,
                )
            if before_data is not None and not before_data():
                smtp.rset()
                raise Fenced(recipient)
            in_data = True
            code, text = smtp.data(message_bytes(message))
            if code != 250:
                raise SendError(
                    f"SMTP server {where} did not accept the message: {_reply(code, text)}",
                    permanent=500 <= code < 600,
                )
        except (SendError, Fenced):
            raise
        except smtplib.SMTPDataError as exc:
            # The server answered DATA itself with a refusal: nothing was accepted.
            raise SendError(
                f"SMTP server {where} did not accept the message: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}",
                permanent=500 <= exc.smtp_code < 600,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            # The connection is unusable now; the next message opens a new one.
            self._smtp = None
            with contextlib.suppress(OSError):
                smtp.close()
            raise SendError(
                f"sending through SMTP server {where} failed: {_describe(exc)}",
                uncertain=in_data,
            ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__
