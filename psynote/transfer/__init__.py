"""Moving a practice to another Psynote installation, losing nothing (ADR 0010)."""
