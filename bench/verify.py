"""`psynote verify` timed beside its bare primitives, measured in the same run.

The audit chain: `psynote.audit.verify.check_practice` (the keyed chain, every signed
checkpoint, a new checkpoint) against the keyed chain alone, HMAC-SHA-256 over the same
payload bytes held in memory under the same key. Signed notes:
`psynote.notes.integrity.signed_records_problems` (every signed note, addendum, plan
version and co-signature against its hash and the chain) against AES-256-GCM opening the
same notes' ciphertexts, held in memory, under their clients' keys: the one cryptographic
step a note's check cannot skip.

Both sides run single-threaded in this process, so each is judged on CPU time
(`time.process_time`), which other work on a shared machine barely moves; wall-time rates
are printed beside. Each side takes the best of `ROUNDS`, the rounds taken in turn.
"""

from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench import measure
from bench.measure import Rate
from psynote.audit import chain
from psynote.audit import verify as audit_verify
from psynote.clients.models import Client
from psynote.lib import crypto
from psynote.notes.integrity import signed_records_problems
from psynote.notes.models import ProgressNote

CHAIN_SHARE = 0.40  # of the bare keyed chain's rate (issue 9)
NOTES_PER_S = 20_000  # signed notes checked per second (issue 9)
ROUNDS = 3


def _best(rates: list[Rate]) -> tuple[Rate, Rate]:
    """The best round by CPU time and the best by wall time."""
    return (
        max(rates, key=lambda rate: rate.per_cpu_second),
        max(rates, key=lambda rate: rate.per_second),
    )


def _sealed_notes(practice_id: int) -> list[tuple[bytes, bytes, bytes, bytes]]:
    """(key, nonce, ciphertext, associated data) of every signed note, in memory."""
    keys = {
        client.pk: client.data_key()
        for client in Client.objects.filter(practice_id=practice_id).only("id", "wrapped_key")
        if not client.is_destroyed
    }
    found = []
    for note_id, client_id, blob in (
        ProgressNote.objects.signed()
        .filter(client__practice_id=practice_id)
        .values_list("pk", "client_id", "content_ct")
        .iterator(chunk_size=2000)
    ):
        if client_id in keys:
            blob = bytes(blob)
            aad = crypto.aad_for("notes_progressnote", note_id, "content")
            found.append((keys[client_id], blob[1:13], blob[13:], aad))
    return found


def bare_open(sealed: list[tuple[bytes, bytes, bytes, bytes]]) -> Rate:
    """AES-256-GCM open of each note's ciphertext, one cipher object per note."""

    def run() -> int:
        for key, nonce, body, aad in sealed:
            AESGCM(key).decrypt(nonce, body, aad)
        return len(sealed)

    return measure.rate_of(run)


