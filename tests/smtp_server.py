"""A real SMTP server on loopback (aiosmtpd) that records what it receives, as pytest fixtures."""

import asyncio
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


class RecordingHandler:
    def __init__(self):
        self.received: list[ReceivedEmail] = []
        self.refusal: str | None = None
        self.delay = 0.0
        self.stalls = 0
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stalls:
            # The next sessions hang before any message is sent, as a stuck server would.
            self.stalls -= 1
            self.stalled.set()
            await asyncio.sleep(3600)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            # Keeps a delivery in flight so that concurrent senders overlap.
            await asyncio.sleep(self.delay)
        if self.refusal:
            return self.refusal
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackSMTPServer:
    """Start, stop, refuse or accept on a fixed loopback port while tests run."""

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[ReceivedEmail]:
        return self.handler.received

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, reply: str = "451 4.3.0 Try again later"):
        """Answer every message with this SMTP reply instead of accepting it."""
        self.handler.refusal = reply

    def accept(self):
        self.handler.refusal = None

    def mailers_setting(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


@pytest.fixture
def smtp_down(settings):
    """Mail is configured for a loopback port where nothing listens yet; call .start() later."""
    server = LoopbackSMTPServer()
    settings.MAILERS = server.mailers_setting()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_down):
    """A running loopback SMTP server that Django's default mailer sends to."""
    smtp_down.start()
    return smtp_down
