"""Benchmarks for Psynote (`make bench`, i.e. `python -m bench`).

They generate a large fictional practice, then time what clinicians wait for (opening a
note, signing a note, through the real HTTP stack) and what an operator waits for
(`psynote verify`), each beside the bare primitive measured in the same run. They print
figures and targets; they never fail a build. Results and method: docs/benchmarks.md.
"""
