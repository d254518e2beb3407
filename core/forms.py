"""What every page's form shares with the services behind it."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def refusal_on_form(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form, next to the fields it names (or above them)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)
