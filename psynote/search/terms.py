"""From text to the terms the index holds, and from terms to blind tokens.

A term is a run of letters or digits after Unicode NFKC, case folding and stripping of
accents (so "Café", "CAFÉ" and "cafe" are one term), 2 to 40 characters long, and not one
of a few English function words that would match nearly every note. There is no
stemming: the search finds whole words as written.
"""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

MIN_LENGTH, MAX_LENGTH = 2, 40
MAX_QUERY_TERMS = 8
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have",
    "he", "her", "his", "if", "in", "is", "it", "its", "of", "on", "or", "she", "so",
    "that", "the", "their", "them", "they", "this", "to", "was", "were", "will", "with",
))
_INFO = b"psynote/v1/search-index"
# Parts of a note's content that are facts about the session, not its text.
_NOT_TEXT = {"session", "interventions", "diagnosis_codes"}


def normalise(text: str) -> str:
    if text.isascii():  # the common case, and NFKC, folding and accents change nothing more
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def terms(text: str) -> Iterator[str]:
    for word in _WORD.findall(normalise(text)):
        word = word.replace("_", "")
        if MIN_LENGTH <= len(word) <= MAX_LENGTH and word not in STOPWORDS:
            yield word


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in the order typed."""
    return list(dict.fromkeys(terms(query)))


def content_texts(content: dict[str, Any]) -> list[str]:
    """Every free-text value of a progress note's content, in document order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_TEXT:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(content)
    return found


def index_key(client_data_key: bytes) -> bytes:
    """The client's index key: derived from their data key, so it is gone when the key is
    shredded and travels with it in a practice move. HMAC-SHA-256 as the PRF of a
    one-block key derivation (NIST SP 800-108r1, section 4.1), a few microseconds: a
    supervisor's search derives hundreds."""
    return hmac.new(client_data_key, _INFO, hashlib.sha256).digest()


def token(key: bytes, term: str) -> int:
    digest = hmac.new(key, term.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def tokens(key: bytes, texts: Iterable[str]) -> set[int]:
    return {token(key, term) for text in texts for term in terms(text)}
