"""Links to many rows of one kind for the price of one `reverse`: a list page (the chart's
timeline, the caseload) reversed the same route once per row, and each `{% url %}` costs
the resolver's lookup, the converter and the quoting again."""

from collections.abc import Callable
from uuid import UUID

from django.urls import reverse

_MARK = UUID(int=0)


def link_maker(name: str) -> Callable[[object], str]:
    """`reverse(name, args=[pk])` as a function of the uuid `pk`: the route reversed once
    around a placeholder, then each link is a string join. Made per request, so the
    script prefix and URLconf in force are those of this request."""
    head, tail = reverse(name, args=[_MARK]).split(str(_MARK))
    return lambda pk: f"{head}{pk}{tail}"
