"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is sent."""

from __future__ import annotations

import email
import email.policy
from collections import Counter

from aiosmtpd.controller import Controller

from outreach.pitching.mailer import SmtpSender
from support.services import free_port


class Server:
    """A running aiosmtpd Controller with its port and recorder."""

    def __init__(self, **kwargs):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port,
                                     server_hostname="smtp.test", **kwargs)
        self.controller.start()

    def factory(self, security="none", **kwargs):
        return lambda: SmtpSender("127.0.0.1", self.port, security, timeout=5, **kwargs)


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and refuses chosen recipients."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.hang_up_after: set[str] = set()  # take the message, then drop the line

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.hang_up_after & set(envelope.rcpt_tos):
            server.transport.close()
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(content, policy=email.policy.default)
                for _, _, content in self.received]

    def copies(self) -> Counter:
        return Counter(rcpt for _, rcpts, _ in self.received for rcpt in rcpts)


REFUSAL = "550 5.1.1 mailbox unavailable"
