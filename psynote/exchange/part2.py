"""The 42 CFR part 2 notice that travels with a package from a record flagged as holding
substance-use-disorder records (42 CFR 2.32, "Notice and copy of consent to accompany
disclosure", as rewritten by the 2024 final rule, 89 FR 12472; compliance date 16 Feb 2026).

The default is Statement 1 of 42 CFR 2.32(a)(1), the full statement, verbatim from the
eCFR (https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/section-2.32;
docs/clinical-sources.md#42-cfr-part-2-notice). A practice that must send other wording (a
state rule, or a later amendment) puts it in a file named by PSYNOTE_PART2_NOTICE_FILE,
which then replaces the statement. Either way §2.32(b) asks that each disclosure made
with the patient's consent carry a copy of the consent or a clear explanation of its
scope: `consent_scope` writes that explanation from the disclosure's grant.
"""

from typing import Any

from django.conf import settings

from psynote.clients.models import Client
from psynote.exchange.bases import EXCEPTIONS, kind_labels
from psynote.exchange.models import RecordFlag

# 42 CFR 2.32(a)(1), Statement 1, as amended 16 Feb 2024 (89 FR 12472).
STATEMENT_1 = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, "
    "except as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance "
    "with 42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any "
    "other use or disclosure of this record unless at least one of the following applies: "
    "(i) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise "
    "permitted by 42 CFR part 2. (ii) You are a covered entity or business associate and "
    "have received the record for treatment, payment, or health care operations, or (iii) "
    "You have received the record from a covered entity or business associate as "
    "permitted by 45 CFR part 164, subparts A and E. A general authorization for the "
    "release of medical or other information is NOT sufficient to meet the required "
    "elements of written consent to further use or redisclose the record (see 42 CFR 2.31)."
)
# 42 CFR 2.32(a)(2), Statement 2, the abbreviated form (for where space is short; the
# package always has room for Statement 1, so Statement 2 is only kept for reference).
STATEMENT_2 = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."

DEFAULT_NOTICE = f"""\
NOTICE TO ACCOMPANY DISCLOSURE (42 CFR 2.32)
============================================

{STATEMENT_1}
"""


def _override() -> Any:
    path = getattr(settings, "PART2_NOTICE_FILE", None)
    return path if path is not None and path.is_file() else None


def part2_notice(grant: Any = None) -> bytes:
    """The notice: the configured file or Statement 1, then, for a disclosure, the
    explanation of the consent's scope (42 CFR 2.32(b))."""
    path = _override()
    notice = path.read_text(encoding="utf-8") if path is not None else DEFAULT_NOTICE
    if grant is not None:
        notice = notice.rstrip("\n") + "\n\n" + consent_scope(grant)
    return notice.encode()


def part2_notice_configured() -> bool:
    """Whether the practice replaced the shipped Statement 1 with its own file."""
    return _override() is not None


def consent_scope(grant: Any) -> str:
    """What this disclosure was allowed to carry, to whom, for what and until when."""
    start, end = grant.date_range
    period = (f"{start or 'the start of the record'} to {end or 'the date of disclosure'}"
              if start or end else "the whole record")
    recipient = ", ".join(p for p in (grant.recipient_name, grant.recipient_organisation) if p)
    heading = "SCOPE OF THE CONSENT FOR THIS DISCLOSURE (42 CFR 2.32(b))"
    lines = [heading, "=" * len(heading), ""]
    authorization = grant.authorization
    if authorization is not None:
        lines += [
            f"Disclosed under the patient's written consent {authorization.pk},",
            f"signed {authorization.created_at:%Y-%m-%d}, expiring "
            f"{authorization.expires_on:%Y-%m-%d} (revocable in writing before then).",
            f"The consent permits disclosure of: {kind_labels(authorization.scope)}",
            f"to: {authorization.recipient_display}",
            f"for: {authorization.purpose}",
        ]
        if authorization.date_from or authorization.date_to:
            lines.append(f"covering records dated {authorization.date_from or '...'} to "
                         f"{authorization.date_to or '...'}.")
    else:
        exception = EXCEPTIONS[grant.exception]
        lines += [f"Disclosed without the patient's consent, under: {exception.label}"
                  + (f" ({exception.citation})" if exception.citation else "") + "."]
    lines += ["", "This disclosure contains:",
              f"  Records: {kind_labels(grant.scope)}",
              f"  Dates: {period}",
              f"  Recipient: {recipient}",
              f"  Purpose: {grant.purpose}"]
    return "\n".join(lines) + "\n"


def is_part2(client: Client) -> bool:
    return RecordFlag.objects.filter(client=client, part2=True).exists()
