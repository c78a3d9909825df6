"""The 42 CFR part 2 notice shipped by default: Statement 1 of 42 CFR 2.32(a)(1) in its
2024 wording (89 FR 12472), not the pre-2024 text and not a placeholder."""

from django.test import override_settings

from psynote.exchange import part2

# Phrases only the 2024 rewrite has (the obsolete 2018/2020 text has none of them).
NEW_IN_2024 = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2).",
    "in any civil, criminal, administrative, or legislative proceedings by any Federal, "
    "State, or local authority, against the patient",
    "except as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with "
    "42 CFR 2.64 or 2.65.",
    "(ii) You are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations, or (iii) You have received the record "
    "from a covered entity or business associate as permitted by 45 CFR part 164, "
    "subparts A and E.",
    "A general authorization for the release of medical or other information is NOT "
    "sufficient to meet the required elements of written consent to further use or "
    "redisclose the record (see 42 CFR 2.31).",
)


def test_the_default_notice_is_statement_1_of_the_2024_rule(tmp_path):
    with override_settings(PART2_NOTICE_FILE=tmp_path / "absent.txt"):
        notice = part2.part2_notice().decode()
        assert not part2.part2_notice_configured()
    assert all(phrase in notice for phrase in NEW_IN_2024)
    assert "PLACEHOLDER" not in notice.upper()
    assert part2.STATEMENT_2 == ("42 CFR part 2 prohibits unauthorized use or disclosure of "
                                 "these records.")


def test_a_configured_file_replaces_the_statement(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text("Fictional practice wording.\n")
    with override_settings(PART2_NOTICE_FILE=path):
        assert part2.part2_notice() == b"Fictional practice wording.\n"
        assert part2.part2_notice_configured()
