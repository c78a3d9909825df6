"""A password rule Django's validators leave out: twelve spaces, or `aaaaaaaaaaaa`, pass
the length, common-password and numeric checks but are guessed at once."""

from typing import Any

from django.core.exceptions import ValidationError

MIN_DISTINCT = 5


class VarietyValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError("This password is only spaces.", code="password_blank")
        if len(set(password)) < MIN_DISTINCT:
            raise ValidationError(
                f"This password repeats too few characters: use at least {MIN_DISTINCT} "
                "different ones.",
                code="password_too_uniform",
            )

    def get_help_text(self) -> str:
        return f"Your password must use at least {MIN_DISTINCT} different characters."
