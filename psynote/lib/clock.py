"""Local clock times in the API.

A session's start and end are wall-clock times in the practice's time zone, without an
offset (the date and the practice's zone make them exact). JSON Schema's `time` format is
RFC 3339 `full-time`, which requires an offset, so declaring them `format: time` would
promise what the API does not send. `LocalTime` documents them as they are.
"""

from datetime import time
from typing import Annotated

from pydantic import WithJsonSchema

_LOCAL_TIME_SCHEMA = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "description": "local clock time in the practice's time zone, HH:MM[:SS], no offset",
    "example": "09:30:00",
}

LocalTime = Annotated[time, WithJsonSchema(_LOCAL_TIME_SCHEMA)]
OptionalLocalTime = Annotated[
    time | None, WithJsonSchema({"anyOf": [_LOCAL_TIME_SCHEMA, {"type": "null"}]})
]
