"""The shipped ICD-10-CM table: billable codes therapists use (F, Z55-Z65, Z69-Z73, Z76.5,
Z91.5, R45, T74/T76 with their 7th characters, G47), built from the CMS files of the
FY2026 April 2026 update as packaged by simple-icd-10-cm 1.5.0, the newest release a
package provides. See scripts/make_icd_table.py and docs/clinical-sources.md#icd-10-cm."""

import csv
from datetime import date
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "icd10cm_mh.csv"
TABLE_FISCAL_YEAR = 2026
EDITION = f"ICD-10-CM FY{TABLE_FISCAL_YEAR} (April {TABLE_FISCAL_YEAR} update)"
SCOPE = "F, Z55–Z65, Z69–Z73, Z76.5, Z91.5, R45, T74, T76 and G47 codes"


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


def fiscal_year_in_force(day: date) -> int:
    """A CMS ICD-10-CM release takes effect on 1 October: FY2027 from 1 October 2026."""
    return day.year + 1 if day.month >= 10 else day.year


def edition_note(today: date | None = None) -> str:
    """What the page where codes are chosen says about the table's release."""
    in_force = fiscal_year_in_force(today or date.today())
    note = f"Codes from {EDITION}."
    if in_force > TABLE_FISCAL_YEAR:
        note += (
            f" FY{in_force} has been in force since 1 October {in_force - 1}; no package "
            f"provides it yet, so this table is not updated: check a code against the "
            f"CMS FY{in_force} files before you bill with it."
        )
    return note
