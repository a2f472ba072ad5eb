"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it accepts.

Options: STARTTLS or implicit TLS with a self-signed certificate made for the test,
AUTH LOGIN/PLAIN with one user, and scripted refusals (``refuse``) to test retries.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.postgres import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    # Recipient -> SMTP reply for RCPT TO (e.g. "550 5.1.1 no such user"); data_reply likewise.
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "replywatch test SMTP")])
    # OpenSSL checks validity against the machine's real clock, which the suite's clock
    # switch does not move: a certificate valid for any date a test run may pretend.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.attempts: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == self.user and auth_data.password == self.password
        )
        self.attempts.append(f"{mechanism}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    controller: Controller
    handler: RecordingHandler
    port: int
    ca_file: Path | None
    authenticator: Authenticator | None

    def stop(self) -> None:
        self.controller.stop()


def start_smtp(
    folder: Path,
    *,
    security: str = "none",  # none | starttls | ssl
    user: str | None = None,
    password: str | None = None,
) -> SmtpServer:
    handler = RecordingHandler()
    kwargs: dict = {}
    ca_file = None
    if security in ("starttls", "ssl"):
        ca_file, key_file = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(ca_file, key_file)
        if security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)
    authenticator = None
    if user is not None:
        authenticator = Authenticator(user, password or "")
        kwargs.update(authenticator=authenticator, auth_required=True)
        # aiosmtpd counts only STARTTLS as TLS; implicit TLS is encrypted from the start.
        kwargs["auth_require_tls"] = security == "starttls"
    port = free_port()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # AUTH without TLS: wanted here
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    if security == "ssl":
        # The controller's readiness probe speaks plain SMTP; with implicit TLS it must
        # connect over TLS too, which aiosmtpd does when it knows the context.
        controller.ssl_context = kwargs["ssl_context"]
    controller.start()
    return SmtpServer(controller, handler, port, ca_file, authenticator)
