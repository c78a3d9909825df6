"""The 42 CFR part 2 notice that travels with a package from a record flagged as holding
substance-use-disorder records (42 CFR 2.32(a))."""

from django.conf import settings

from psynote.clients.models import Client
from psynote.exchange.models import RecordFlag

PART2_PLACEHOLDER = """\
PLACEHOLDER: 42 CFR PART 2 NOTICE NOT CONFIGURED
================================================

This package comes from a record that the practice has marked as containing
substance-use-disorder records protected by federal confidentiality rules (42 CFR
part 2). Each such disclosure must carry the written statement prescribed by
42 CFR 2.32(a), in its current (2024) wording.

Psynote does not ship that statement, because its current text could not be confirmed
verbatim. The practice must copy the current text of 42 CFR 2.32(a) from the eCFR
(https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/section-2.32)
into a text file and set PSYNOTE_PART2_NOTICE_FILE to its path. Until then, this
placeholder is sent in its place: do not rely on it as the required notice.
"""


def part2_notice() -> bytes:
    path = getattr(settings, "PART2_NOTICE_FILE", None)
    if path is not None and path.is_file():
        return path.read_bytes()
    return PART2_PLACEHOLDER.encode()


def part2_notice_configured() -> bool:
    path = getattr(settings, "PART2_NOTICE_FILE", None)
    return path is not None and path.is_file()


def is_part2(client: Client) -> bool:
    return RecordFlag.objects.filter(client=client, part2=True).exists()

