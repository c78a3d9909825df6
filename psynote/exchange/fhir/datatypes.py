"""The few FHIR R4 datatypes every resource builder writes the same way: instant,
Reference and Attachment (https://hl7.org/fhir/R4/datatypes.html)."""

import base64
from datetime import UTC, datetime
from typing import Any


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def ref(kind: str, pk: object) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


def attachment(data: bytes, content_type: str, title: str, created: datetime
               ) -> dict[str, Any]:
    return {"contentType": content_type, "data": base64.b64encode(data).decode(),
            "title": title, "creation": instant(created), "size": len(data)}

