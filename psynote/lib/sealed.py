"""Structured clinical facts kept as one sealed document per row (ADR 0002).

A model declares the fields it keeps sealed with `Fact` (a diagnosis's code and
description, a measure's answers and scores, a disclosure's recipient and purpose). Each
reads and writes like a column — in forms, templates, the API schemas, `Model(**values)`
and `objects.create(...)` — but its value lives in one canonical-JSON document sealed
with AES-256-GCM into the row's `facts_ct`, under the owner's data key, with associated
data `"<table>:<row id>:facts"`. The document is opened once per row, on first use.

The database can no longer filter, sort or aggregate on a sealed fact: callers select
rows by their clear columns (client, date, instrument key) and do the rest in Python.
`save(update_fields=[...])` naming a fact writes `facts_ct`.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import migrations, models, transaction

from psynote.lib import canonical_json, crypto

FIELD = "facts"


class Fact(property):
    """A sealed field: a property whose value lives in the row's sealed facts document."""

    def __init__(
        self,
        default: Callable[[], Any] = str,
        *,
        clean: Callable[[Any], Any] | None = None,
        to_json: Callable[[Any], Any] | None = None,
        from_json: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(self._get, self._set)
        self.default = default
        self.clean = clean or (lambda value: value)
        self.to_json = to_json or (lambda value: value)
        self.from_json = from_json or (lambda value: value)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _get(self, instance: "SealedFacts") -> Any:
        return instance.facts()[self.name]

    def _set(self, instance: "SealedFacts", value: Any) -> None:
        instance.facts()[self.name] = self.clean(value)
        instance._facts_changed = True


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def text() -> Fact:
    return Fact(str, clean=_text)


def integer() -> Fact:
    return Fact(int, clean=int)


def json_value(default: Callable[[], Any] = dict) -> Fact:
    """Numbers, strings, lists and objects as JSON holds them (answers, flags)."""
    return Fact(default)


def a_date() -> Fact:
    return Fact(
        lambda: None,
        clean=_date,
        to_json=lambda value: value.isoformat() if value else None,
        from_json=_date,
    )


_FACT_NAMES: dict[type, dict[str, Fact]] = {}


class SealedFacts(models.Model):
    """Abstract base of a model with sealed facts; subclasses say whose key seals them."""

    facts_ct = models.BinaryField(default=b"", editable=False)

    # True on a row whose owner's key was shredded (records destroyed under retention):
    # its facts read as their empty defaults, since nothing can open them any more.
    facts_shredded = False

    class Meta:
        abstract = True

    def _facts_key(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def fact_names(cls) -> dict[str, Fact]:
        """The model's sealed fields by name (found once per class: rows ask often)."""
        found = _FACT_NAMES.get(cls)
        if found is None:
            found = {}
            for klass in reversed(cls.__mro__):
                found |= {n: v for n, v in vars(klass).items() if isinstance(v, Fact)}
            _FACT_NAMES[cls] = found
        return found

    def _facts_aad(self) -> bytes:
        return crypto.aad_for(self._meta.db_table, self.pk, FIELD)

    def facts(self) -> dict[str, Any]:
        """Every sealed fact of this row, opened on first use (a new row: the defaults)."""
        opened = self.__dict__.get("_facts")
        if opened is None:
            names = self.fact_names()
            plain: dict[str, Any] = {}
            if self.facts_ct:
                try:
                    key = self._facts_key()
                except crypto.KeyShredded:
                    self.facts_shredded = True
                else:
                    blob = crypto.open_sealed(key, self.facts_ct, self._facts_aad())
                    plain = canonical_json.loads(blob)
            opened = {
                name: fact.from_json(plain[name]) if name in plain else fact.default()
                for name, fact in names.items()
            }
            self.__dict__["_facts"] = opened
        return opened

    def seal_facts(self) -> None:
        """Seal the facts into `facts_ct` now (the row's id must be known): `save()` does
        it on its own; call it before `bulk_create`, which does not call `save()`."""
        assert self.pk is not None, "the row id is in the associated data"
        facts = self.facts()
        document = {name: fact.to_json(facts[name]) for name, fact in self.fact_names().items()}
        self.facts_ct = crypto.seal(
            self._facts_key(), canonical_json.dumps(document), self._facts_aad()
        )
        self._facts_changed = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            names = set(self.fact_names())
            fields = set(update_fields)
            if fields & names:
                fields = (fields - names) | {"facts_ct"}
            kwargs["update_fields"] = fields
        writes_facts = update_fields is None or "facts_ct" in kwargs["update_fields"]
        # Sealed when a fact was set; a row whose facts were never set keeps an empty
        # `facts_ct`, which reads as the defaults (an open risk alert has no resolution).
        stale = self.__dict__.get("_facts_changed", False)
        if not (writes_facts and stale):
            super().save(*args, **kwargs)
        elif self.pk is not None:
            self.seal_facts()
            super().save(*args, **kwargs)
        else:
            # An integer id exists only after the insert, and the id is in the associated
            # data: insert, seal, then write the sealed document, in one transaction.
            using = kwargs.get("using")
            with transaction.atomic(using=using):
                super().save(*args, **kwargs)
                self.seal_facts()
                type(self)._base_manager.using(using).filter(pk=self.pk).update(
                    facts_ct=self.facts_ct
                )

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "facts_ct" in fields:
            self.__dict__.pop("_facts", None)
            self.__dict__.pop("_facts_changed", None)


def forget_dropped_columns(*tables: str) -> migrations.RunPython:
    """A migration operation for after clear columns were sealed and dropped: rewrite the
    storage so that the dropped values do not linger in free pages (SQLite: VACUUM, then
    the write-ahead log truncated; PostgreSQL: VACUUM FULL of `tables`, which rewrites them
    without their dead rows). Use it in a non-atomic migration: neither engine vacuums
    inside a transaction, and inside one (a test's) it does nothing."""

    def forward(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"VACUUM FULL {connection.ops.quote_name(table)}")

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)
