"""The draft editor's one form, turned into a whole new structure document.

The editor page is a single form with one Save: every item's fields are named
`<key>:<field>`, the agreement and review fields by their own names, and each "add" box
`new:<kind>:<parent key>:<field>` (no parent for a problem). `apply_form` returns the
draft's structure with all of it applied: every field changed, the one item whose Remove
button was pressed (`remove=<kind>:<key>`) removed, and every add box with something
typed in it (or whose Add button was pressed, `add=<kind>:<parent key>`) added.
`actions.save_structure` then checks and stores the whole document in one transaction, so
one bad field leaves the whole draft as it was; the page and the API share that write path.
"""

import copy
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict

KINDS = {
    # kind: (list name in its parent, parent kind, fields the form carries)
    "problem": ("problems", None, ("diagnosis_id", "text")),
    "goal": ("goals", "problem", ("text",)),
    "objective": ("objectives", "goal", ("text", "baseline", "target", "target_date", "status")),
    "intervention": (
        "interventions",
        "problem",
        ("modality", "frequency", "responsible_user_id", "responsible"),
    ),
}
CHILDREN = {"problem": ("goals", "interventions"), "goal": ("objectives",)}
HEADER_FIELDS = ("client_agreement_date", "client_agreement_method", "review_due")
STALE = "the page was out of date: reload it and make the change again"
# Fields with a value before anything is typed: they alone do not make an add box count.
PRESET = {"status"}


def items_of(structure: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every item of the draft with its kind, parents before their children."""
    for problem in structure["problems"]:
        yield "problem", problem
        for goal in problem["goals"]:
            yield "goal", goal
            for objective in goal["objectives"]:
                yield "objective", objective
        for intervention in problem["interventions"]:
            yield "intervention", intervention


def _find(structure: dict[str, Any], kind: str, key: str) -> tuple[list[Any], dict[str, Any]]:
    """(the list holding the item, the item) for an item of `kind` with `key`."""
    name = KINDS[kind][0]
    if kind == "problem":
        lists = [structure["problems"]]
    elif kind in ("goal", "intervention"):
        lists = [p[name] for p in structure["problems"]]
    else:
        lists = [g[name] for p in structure["problems"] for g in p["goals"]]
    for items in lists:
        for item in items:
            if item["key"] == key:
                return items, item
    raise ValidationError(f"that {kind} is no longer in this draft; {STALE}")


def _clean(name: str, value: str) -> str | None:
    value = value.strip()
    if name in ("diagnosis_id", "responsible_user_id"):
        return value or None
    return value


def additions(post: QueryDict) -> dict[tuple[str, str], dict[str, Any]]:
    """What each add box holds, by (kind, parent key); boxes left empty are left out,
    unless their own Add button was pressed (adding nothing is then an error to show)."""
    boxes: dict[tuple[str, str], dict[str, Any]] = {}
    for name in post:
        prefix, _, rest = name.partition(":")
        kind, _, rest = rest.partition(":")
        parent, _, field = rest.rpartition(":")
        if prefix != "new" or kind not in KINDS or field not in KINDS[kind][2]:
            continue
        boxes.setdefault((kind, parent), {})[field] = _clean(field, post.get(name, ""))
    pressed = tuple(post.get("add", "").split(":", 1))
    return {
        where: values
        for where, values in boxes.items()
        if where == pressed or any(v for f, v in values.items() if f not in PRESET)
    }


def apply_form(structure: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The structure after everything the editor's form `post` asks for."""
    result = copy.deepcopy(structure)
    for name in HEADER_FIELDS:
        if name in post:
            result[name] = post.get(name, "").strip() or None
    result["client_agreement_method"] = result.get("client_agreement_method") or ""
    known = set()
    for kind, item in items_of(result):
        known.add(item["key"])
        for field in KINDS[kind][2]:
            if f"{item['key']}:{field}" in post:
                item[field] = _clean(field, post.get(f"{item['key']}:{field}", ""))
    # Typing into an item someone else has since removed: say so rather than drop it.
    typed = {name.partition(":")[0] for name in post if ":" in name and not name.startswith("new:")}
    if typed - known:
        raise ValidationError(STALE)
    if remove := post.get("remove"):
        kind, _, key = remove.partition(":")
        if kind not in KINDS:
            raise ValidationError("unknown change requested")
        items, item = _find(result, kind, key)
        items.remove(item)
    add = post.get("add", "")
    if add and add.partition(":")[0] not in KINDS:
        raise ValidationError("unknown change requested")
    for (kind, parent), values in sorted(
        additions(post).items(), key=lambda entry: list(KINDS).index(entry[0][0])
    ):
        blank = {field: _clean(field, "") for field in KINDS[kind][2]}
        item = {"key": str(uuid.uuid4()), **blank, **values}
        for child in CHILDREN.get(kind, ()):
            item[child] = []
        list_name, parent_kind, _ = KINDS[kind]
        if parent_kind is None:
            result[list_name].append(item)
        else:
            _, holder = _find(result, parent_kind, parent)
            holder[list_name].append(item)
    return result


def typed_into(shown: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The draft as the page shows it (`outline`) with what was typed in a refused form
    put back in its boxes, for display only: nothing here is looked up or stored."""
    for name in HEADER_FIELDS:
        if name in post:
            shown[name] = post.get(name, "")
    boxes = additions(post)
    shown["new_problem"] = boxes.get(("problem", ""))
    for kind, item in items_of(shown):
        for field in KINDS[kind][2]:
            if f"{item['key']}:{field}" in post:
                item[field] = post.get(f"{item['key']}:{field}", "")
        for child in ("goal", "objective", "intervention"):
            if KINDS[child][1] == kind:
                item[f"new_{child}"] = boxes.get((child, item["key"]))
    return shown
