"""Security labels on the resources of a 42 CFR part 2 record (HL7 FHIR DS4P,
hl7.org/fhir/uv/security-label-ds4p): confidentiality R, the 42CFRPart2 policy and the
SUD sensitivity go into `meta.security` of every resource about the client
(docs/clinical-sources.md#part-2-security-labels).

A record the practice marked as Part 2 (`part2.is_part2`) is treated as SUD-derived
throughout: Part 2 protects the whole record of a Part 2 program, and a receiver cannot
tell which sentence of a note came from SUD treatment. The practice's Organization and
its clinicians (Practitioner, PractitionerRole) are not about the client and stay
unlabelled.
"""

from collections.abc import Callable
from typing import Any

from psynote.clients.models import Client
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.validation import validated
from psynote.exchange.part2 import is_part2

NOT_ABOUT_THE_CLIENT = frozenset({"Organization", "Practitioner", "PractitionerRole"})


def part2_labelled(resource: dict[str, Any]) -> dict[str, Any]:
    if resource["resourceType"] in NOT_ABOUT_THE_CLIENT:
        return resource
    meta = dict(resource.get("meta") or {})
    labels = list(meta.get("security") or [])
    have = {(label.get("system"), label.get("code")) for label in labels}
    labels += [dict(label) for label in codes.PART2_SECURITY
               if (label["system"], label["code"]) not in have]
    return validated({**resource, "meta": {**meta, "security": labels}})


def labeller(client: Client) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The labelling for this client's resources: Part 2 labels, or none."""
    return part2_labelled if is_part2(client) else (lambda resource: resource)
