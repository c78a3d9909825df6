"""Signed checkpoints outside the database (audit/anchor.py) and the check that compares the
chain with them (audit/verify.py): cutting the tail, re-chaining, forging a checkpoint.

Each test has its own anchor folder (conftest.py) and chains of practice ids of its own.
"""

import base64
import itertools
import json
import stat
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from psynote import cli
from psynote.audit import anchor, chain, log
from psynote.audit.tests import attacker
from psynote.audit.verify import check_practice
from psynote.lib import canonical_json, signing_keys
from psynote.lib.tests import triggers

_practice_ids = itertools.count(3_000_000)


def _chain(length: int = 6) -> int:
    practice_id = next(_practice_ids)
    _append(practice_id, length)
    return practice_id


def _append(practice_id: int, count: int) -> None:
    for i in range(count):
        log.record(practice_id=practice_id, action="client.view", target_id=i)


def _lines(practice_id: int) -> list[dict]:
    text = anchor.path_for(practice_id).read_text()
    return [json.loads(line) for line in text.splitlines()]


def _append_line(practice_id: int, fields: dict) -> None:
    with anchor.path_for(practice_id).open("a") as handle:
        handle.write(json.dumps(fields) + "\n")


def _signed(fields: dict, private: Ed25519PrivateKey) -> dict:
    unsigned = {k: v for k, v in fields.items() if k != "sig"}
    message = anchor.SIGNED_PREFIX + canonical_json.dumps(unsigned)
    return {**unsigned, "sig": base64.b64encode(private.sign(message)).decode()}


# --- writing -------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_appends_a_checkpoint_anyone_can_check_with_the_public_key(settings):
    practice_id = _chain(5)

    check = check_practice(practice_id)

    assert check.intact and check.written is not None
    assert stat.S_IMODE(anchor.folder().stat().st_mode) == 0o700
    assert stat.S_IMODE(anchor.path_for(practice_id).stat().st_mode) == 0o600
    [line] = _lines(practice_id)
    report = chain.verify_practice(practice_id)
    assert (line["practice"], line["seq"], line["head"], line["keyed_from"]) == (
        practice_id, 5, report.head.hex(), 1
    )
    # As docs/adr/0003 tells an auditor to check it, with nothing but the public key.
    private = signing_keys.load(signing_keys.key_path(practice_id))
    public = signing_keys.raw_public(private)
    assert line["key"] == signing_keys.fingerprint(public)
    unsigned = {k: v for k, v in line.items() if k != "sig"}
    private.public_key().verify(
        base64.b64decode(line["sig"]), b"psynote audit checkpoint v1\n"
        + json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    )


@pytest.mark.django_db
def test_each_verify_compares_with_every_earlier_checkpoint_and_appends_one():
    practice_id = _chain(3)
    check_practice(practice_id)
    _append(practice_id, 2)

    check = check_practice(practice_id)

    assert check.intact and check.checkpoints == 1
    assert [line["seq"] for line in _lines(practice_id)] == [3, 5]
    assert "checkpoints: 1 in" in check.anchor_lines()[0]


@pytest.mark.django_db
def test_checkpoints_are_appended_never_rewritten():
    practice_id = _chain(2)
    check_practice(practice_id)
    first = anchor.path_for(practice_id).read_bytes()

    check_practice(practice_id)

    assert anchor.path_for(practice_id).read_bytes().startswith(first)


@pytest.mark.django_db
def test_a_broken_chain_is_never_anchored():
    practice_id = _chain(4)
    triggers.disable()  # undone by the test's rollback
    attacker.sql(
        f"UPDATE {attacker.EVENTS} SET payload = replace(payload, 'client.view', 'note.view') "
        "WHERE practice_id = %s AND seq = 2",
        [practice_id],
    )

    check = check_practice(practice_id)

    assert check.problems[0].startswith("audit event #2:")
    assert check.written is None and not anchor.path_for(practice_id).exists()


# --- what the checkpoints catch ----------------------------------------------------------


@pytest.mark.django_db
def test_cutting_the_tail_and_rewriting_the_head_is_detected():
    practice_id = _chain(6)
    check_practice(practice_id)
    triggers.disable()

    attacker.cut_tail(practice_id, 4)
    check = check_practice(practice_id)

    assert chain.verify_practice(practice_id).breaks == []  # consistent in itself
    assert not check.intact
    assert check.problems[0].startswith("audit event #5: the chain ends at #4, but the checkpoint")
    assert "anchored #6 (events at the end were deleted)" in check.problems[0]
    assert check.written is None


