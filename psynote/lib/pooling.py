"""What Django needs behind a connection pooler in transaction mode (docs/operations.md).

In transaction pooling a server connection serves one transaction of a client, then the next
client's: nothing may outlive a transaction on it. Psynote keeps no session state of its own
(no advisory locks, no LISTEN, no SET; Django sets the time zone only when the server's
differs, and pgbouncer tracks that parameter per client). What remains is Django's
server-side cursors for `.iterator()`, which live past their transaction: those go.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

POOLERS = ("pgbouncer",)


def pooler(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value and value not in POOLERS:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected one of: {', '.join(POOLERS)} "
                                   "(or unset for a direct connection)")
    return value


def apply(databases: dict[str, dict[str, Any]], pooler: str) -> None:
    """Adjust every PostgreSQL alias for the pooler (a no-op without one)."""
    if not pooler:
        return
    for alias in databases.values():
        if alias.get("ENGINE") == "django.db.backends.postgresql":
            alias["DISABLE_SERVER_SIDE_CURSORS"] = True
