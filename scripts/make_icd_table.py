"""Regenerate psynote/clients/data/icd10cm_mh.csv from simple-icd-10-cm's CMS files.

Keeps the billable codes therapists use: chapter 5 (F01-F99), psychosocial
circumstances (Z55-Z65), personal history of self-harm (Z91.5x) and R45 (symptoms
involving emotional state, incl. R45.851 suicidal ideation).
Run: .venv/bin/python scripts/make_icd_table.py
"""

import csv
from pathlib import Path

import simple_icd_10_cm as cm

OUT = Path(__file__).resolve().parent.parent / "psynote/clients/data/icd10cm_mh.csv"
Z_BLOCKS = {f"Z{n}" for n in range(55, 66)}


def wanted(code: str) -> bool:
    return code.startswith(("F", "R45", "Z91.5")) or code[:3] in Z_BLOCKS


def main() -> None:
    rows = [
        (code, cm.get_description(code))
        for code in cm.get_all_codes(with_dots=True)
        if cm.is_leaf(code) and wanted(code)
    ]
    with OUT.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "description"])
        writer.writerows(rows)
    print(f"{len(rows)} codes -> {OUT}")


if __name__ == "__main__":
    main()
