"""DATABASE_URL to Django's DATABASES entry, multi-host PostgreSQL URLs included.

A high-availability pair is named by every node, and libpq picks the one that takes writes
(ADR 0018, docs/operations.md):

    postgresql://psynote@db1:5432,db2:5432/psynote?target_session_attrs=read-write

dj_database_url refuses a netloc with several hosts, so the URL is parsed with its first host
and HOST and PORT then get the comma-separated lists, which Django hands to psycopg as
`host=db1,db2 port=5432,5432`: libpq's own multi-host syntax.
"""

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import dj_database_url

DEFAULT_PORT = "5432"


class BadDatabaseUrl(ValueError):
    pass


def parse(url: str, *, conn_max_age: int) -> dict[str, Any]:
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return dj_database_url.parse(url, conn_max_age=conn_max_age)
    names, ports = [], []
    for entry in hosts.split(","):
        if entry.startswith("["):  # an IPv6 address: [::1]:5432
            name, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            name, _, port = entry.partition(":")
        if not name or not (port or DEFAULT_PORT).isdigit():
            raise BadDatabaseUrl(f"DATABASE_URL: {entry!r} is not a host[:port]")
        names.append(unquote(name))
        ports.append(port or DEFAULT_PORT)
    first = hosts.split(",")[0]
    single = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{first}"))
    database = dj_database_url.parse(single, conn_max_age=conn_max_age)
    database["HOST"], database["PORT"] = ",".join(names), ",".join(ports)
    return database
