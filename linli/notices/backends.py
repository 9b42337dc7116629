"""Where text messages go. settings.LINLI_SMS_BACKEND names one of these classes (or a
gateway's, with the same `send`); every message is also a Notification row with its status."""

import logging
import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("linli.sms")


def mask_phone(phone: str) -> str:
    # Logs are read by operators: a phone number is personal information (PIPL).
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class BaseSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        """Hand the message to the gateway; raise to report a failure."""
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    """The default: no gateway, the message goes to the log."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints each message in full, for development."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, phone: str, text: str) -> None:
        self.stream.write(f"SMS to {phone}:\n{text}\n\n")
        self.stream.flush()


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox`, for tests."""

    outbox: list[tuple[str, str]] = []
    _lock = threading.Lock()

    def send(self, *, phone: str, text: str) -> None:
        with self._lock:
            self.outbox.append((phone, text))


def sms_backend() -> BaseSmsBackend:
    return import_string(settings.LINLI_SMS_BACKEND)()