@pytest.mark.django_db
def test_cutting_the_tail_then_writing_on_past_the_checkpoint_is_detected():
    practice_id = _chain(6)
    check_practice(practice_id)
    triggers.disable()

    attacker.cut_tail(practice_id, 4)
    _append(practice_id, 5)  # the server goes on writing on the shortened chain
    check = check_practice(practice_id)

    assert chain.verify_practice(practice_id).breaks == []
    assert check.problems[0].startswith("audit event #6: its link is not the one in the checkpoint")


@pytest.mark.django_db
def test_a_later_checkpoint_of_a_rewritten_chain_does_not_excuse_an_earlier_one():
    practice_id = _chain(6)
    check_practice(practice_id)
    triggers.disable()
    attacker.cut_tail(practice_id, 4)
    _append(practice_id, 5)
    head = chain.verify_practice(practice_id)
    # The server anchors its new head, e.g. at its daily checkpoint.
    anchor.append(anchor.Head(practice_id, head.events, head.head, 1),
                  anchor.signing_key(practice_id, anchored=True))

    check = check_practice(practice_id)

    assert [p.split(":")[0] for p in check.problems] == ["audit event #6"]


@pytest.mark.django_db
def test_rechaining_with_the_key_after_an_edit_is_detected_by_the_checkpoint():
    # An insider holding the master key can recompute every keyed link; the signed
    # checkpoint outside the database still holds the old head.
    practice_id = _chain(6)
    check_practice(practice_id)
    triggers.disable()

    attacker.rechain(
        practice_id,
        attacker.hmac_with(chain.chain_key(practice_id)),
        edit=(3, '"target_id":"2"', '"target_id":"9"'),
    )
    check = check_practice(practice_id)

    assert chain.verify_practice(practice_id).breaks == []
    assert check.problems == [
        "audit event #6: its link is not the one in the "
        f"{check_checkpoint_where(practice_id, 1)} (the chain was rewritten or re-chained since)"
    ]


def check_checkpoint_where(practice_id: int, line: int) -> str:
    at = _lines(practice_id)[line - 1]["at"]
    return f"checkpoint of {at} (line {line} of {anchor.path_for(practice_id)})"


@pytest.mark.django_db
def test_a_checkpoint_with_a_forged_signature_is_detected():
    practice_id = _chain(3)
    check_practice(practice_id)
    genuine = _lines(practice_id)[0]
    # Claims the practice's key, but signed by another.
    _append_line(practice_id, _signed({**genuine, "seq": 2}, Ed25519PrivateKey.generate()))

    check = check_practice(practice_id)

    assert check.problems == [
        f"audit checkpoint line 2 of {anchor.path_for(practice_id)}: its signature does not "
        "verify (forged or altered)"
    ]
    assert check.written is None


@pytest.mark.django_db
def test_an_altered_checkpoint_is_detected():
    practice_id = _chain(3)
    check_practice(practice_id)
    genuine = _lines(practice_id)[0]
    _append_line(practice_id, {**genuine, "seq": 2})

    assert "its signature does not verify" in check_practice(practice_id).problems[0]


@pytest.mark.django_db
def test_a_checkpoint_signed_with_another_key_is_detected():
    practice_id = _chain(3)
    check_practice(practice_id)
    other = Ed25519PrivateKey.generate()
    fields = {**_lines(practice_id)[0], "key": signing_keys.fingerprint(
        signing_keys.raw_public(other))}
    _append_line(practice_id, _signed(fields, other))

    problem = check_practice(practice_id).problems[0]
    assert "line 2" in problem and "not the practice's signing key" in problem


@pytest.mark.django_db
def test_a_checkpoint_of_another_practice_is_detected():
    one, two = _chain(2), _chain(2)
    check_practice(one)
    check_practice(two)
    _append_line(one, _lines(two)[0])

    assert "it is a checkpoint of practice" in check_practice(one).problems[0]


