"""One byte-exact JSON form, so that hashes of the same content always agree."""

import json
from typing import Any


def dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> Any:
    return json.loads(data)
