"""What every `psynote` subcommand shares: how it speaks, how it refuses, which practice."""

from typing import Any


class Refused(Exception):
    """A subcommand declines to go on; the message tells the operator why and what to do."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def say(text: str = "") -> None:
    print(text, flush=True)


def select_practice(selector: str | None) -> Any:
    from psynote.accounts.models import Practice

    practices = Practice.objects.order_by("pk")
    if selector is None:
        if practices.count() == 1:
            return practices.get()
        if not practices.exists():
            raise Refused("No practice yet: run `psynote init --practice-name NAME` first.")
        raise Refused("Name the practice with --practice (its name or number): "
                      + "; ".join(f"{p.pk}: {p.name}" for p in practices))
    found = practices.filter(pk=int(selector)) if selector.isdigit() else practices.filter(
        name=selector)
    if not found.exists():
        raise Refused(f"No practice {selector!r}.")
    return found.get()
