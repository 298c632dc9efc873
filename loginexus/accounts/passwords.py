"""A password rule of our own, beside Django's validators and zxcvbn's strength estimate
(settings.AUTH_PASSWORD_VALIDATORS): a password is not only whitespace."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotOnlyWhitespaceValidator:
    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(
                _("This password is only spaces; use letters, digits or symbols."),
                code="password_whitespace_only",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be only spaces.")
