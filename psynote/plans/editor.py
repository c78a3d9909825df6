"""The draft editor's small forms, each turned into a whole new structure document.

Every form on the editor page posts one `op` (add, update or remove one item, or the
agreement and review fields) and names its item or parent by key. `apply_edit` returns
the draft's structure with that one change; `actions.save_structure` then checks and
stores the whole document, so the page and the API share one write path.
"""

import copy
import uuid
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
    raise ValidationError(f"that {kind} is no longer in this draft; the page was out of date")


def _values(post: QueryDict, kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: post.get(name, "").strip() for name in KINDS[kind][2]}
    for name in ("diagnosis_id", "responsible_user_id"):
        if name in values:
            values[name] = values[name] or None
    return values


def apply_edit(structure: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The structure after the one change the form `post` asks for."""
    result = copy.deepcopy(structure)
    op = post.get("op", "")
    verb, _, kind = op.partition("_")
    if op == "header":
        for name in HEADER_FIELDS:
            result[name] = post.get(name, "").strip() or None
        result["client_agreement_method"] = result["client_agreement_method"] or ""
        return result
    if kind not in KINDS or verb not in ("add", "update", "remove"):
        raise ValidationError("unknown change requested")
    if verb == "add":
        list_name, parent_kind, _ = KINDS[kind]
        item = {"key": str(uuid.uuid4()), **_values(post, kind)}
        for child in CHILDREN.get(kind, ()):
            item[child] = []
        if parent_kind is None:
            result[list_name].append(item)
        else:
            _, parent = _find(result, parent_kind, post.get("parent", ""))
            parent[list_name].append(item)
        return result
    items, item = _find(result, kind, post.get("key", ""))
    if verb == "update":
        item.update(_values(post, kind))
    else:
        items.remove(item)
    return result
