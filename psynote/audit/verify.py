"""Checking a practice's audit chain against itself and against its signed checkpoints,
then anchoring the verified head: what `psynote verify` and the privacy officer's
integrity check run for the audit log (ADR 0003)."""

from dataclasses import dataclass, field
from pathlib import Path

from psynote.audit import anchor, chain
from psynote.lib import signing_keys

# Enough to see what happened; a cut tail would otherwise name every later checkpoint.
SHOWN_PROBLEMS = 20


@dataclass
class AuditCheck:
    report: chain.ChainReport
    anchor_file: Path
    checkpoints: int = 0  # checkpoints found, signature checked and compared with the chain
    written: anchor.Checkpoint | None = None
    problems: list[str] = field(default_factory=list)  # each a failure; chain breaks first
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def anchor_lines(self) -> list[str]:
        """What the checkpoints said, for a person (problems are shown apart)."""
        lines = [f"WARNING: {warning}" for warning in self.warnings]
        if self.intact and self.report.events:
            lines.insert(0, f"checkpoints: {self.checkpoints:,} in {self.anchor_file} match")
            if self.written is not None:
                lines[0] += f"; new checkpoint of #{self.written.head.seq} written"
        return lines


def check_practice(practice_id: int, *, write_checkpoint: bool = True) -> AuditCheck:
    """Recompute the chain, compare it with every signed checkpoint of the practice, and
    (when all holds) append a checkpoint of its head."""
    report = chain.verify_practice(practice_id)
    check = AuditCheck(report, anchor.path_for(practice_id))
    check.problems.extend(str(b) for b in report.breaks)
    if report.breaks:
        return check  # a broken chain is never anchored, nor compared link by link

    try:
        lines = anchor.read_lines(practice_id)
    except OSError as error:
        check.problems.append(f"audit checkpoints: {check.anchor_file} cannot be read ({error})")
        return check
    anchored = bool(lines and any(lines))
    if not anchored and report.events:
        check.warnings.append(_unanchored_warning(practice_id))
    try:
        private = anchor.signing_key(practice_id, anchored=anchored)
    except (signing_keys.SigningKeyProblem, OSError) as problem:
        if anchored:  # the checkpoints cannot be checked: that is no pass
            check.problems.append(f"audit checkpoints: {problem}")
        else:
            check.warnings.append(f"no checkpoint written: {problem}")
        return check
    if anchored:
        public = signing_keys.raw_public(private)
        checkpoints, problems = anchor.parse(lines or [], practice_id, public)
        check.problems.extend(problems)
        check.problems.extend(_compare(report, checkpoints))
        check.checkpoints = len(checkpoints)
    if len(check.problems) > SHOWN_PROBLEMS:
        more = len(check.problems) - SHOWN_PROBLEMS
        check.problems[SHOWN_PROBLEMS:] = [f"... and {more} more checkpoint problem(s)"]

    if write_checkpoint and check.intact and report.events:
        head = anchor.Head(practice_id, report.events, report.head, report.keyed_from)
        try:
            check.written = anchor.append(head, private)
        except OSError as error:
            check.warnings.append(
                f"no checkpoint written: {anchor.folder()} cannot be written ({error})"
            )
    return check


def _unanchored_warning(practice_id: int) -> str:
    where = anchor.folder()
    if not where.is_dir():
        return (
            f"no anchor folder at {where} (PSYNOTE_ANCHOR_DIR): the chain could not be "
            "compared with a checkpoint. Expected on the first verify after an upgrade; "
            "otherwise the folder was removed or its volume is not mounted."
        )
    return (
        f"no checkpoint of this practice in {where}: the chain could not be compared with "
        "one. Expected on its first verify; otherwise its checkpoint file was removed."
    )


def _compare(report: chain.ChainReport, checkpoints: list[anchor.Checkpoint]) -> list[str]:
    """What in the chain differs from the checkpoints, the newest first. The chain must
    hold every one of them: a later checkpoint of a rewritten chain excuses nothing."""
    newest_first = sorted(checkpoints, key=lambda c: (c.head.seq, c.line), reverse=True)
    links = chain.stored_links(
        report.practice_id, {c.head.seq for c in checkpoints if c.head.seq < report.events}
    )
    links[report.events] = report.head
    problems = []
    for checkpoint in newest_first:
        anchored = checkpoint.head
        if anchored.seq > report.events:
            problems.append(
                f"audit event #{report.events + 1}: the chain ends at #{report.events}, but "
                f"the {checkpoint.where()} anchored #{anchored.seq} (events at the end were "
                "deleted)"
            )
        elif links.get(anchored.seq) != anchored.link:
            problems.append(
                f"audit event #{anchored.seq}: its link is not the one in the "
                f"{checkpoint.where()} (the chain was rewritten or re-chained since)"
            )
        elif anchored.keyed_from != report.keyed_from:
            problems.append(
                f"audit chain: keyed links begin at #{report.keyed_from} by the database but "
                f"at #{anchored.keyed_from} by the {checkpoint.where()} (the record was altered)"
            )
    return problems