@pytest.mark.django_db
def test_a_damaged_checkpoint_line_is_a_failure_not_a_crash():
    practice_id = _chain(2)
    check_practice(practice_id)
    with anchor.path_for(practice_id).open("a") as handle:
        handle.write('{"seq": 3, "head": "zz\n')

    problem = check_practice(practice_id).problems[0]
    assert problem.endswith("line 2 of " + str(anchor.path_for(practice_id))
                            + ": it is not a checkpoint (damaged or edited)")


@pytest.mark.django_db
def test_a_missing_anchor_folder_is_a_warning_and_the_first_checkpoint_is_written():
    practice_id = _chain(3)
    assert not anchor.folder().exists()

    check = check_practice(practice_id)

    assert check.intact
    assert "no anchor folder at" in check.warnings[0]
    assert check.written is not None and anchor.path_for(practice_id).exists()


@pytest.mark.django_db
def test_an_anchor_folder_that_cannot_be_made_is_a_warning(settings, tmp_path):
    settings.ANCHOR_DIR = tmp_path / "not-mounted" / "anchors"
    practice_id = _chain(3)

    check = check_practice(practice_id)

    assert check.intact and check.written is None
    assert any("no checkpoint written" in w for w in check.warnings)


@pytest.mark.django_db
def test_a_missing_signing_key_with_checkpoints_on_file_is_a_failure():
    practice_id = _chain(3)
    check_practice(practice_id)
    path = signing_keys.key_path(practice_id)
    saved = path.read_bytes()
    path.unlink()
    try:
        check = check_practice(practice_id)
        made_a_new_key = path.exists()
    finally:
        path.unlink(missing_ok=True)
        path.write_bytes(saved)

    assert "signing key file is missing" in check.problems[0]
    assert not made_a_new_key  # a new key could never check the old checkpoints


@pytest.mark.django_db
def test_psynote_verify_fails_naming_the_cut_tail(cast, capsys):
    from psynote import testing as t

    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    assert cli.main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "new checkpoint of #" in out
    practice_id = cast.practice.pk
    last = chain.verify_practice(practice_id).events
    triggers.disable()

    attacker.cut_tail(practice_id, last - 2)

    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN: audit event #{last - 1}: the chain ends at #{last - 2}, but the" in out


@pytest.mark.django_db
def test_psynote_verify_warns_once_when_there_is_no_anchor_folder_yet(cast, capsys):
    assert cli.main(["verify"]) == 0

    out = capsys.readouterr().out
    assert "WARNING: no anchor folder at" in out
    assert "OK: every audit chain and every signed record is intact." in out


# --- the server's daily checkpoint --------------------------------------------------------


@pytest.mark.django_db
def test_the_server_anchors_the_head_on_the_first_commit_after_a_day(
    django_capture_on_commit_callbacks, monkeypatch
):
    practice_id = next(_practice_ids)
    with django_capture_on_commit_callbacks(execute=True):
        _append(practice_id, 1)
    with django_capture_on_commit_callbacks(execute=True):
        _append(practice_id, 2)
    assert [line["seq"] for line in _lines(practice_id)] == [1]  # less than a day ago

    later = time.time() + anchor.DAILY_SECONDS + 60
    monkeypatch.setattr(anchor, "_seconds_now", lambda: later)
    with django_capture_on_commit_callbacks(execute=True):
        _append(practice_id, 1)

    assert [line["seq"] for line in _lines(practice_id)] == [1, 4]
    assert check_practice(practice_id).intact


@pytest.mark.django_db
def test_a_checkpoint_it_cannot_write_never_fails_the_request(
    django_capture_on_commit_callbacks, settings, tmp_path, caplog
):
    settings.ANCHOR_DIR = tmp_path / "not-mounted" / "anchors"
    practice_id = next(_practice_ids)

    with django_capture_on_commit_callbacks(execute=True):
        event = log.record(practice_id=practice_id, action="client.view")

    assert event.seq == 1
    assert "no audit checkpoint written" in caplog.text


@pytest.mark.django_db
def test_a_checkpoint_file_that_cannot_be_read_is_a_failure_not_a_crash():
    practice_id = _chain(2)
    anchor.path_for(practice_id).mkdir(parents=True)  # not a file

    check = check_practice(practice_id)

    assert check.problems[0].startswith(f"audit checkpoints: {anchor.path_for(practice_id)} "
                                        "cannot be read")
