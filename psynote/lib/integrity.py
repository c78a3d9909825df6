"""What `psynote verify` reports about a record that does not hold up."""

from dataclasses import dataclass


@dataclass
class Problem:
    kind: str
    record_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}: {self.reason}"
