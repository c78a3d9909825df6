"""Which tables a practice move carries, and their rows as JSON values (ADR 0010).

Every table of every installed app is carried, row for row and column for column, with its
primary keys: the associated data of every ciphertext names its table and row
(`crypto.aad_for`), so rows that keep their ids keep ciphertexts that open. Only the
tables in NOT_CARRIED are left behind, each for the reason given; a table added later is
carried without anyone having to remember it (a test fails if it were neither).
"""

import base64
from typing import Any

from django.apps import apps
from django.db import models

# Left behind on purpose. The first group is made by `migrate` on the target from the same
# code; the second ends with the move (everyone signs in again on the new server).
NOT_CARRIED: dict[str, str] = {
    "django_content_type": "made by `migrate` on the target from the same code",
    "auth_permission": "made by `migrate` on the target from the same code",
    "django_session": (
        "sign-ins end with the move: a session is bound to this server's SECRET_KEY and "
        "holds the psychotherapy-key vault sealed to a browser cookie"
    ),
    "accounts_signedinsession": "one row per Django session, which ends with the move",
}

# Psynote grants by role, never by Django group or per-user permission: these stay empty.
# They are not carried, so an export refuses to run while one of them holds a row, rather
# than silently leaving it behind.
MUST_BE_EMPTY: dict[str, str] = {
    "auth_group": "Psynote grants by role, not by Django group",
    "auth_group_permissions": "Psynote grants by role, not by Django group",
    "accounts_user_groups": "Psynote grants by role, not by Django group",
    "accounts_user_user_permissions": "Psynote grants by role, not per-user permission",
}

# Columns wrapped by the installation's master key: (table, column, associated-data field,
# the column whose value names the row in the associated data). The move opens them with
# the source's master key, carries the inner value under the package key, and wraps it
# again under the target's master key. Nothing else depends on the master key except the
# audit chain key (carried the same way, from `ChainHead.key_wrapped` or derived).
MASTER_WRAPPED: list[tuple[str, str, str, str]] = [
    ("clients_client", "wrapped_key", "data_key", "id"),
    ("accounts_totpdevice", "secret_sealed", "secret", "user_id"),
    # The outer layer only: inside it, the author's key stays sealed under their password
    # or recovery key (ADR 0009), which the move never sees.
    ("notes_psychotherapykey", "password_wrapped", "password_outer", "user_id"),
    ("notes_psychotherapykey", "recovery_wrapped", "recovery_outer", "user_id"),
    ("notes_psychotherapykey", "legacy_wrapped", "data_key", "user_id"),
    # A supervisee's key for their supervision meeting notes (psynote.hours).
    ("hours_licence", "wrapped_key", "data_key", "user_id"),
]


def carried_models() -> list[type[models.Model]]:
    """Every model whose table the move carries, in the installed apps' order."""
    skipped = set(NOT_CARRIED) | set(MUST_BE_EMPTY)
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table not in skipped and model._meta.managed
        and not model._meta.proxy
    ]


def all_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def model_for(table: str) -> type[models.Model]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model
    raise LookupError(table)


def stored_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns written on insert: generated columns are the database's to compute."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _to_json(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, memoryview | bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(field, models.JSONField):
        return value
    if isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # UUID, Decimal


def _from_json(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def dump(model: type[models.Model], where: models.Q | None = None) -> dict[str, Any]:
    """The table (its rows matching `where`) as {"columns": [...], "rows": [[...], ...]},
    ordered by primary key."""
    fields = stored_fields(model)
    names = [f.attname for f in fields]
    rows = model._base_manager.filter(where or models.Q()).order_by("pk").values_list(*names)
    return {
        "columns": names,
        "rows": [[_to_json(f, v) for f, v in zip(fields, row, strict=True)] for row in rows],
    }


def load_rows(model: type[models.Model], table: dict[str, Any]) -> list[models.Model]:
    """Unsaved model instances for the rows of `table` (as `dump` wrote it)."""
    by_name = {f.attname: f for f in stored_fields(model)}
    columns = table["columns"]
    if set(columns) != set(by_name):
        raise ValueError(
            f"{model._meta.db_table} has columns {sorted(by_name)} here but "
            f"{sorted(columns)} in the package"
        )
    fields = [by_name[name] for name in columns]
    return [
        model(**{f.attname: _from_json(f, v) for f, v in zip(fields, row, strict=True)})
        for row in table["rows"]
    ]
