"""Every resource Psynote sends is checked by constructing its `fhir.resources.R4B` model.

fhir.resources 7 and later ship R5 by default and no R4 package; R4B is the closest
structure to HL7 FHIR R4 (https://hl7.org/fhir/R4/). The model checks structure only, not
US Core profiles or terminology bindings.
"""

from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class


class FhirValidationError(ValueError):
    """A resource we built does not validate against its FHIR R4B model."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as its R4B model accepts and serialises it; raises on any problem."""
    kind = resource["resourceType"]
    try:
        model = get_fhir_model_class(kind).model_validate(resource)
    except pydantic.ValidationError as error:
        raise FhirValidationError(f"{kind}/{resource.get('id', '?')}: {error}") from error
    return model.model_dump(mode="json", exclude_none=True)

