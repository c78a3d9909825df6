"""Heavy read-only work on a PostgreSQL streaming replica, through a database router.

Nothing goes to the replica unless all of these hold (docs/scaling.md#read-replicas):
- `PSYNOTE_REPLICA_DATABASE_URL` is set (settings add the `replica` alias and the router);
- the code asked for it, inside `with replica_reads():` (a view or command that only reads);
- nothing was written yet in this request (or command), and the primary is not inside a
  transaction: a read that follows a write must see it, and an asynchronous replica may not;
- the replica answers and lags the primary by at most `PSYNOTE_REPLICA_MAX_LAG_SECONDS`
  (checked once per `with` block); otherwise the block reads the primary.
Writes always go to the primary, also inside the block (an audit event of the page view).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started

ALIAS = "replica"
ROUTER = "psynote.lib.replica.ReplicaRouter"
PRIMARY = "default"

# Seconds the replica is behind: 0 while it streams from the primary and has replayed all it
# received (an idle primary sends nothing, and that is no lag); otherwise the age of the
# last transaction it replayed, or infinity if it replayed none. Reading the WAL receiver's
# status takes the pg_monitor role (docs/scaling.md#read-replicas); without it an idle
# primary looks like lag, and reads fall back to the primary: slower, never stale.
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS "
    "(SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, "
    "'Infinity'::float8) END, pg_is_in_recovery()"
)


def database(url: str, *, primary: dict[str, Any]) -> dict[str, Any]:
    """The `replica` alias for DATABASES from the variable's URL; ImproperlyConfigured if it
    is not a PostgreSQL URL or the primary is not PostgreSQL."""
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            "PSYNOTE_REPLICA_DATABASE_URL: expected a PostgreSQL URL (postgresql://...), "
            f"got {url.split(':', 1)[0]!r}..."
        )
    if primary.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "PSYNOTE_REPLICA_DATABASE_URL is set, but DATABASE_URL is not PostgreSQL: a read "
            "replica is a PostgreSQL standby of the primary."
        )
    try:
        settings = dj_database_url.parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 0))
    except ValueError as error:
        raise ImproperlyConfigured(f"PSYNOTE_REPLICA_DATABASE_URL: {error}") from None
    if not settings.get("NAME"):
        raise ImproperlyConfigured("PSYNOTE_REPLICA_DATABASE_URL: the URL names no database")
    # Tests (and the test database) read the same database name on the standby, which
    # streaming replication copies there: the alias is a mirror, never created or flushed.
    settings["TEST"] = {"MIRROR": PRIMARY}
    return settings


@dataclass
class _Block:
    replica_ok: bool | None = None  # None: not checked yet in this block
    lag_seconds: float | None = None


_block: ContextVar[_Block | None] = ContextVar("psynote_replica_block", default=None)
# Set by every routed write; cleared when a request (or a command's unit of work) begins.
_wrote: ContextVar[bool] = ContextVar("psynote_replica_wrote", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may go to the replica (when one is configured and safe to read)."""
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


def forget_writes(**_: Any) -> None:
    """A new unit of work begins (each request does this itself): earlier writes are
    committed and no longer oblige reads to the primary."""
    _wrote.set(False)


request_started.connect(forget_writes, dispatch_uid="psynote.lib.replica.forget_writes")


def configured() -> bool:
    from django.conf import settings

    return ALIAS in settings.DATABASES and ROUTER in getattr(settings, "DATABASE_ROUTERS", [])


def lag() -> tuple[float, bool]:
    """(seconds behind the primary, whether it is a standby), read on the replica."""
    from django.db import connections

    with connections[ALIAS].cursor() as cursor:
        cursor.execute(LAG_SQL)
        seconds, standby = cursor.fetchone()
    return float(seconds), bool(standby)


def _replica_usable(block: _Block) -> bool:
    if block.replica_ok is None:
        from django.conf import settings
        from django.db import DatabaseError, connections

        try:
            block.lag_seconds, standby = lag()
        except DatabaseError:
            # A replica down is no outage: the primary answers instead.
            connections[ALIAS].close()
            block.replica_ok = False
        else:
            block.replica_ok = standby and (
                block.lag_seconds <= settings.REPLICA_MAX_LAG_SECONDS
            )
    return block.replica_ok


class ReplicaRouter:
    """Reads inside `replica_reads()` to the replica when safe; everything else to the
    primary. Migrations run on the primary only (the standby replays them)."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        block = _block.get()
        if block is None or _wrote.get():
            return PRIMARY
        from django.db import connections

        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return ALIAS if _replica_usable(block) else PRIMARY

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both: an object read on one may relate to the other

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
