"""What every page's form shares: a service's ValidationError shown on the form."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError


def errors_onto(form, error: ValidationError, *, renamed: Mapping[str, str] | None = None) -> None:
    """A service's field errors on the form's fields (the rest above the form). `renamed`: the
    form's name of a field the service names otherwise (e.g. the model's `email` shown on a
    form's `billing_email`)."""
    for field, problems in error.message_dict.items():
        field = (renamed or {}).get(field, field)
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
