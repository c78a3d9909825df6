"""The shipped ICD-10-CM table (FY2026, April 2026 update, from CMS files via
simple-icd-10-cm): billable F, Z55-Z65, Z91.5 and R45 codes. See scripts/make_icd_table.py."""

import csv
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "icd10cm_mh.csv"
EDITION = "ICD-10-CM FY2026 (April 2026 update)"


@cache
def codes() -> dict[str, str]:
    with TABLE.open(newline="") as handle:
        return {row["code"]: row["description"] for row in csv.DictReader(handle)}


def normalise(code: str) -> str:
    code = code.strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def describe(code: str) -> str | None:
    return codes().get(normalise(code))


def search(term: str, limit: int = 20) -> list[tuple[str, str]]:
    term = term.strip().lower()
    if not term:
        return []
    hits = [
        (code, text)
        for code, text in codes().items()
        if code.lower().startswith(term) or term in text.lower()
    ]
    return hits[:limit]
