"""A client's scores as plain rows, read once for the whole measures page.

The page shows every administration three times over: in its instrument's table, as a
point on the trend chart, and in the change from baseline. Reading them as model
instances costs more than everything the page then does with them (a model instance per
row, a descriptor per field, the sealed document opened behind a property); a long history
has hundreds of rows. Here they are read as values in one query and each sealed document
is opened with the client's key, which is unwrapped once for all of them.

A row carries what the pages read of an administration, under the same names
(`administered_at`, `source`, `total`, `band`, `flags`), so the table, the chart and the
hand-off summary take either.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psynote.clients.models import Client
from psynote.lib import canonical_json, crypto, sealed
from psynote.measures.models import Administration

_TABLE = Administration._meta.db_table


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One administration as the pages show it: when, how, and how it scored."""

    pk: Any
    instrument: str
    administered_at: datetime
    source: str
    total: int
    band: str
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def reported(self) -> int:
        """The percentage when the instrument has one (WHO-5), else the total."""
        percentage = self.flags.get("percentage")
        return percentage if percentage is not None else self.total

    def get_source_display(self) -> str:
        return str(dict(Administration.Source.choices).get(self.source, self.source))


def _facts(key: bytes | None, pk: Any, sealed_facts: bytes) -> dict[str, Any]:
    """The row's sealed facts, as `SealedFacts.facts` opens them: a missing fact (or a
    document that cannot be opened, its key shredded) reads as the fact's default."""
    plain: dict[str, Any] = {}
    if sealed_facts and key is not None:
        aad = crypto.aad_for(_TABLE, pk, sealed.FIELD)
        plain = canonical_json.loads(crypto.open_sealed(key, sealed_facts, aad))
    return {
        name: fact.from_json(plain[name]) if name in plain else fact.default()
        for name, fact in Administration.fact_names().items()
    }


def key_of(client: Client) -> bytes | None:
    """The client's data key, or None when the record was destroyed (rows read empty)."""
    try:
        return client.data_key()
    except crypto.KeyShredded:
        return None


# What a row is read from, in this order: `opened` takes one such tuple.
COLUMNS = ("pk", "instrument", "administered_at", "source", "facts_ct")


def opened(key: bytes | None, values: tuple[Any, ...]) -> ScoreRow:
    """One row of COLUMNS, its sealed facts opened with its client's `key`."""
    pk, instrument, when, source, sealed_facts = values
    facts = _facts(key, pk, sealed_facts)
    return ScoreRow(
        pk, instrument, when, source, facts["total"], facts["band"], facts["flags"] or {}
    )


def read(client: Client) -> list[ScoreRow]:
    """Every administration of `client`, oldest first (the order of `chronological()`),
    in one query."""
    key = key_of(client)
    rows = Administration.objects.filter(client=client).chronological().values_list(*COLUMNS)
    return [opened(key, values) for values in rows]
