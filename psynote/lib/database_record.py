"""Which database a data folder belongs to, recorded once by `psynote init`.

Without the record, a command run without `DATABASE_URL` would quietly fall back to a new,
empty SQLite file in the data folder and act on it (or crash on missing tables) while the
practice's real data sits in PostgreSQL. `psynote init` writes `database.json` in the data
folder; every later command and the server compare the database they are about to use with
it and refuse, in one sentence, when they differ.
"""

import json
from pathlib import Path
from typing import Any

FILENAME = "database.json"


class WrongDatabase(Exception):
    """The configured database is not the one this data folder was initialised for."""


def describe(database: dict[str, Any]) -> dict[str, str]:
    """Engine and target of a Django DATABASES entry, without a password."""
    engine = "postgresql" if "postgresql" in database.get("ENGINE", "") else "sqlite"
    if engine == "sqlite":
        return {"engine": engine, "target": str(database.get("NAME", ""))}
    # `postgresql://psynote@/psynote?host=/run/postgresql` (the README's form) puts the socket
    # folder and port in OPTIONS, not HOST/PORT: without them two clusters would look alike.
    options = database.get("OPTIONS") or {}
    host = database.get("HOST") or options.get("host") or "local socket"
    port_number = database.get("PORT") or options.get("port")
    port = f":{port_number}" if port_number else ""
    target = f"{database.get('USER') or '(current OS user)'}@{host}{port}/{database.get('NAME')}"
    return {"engine": engine, "target": target}


def label(described: dict[str, str]) -> str:
    kind = "PostgreSQL" if described["engine"] == "postgresql" else "SQLite"
    return f"{kind} {described['target']}"


def read(home: Path) -> dict[str, str] | None:
    try:
        data = json.loads((home / FILENAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise WrongDatabase(f"{home / FILENAME} cannot be read ({error}); restore it from "
                            "your backup or remove it and run `psynote init`.") from None
    if not isinstance(data, dict) or {"engine", "target"} - data.keys():
        raise WrongDatabase(f"{home / FILENAME} is not a Psynote database record.")
    return {"engine": str(data["engine"]), "target": str(data["target"])}


def write(home: Path, database: dict[str, Any]) -> None:
    path = home / FILENAME
    path.write_text(json.dumps(describe(database), indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)


def check(home: Path, database: dict[str, Any]) -> None:
    """Refuse when the data folder was initialised for another database."""
    recorded = read(home)
    if recorded is None:
        return
    current = describe(database)
    if recorded == current:
        return
    if recorded["engine"] == "postgresql" and current["engine"] == "sqlite":
        raise WrongDatabase(
            f"This data folder ({home}) belongs to {label(recorded)}, but DATABASE_URL is "
            "not set: set it (the same value `psynote init` had) for every psynote command "
            "and for the server."
        )
    raise WrongDatabase(
        f"This data folder ({home}) belongs to {label(recorded)}, but this command would use "
        f"{label(current)}: set DATABASE_URL (or unset it) to match, or use another "
        "PSYNOTE_HOME."
    )