def run_verify(practice_id: int, results: Any, log: Any) -> None:
    log("Timing psynote verify (audit chain and its checkpoints, then signed notes) ...")
    checks: list[audit_verify.AuditCheck] = []

    def verify_chain() -> int:
        # What `psynote verify` runs: the chain, every checkpoint, a new checkpoint.
        checks.append(audit_verify.check_practice(practice_id))
        return checks[-1].report.events

    problems: list[object] = []
    signed = ProgressNote.objects.signed().filter(client__practice_id=practice_id).count()

    def check_notes() -> int:
        problems.clear()
        problems.extend(signed_records_problems(practice_id))
        return signed

    # The same bytes verify hashes, held in memory: what the keyed hashing alone costs.
    with chain._rows(practice_id) as rows:
        payloads = [bytes(joined) for _, joined, _ in rows]
    key = chain.chain_key(practice_id)
    # Best of a few rounds on each side, taken in turn, so that a burst of other work on a
    # shared machine does not decide the ratio.
    rounds = []
    for _ in range(ROUNDS):
        rounds.append((measure.rate_of(verify_chain), *measure.bare_keyed_chain(payloads, key)))
    del payloads
    chain_cpu, chain_wall = _best([r[0] for r in rounds])
    theirs = [r[1] for r in rounds]
    bare_cpu, bare_wall = _best(theirs)
    bare_name = rounds[theirs.index(bare_cpu)][2]

    sealed = _sealed_notes(practice_id)
    note_rounds = [(measure.rate_of(check_notes), bare_open(sealed)) for _ in range(ROUNDS)]
    del sealed
    notes_cpu, notes_wall = _best([r[0] for r in note_rounds])
    open_cpu, open_wall = _best([r[1] for r in note_rounds])
    results.verify = {
        "events": chain_wall.items,
        "seconds": chain_wall.seconds,
        "events_per_s": chain_wall.per_second,
        "events_per_cpu_s": chain_cpu.per_cpu_second,
        "breaks": next((c.problems for c in checks if c.problems), []),
        # The first round finds no checkpoint when the database was just restored from the
        # pristine copy; the last one is compared with the rounds before it.
        "checkpoint_warnings": checks[-1].warnings,
        "checkpoints_compared": checks[-1].checkpoints,
        "bare_events_per_s": bare_wall.per_second,
        "bare_events_per_cpu_s": bare_cpu.per_cpu_second,
        "bare": bare_name,
        "share": chain_cpu.per_cpu_second / bare_cpu.per_cpu_second,
        "share_wall": chain_wall.per_second / bare_wall.per_second,
        "rounds": ROUNDS,
        "signed_notes": signed,
        "notes_seconds": notes_wall.seconds,
        "notes_per_s": notes_wall.per_second,
        "notes_per_cpu_s": notes_cpu.per_cpu_second,
        "opened_notes": open_cpu.items,
        "bare_open_per_s": open_wall.per_second,
        "bare_open_per_cpu_s": open_cpu.per_cpu_second,
        "problems": [str(p) for p in problems[:5]],
        "problem_count": len(problems),
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_lines(v: dict[str, Any]) -> list[str]:
    if not v:
        return ["| psynote verify | not measured | | | |"]
    lines = [
        f"| psynote verify: audit chain ({v['events']:,} events), best of {v['rounds']} | "
        f"{v['events_per_cpu_s']:,.0f} events per CPU second (wall: {v['events_per_s']:,.0f} "
        f"events/s, {v['seconds']:.1f} s) | HMAC-SHA-256 chain in memory ({v['bare']}): "
        f"{v['bare_events_per_cpu_s']:,.0f} per CPU second (wall: "
        f"{v['bare_events_per_s']:,.0f}/s) | {v['share']:.0%} of CPU rate (wall "
        f"{v['share_wall']:.0%}) | ≥ {CHAIN_SHARE:.0%}: {_verdict(v['share'] >= CHAIN_SHARE)} |"
    ]
    if "notes_per_cpu_s" in v:
        share = v["notes_per_cpu_s"] / v["bare_open_per_cpu_s"]
        lines.append(
            f"| psynote verify: signed notes ({v['signed_notes']:,}), best of {v['rounds']} | "
            f"{v['notes_per_cpu_s']:,.0f} notes per CPU second (wall: {v['notes_per_s']:,.0f} "
            f"notes/s, {v['notes_seconds']:.1f} s) | AES-256-GCM open of the same "
            f"{v['opened_notes']:,} notes in memory: {v['bare_open_per_cpu_s']:,.0f} per CPU "
            f"second (wall: {v['bare_open_per_s']:,.0f}/s) | {share:.0%} of CPU rate | "
            f"≥ {NOTES_PER_S:,} notes/s: {_verdict(v['notes_per_cpu_s'] >= NOTES_PER_S)} "
            f"(wall: {_verdict(v['notes_per_s'] >= NOTES_PER_S)}) |"
        )
    else:  # a results file from before the bare line
        lines.append(
            f"| psynote verify: signed notes ({v['signed_notes']:,}) | "
            f"{v['notes_per_s']:,.0f} notes/s ({v['notes_seconds']:.1f} s) | | | |"
        )
    return lines
