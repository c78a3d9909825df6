"""The instrument library: one JSON file per instrument in `instruments/`, checked at load.

Adding an instrument means adding a file. Every file is validated when it is loaded
(`instrument_file.parse`, which names the file and the field of any mistake), so a
malformed instrument stops the app at start-up instead of surfacing later as a wrong
score. The model the rest of the code reads is `instrument.Instrument`; callers reach
it here as `library.Instrument`, beside the lookups that return it.
"""

import json
from functools import cache
from pathlib import Path

from psynote.measures.instrument import Instrument
from psynote.measures.instrument_file import InstrumentDataError, parse

DIRECTORY = Path(__file__).resolve().parent / "instruments"


def load_file(path: Path) -> Instrument:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InstrumentDataError(f"{path.name}: not valid JSON: {error}") from error
    return parse(data, path.name)


@cache
def load_all(directory: Path = DIRECTORY) -> dict[str, Instrument]:
    """Every instrument in the directory, keyed by `key`, validated; cached per directory."""
    instruments = {}
    for path in sorted(directory.glob("*.json")):
        instrument = load_file(path)
        instruments[instrument.key] = instrument
    return instruments


def get(key: str) -> Instrument:
    try:
        return load_all()[key]
    except KeyError:
        known = ", ".join(sorted(load_all()))
        raise KeyError(f"no instrument {key!r}; the library has: {known}") from None


def choices() -> list[tuple[str, str]]:
    return [(key, instrument.short_name) for key, instrument in load_all().items()]
