"""The development and test email backend: every message is also written as
`<EMAIL_FILE_PATH>/<UTC timestamp>-<n>.eml` (RFC 822, readable by people, mail programs and
tests), then handed to another backend (EMAIL_INNER_BACKEND: the console in development)."""

import os
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(settings.EMAIL_FILE_PATH)
        self.inner = get_connection(settings.EMAIL_INNER_BACKEND, fail_silently=fail_silently)

    def _write(self, raw: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        number = 1
        while True:  # several processes may write in the same microsecond: never overwrite
            path = self.directory / f"{stamp}-{number}.eml"
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                number += 1
                continue
            with os.fdopen(descriptor, "wb") as file:
                file.write(raw)
            return path

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            self._write(message.message().as_bytes(linesep="\r\n"))
        return self.inner.send_messages(email_messages) or len(email_messages)
