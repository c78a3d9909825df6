"""Which rows of each carried table belong to one practice (ADR 0010, "Several practices").

Every clinical row reaches its practice through foreign keys (a note through its client, a
search entry through its note, a hold through its client...), and the audit tables name it
in `practice_id`. The path is found from the models at run time, as the list of tables is
(`tables.carried_models`), so a table added later is scoped without anyone remembering it;
a carried table with no path to a practice fails `test_every_carried_table_reaches_a_practice`.
Users without a practice (the installation's operators) belong to none and never move.
"""

from collections import deque
from functools import cache

from django.db import models
from django.db.models import Q

from psynote.accounts.models import Practice


class NoPath(LookupError):
    pass


def _links(model: type[models.Model], nullable: bool) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and (nullable or not f.null)]


def _search(model: type[models.Model], nullable: bool) -> str | None:
    queue: deque[tuple[type[models.Model], str]] = deque([(model, "")])
    seen = {model}
    while queue:
        current, prefix = queue.popleft()
        for fk in _links(current, nullable):
            target = fk.related_model
            lookup = f"{prefix}{fk.name}"
            if target is Practice:
                return f"{lookup}_id"
            if target not in seen:
                seen.add(target)
                queue.append((target, f"{lookup}__"))
    return None


@cache
def path_to_practice(model: type[models.Model]) -> str:
    """The lookup from `model` to its practice's id, e.g. "note__client__practice_id":
    through required links only when there is such a path (a row whose optional link is
    empty still belongs to its practice), else through optional ones (a user's practice)."""
    if model is Practice:
        return "pk"
    if "practice_id" in {f.attname for f in model._meta.concrete_fields}:
        return "practice_id"
    found = _search(model, nullable=False) or _search(model, nullable=True)
    if found is None:
        raise NoPath(model._meta.db_table)
    return found


def of_practice(model: type[models.Model], practice_id: int) -> Q:
    return Q(**{path_to_practice(model): practice_id})


def rows_of(model: type[models.Model], practice_id: int) -> models.QuerySet:
    return model._base_manager.filter(of_practice(model, practice_id))
