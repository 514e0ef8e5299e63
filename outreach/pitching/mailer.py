"""The SMTP adapter: the only code that talks to a mail server.

`SmtpSender` keeps one connection open for a whole batch and sends one message
at a time. It tells its caller exactly how far a message got, because the
pitching code promises that nobody is e-mailed twice:

    OutreachError
    ├── SendFailed        the server refused this message (its own words); nothing was delivered
    ├── ConnectionFailed  no usable connection (unreachable, TLS, sign-in); nothing was sent
    └── DeliveryUnknown   the connection broke while the message was being handed over:
                          it may or may not have arrived, so it must not be sent again

The password is never logged, never put in an error message, and never shown
in the sender's repr.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from outreach.errors import OutreachError

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")


class SendFailed(OutreachError):
    """The server refused the message; the text is its reply ('550 5.1.1 mailbox unavailable')."""


class ConnectionFailed(OutreachError):
    """The mail server could not be reached, secured or signed in to; nothing was sent."""


class DeliveryUnknown(OutreachError):
    """The connection broke while a message was being handed over; it may have arrived."""


class _Dropped(Exception):
    """The connection was gone before any part of the message had been sent."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, TimeoutError):
        return "no answer before the time-out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    sender = parseaddr(str(message["Sender"] or message["From"] or ""))[1]
    recipients = [addr for _, addr in getaddresses(
        [str(v) for v in message.get_all("To", []) + message.get_all("Cc", [])]) if addr]
    if not sender or not recipients:
        raise SendFailed("The message has no sender (From) or no recipient (To, Cc).")
    return sender, recipients


def _is_international(message: EmailMessage) -> bool:
    sender, recipients = _envelope(message)
    return not all(a.isascii() for a in (sender, *recipients))


def eml_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire and into an .eml file: CRLF lines, 7-bit headers
    unless an address itself needs UTF-8 (SMTPUTF8)."""
    policy = email.policy.SMTPUTF8 if _is_international(message) else email.policy.SMTP
    return message.as_bytes(policy=policy)


class SmtpSender:
    """One SMTP connection for a batch: `with SmtpSender(...) as s: s.send(message)`.

    `security` is "starttls" (port 587), "tls" (implicit TLS, port 465) or "none".
    TLS certificates are verified with `ssl_context` (the system's trust store by
    default). It signs in when `user` is set. A connection the server dropped
    while idle is reopened before the next message, since nothing was sent on it.
    """

    def __init__(self, host: str, port: int, security: str, user: str = "",
                 password: str = "", timeout: float = 30,
                 ssl_context: ssl.SSLContext | None = None):
        if security not in SECURITY:
            raise ConnectionFailed(f"Unknown SMTP security {security!r}: use one of "
                                   f"{', '.join(SECURITY)}.")
        self.host, self.port, self.security = host, port, security
        self.user = user
        self._password = password
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return (f"SmtpSender({self.host!r}, {self.port}, {self.security!r}, "
                f"user={self.user!r})")

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> SmtpSender:
        self._connect()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection; a server that already left is fine."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except OSError:
            self._smtp.close()
        self._smtp = None

    def _connect(self) -> None:
        context = self._ssl_context or ssl.create_default_context()
        log.info("connecting to SMTP %s (%s) as %s", self._where, self.security,
                 self.user or "nobody")
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                smtp.ehlo_or_helo_if_needed()
                if self.user:
                    smtp.login(self.user, self._password)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionFailed(f"The mail server {self._where} refused the sign-in for "
                                   f"{self.user}: {_describe(exc)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ConnectionFailed(f"The mail server {self._where} cannot do this: {exc} "
                                   "Check the security setting and the port.") from None
        except OSError as exc:
            raise ConnectionFailed(f"Could not connect to the mail server {self._where} "
                                   f"({self.security}): {_describe(exc)}") from None
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Deliver one message to the server, or raise SendFailed, ConnectionFailed or
        DeliveryUnknown saying how far it got (see the module's docstring)."""
        sender, recipients = _envelope(message)
        international = _is_international(message)
        payload = eml_bytes(message)
        try:
            self._start(sender, recipients, international)
        except _Dropped:
            self._reconnect()
            try:
                self._start(sender, recipients, international)
            except _Dropped:
                self._discard()
                raise ConnectionFailed(f"The mail server {self._where} keeps closing the "
                                       "connection; nothing was sent.") from None
        try:
            self._smtp.data(payload)
        except smtplib.SMTPDataError as exc:
            self._reset()
            raise SendFailed(_describe(exc)) from None
        except OSError as exc:
            self._discard()
            raise DeliveryUnknown(f"The connection to {self._where} broke while the message "
                                  f"was being handed over ({_describe(exc)}).") from None

    def _start(self, sender: str, recipients: list[str], international: bool) -> None:
        """MAIL FROM and RCPT TO: up to here nothing is delivered, whatever breaks."""
        smtp = self._smtp
        if smtp is None:
            raise _Dropped
        if international and not smtp.has_extn("smtputf8"):
            raise SendFailed("The mail server does not accept addresses with accents or "
                             "other non-ASCII letters (it lacks SMTPUTF8).")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        try:
            self._expect(smtp.mail(sender, options), (250,))
            for recipient in recipients:
                self._expect(smtp.rcpt(recipient), (250, 251))
        except OSError:
            raise _Dropped from None

    def _expect(self, reply: tuple[int, bytes], accepted: tuple[int, ...]) -> None:
        code, text = reply
        if code == 421:  # "closing the channel": the connection dropped, nothing was refused
            raise _Dropped
        if code not in accepted:
            self._reset()
            raise SendFailed(_reply(code, text))

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except OSError:
            self._discard()

    def _discard(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None

    def _reconnect(self) -> None:
        self._discard()
        log.info("the SMTP server %s closed the connection; opening a new one", self._where)
        self._connect()
