"""Regenerate psynote/clients/data/icd10cm_mh.csv from simple-icd-10-cm's CMS files.

Keeps the billable codes (leaves, including the 7th-character codes such as T74.11XA)
that therapists use:
- chapter 5 (F01-F99);
- psychosocial circumstances (Z55-Z65), encounters for mental health services for a
  victim or perpetrator of abuse (Z69), counselling related to sexual attitude,
  behaviour and orientation (Z70) and other counselling (Z71), problems related to lifestyle
  (Z72) and life management (Z73), malingering (Z76.5), personal history of self-harm
  (Z91.5x);
- R45 (symptoms involving emotional state, incl. R45.851 suicidal ideation);
- T74 / T76 (abuse, neglect and maltreatment, confirmed / suspected);
- G47 (sleep disorders).
Z60, Z62 and Z63 lie inside Z55-Z65. Run: .venv/bin/python scripts/make_icd_table.py
"""

import csv
from pathlib import Path

import simple_icd_10_cm as cm

OUT = Path(__file__).resolve().parent.parent / "psynote/clients/data/icd10cm_mh.csv"
CATEGORIES = {f"Z{n}" for n in range(55, 66)} | {"Z69", "Z70", "Z71", "Z72", "Z73"}
CATEGORIES |= {"R45", "T74", "T76", "G47"}
PREFIXES = ("F", "Z76.5", "Z91.5")


def wanted(code: str) -> bool:
    return code.startswith(PREFIXES) or code[:3] in CATEGORIES


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
