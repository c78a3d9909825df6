"""Recovery keys a person writes down: 30 symbols of Crockford's base32 (150 random bits),
shown as six groups of five, e.g. `7K3MQ-9XD2A-...`.

Typing is forgiving the way Crockford's alphabet intends (https://www.crockford.com/base32.html):
case, spaces and hyphens do not matter, O reads as 0 and I or L as 1.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 30  # 5 bits each: 150 bits
GROUP_SIZE = 5
_SAME = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new() -> str:
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS)))


def normalize(text: str) -> str | None:
    """The canonical spelling of what was typed, or None if it cannot be a recovery key."""
    if not isinstance(text, str) or len(text) > 3 * SYMBOLS:
        return None
    symbols = "".join(text.split()).replace("-", "").upper().translate(_SAME)
    if len(symbols) != SYMBOLS or any(symbol not in ALPHABET for symbol in symbols):
        return None
    return _grouped(symbols)


def _grouped(symbols: str) -> str:
    return "-".join(symbols[at : at + GROUP_SIZE] for at in range(0, SYMBOLS, GROUP_SIZE))
