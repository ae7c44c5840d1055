"""Planned procurements as an OCDS 1.1 release package in the planning stage.

Joint buying follows the OCDS maintainers' advice (open-contracting/standard#1493): several
parties with the `buyer` role and one `procuringEntity`, not a yes/no flag.
"""

import hashlib
import json

from django.conf import settings
from django.utils import timezone

OCDS_VERSION = "1.1"

# Our status -> OCDS tender status (closed codelist).
TENDER_STATUS = {
    "idea": "planning",
    "planned": "planned",
    "in_procurement": "active",
    "awarded": "complete",
    "cancelled": "cancelled",
}


def party_id(municipality):
    return f"SE-KOMMUNKOD-{municipality.code}"


def ocid(procurement):
    return f"{settings.OCDS_OCID_PREFIX}-{procurement.slug}"


def _cpv_id(code):
    # OCDS's CPV codelist uses the eight digits without the check digit.
    return code.split("-")[0]


def release(procurement):
    buyers = list(procurement.buyers.all())
    lead = next((b for b in buyers if b.is_lead), buyers[0] if len(buyers) == 1 else None)
    parties = []
    for buyer in buyers:
        roles = ["buyer"]
        if lead is not None and buyer.pk == lead.pk:
            roles.append("procuringEntity")
        parties.append(
            {
                "id": party_id(buyer.municipality),
                "name": buyer.municipality.name,
                "roles": roles,
                "address": {"countryName": "Sverige"},
            }
        )
    body = {
        "ocid": ocid(procurement),
        "date": (procurement.updated_at or timezone.now()).isoformat(),
        "tag": ["planning"],
        "initiationType": "tender",
        "language": "sv",
        "parties": parties,
        "planning": {"rationale": _rationale(procurement)},
        "tender": {
            "id": procurement.slug,
            "title": procurement.title,
            "description": procurement.description,
            "status": TENDER_STATUS[procurement.status],
        },
    }
    if lead is not None:
        ref = {"id": party_id(lead.municipality), "name": lead.municipality.name}
        body["buyer"] = ref
        body["tender"]["procuringEntity"] = ref
    if procurement.estimated_value is not None:
        body["planning"]["budget"] = {
            "amount": {
                "amount": float(procurement.estimated_value),
                "currency": procurement.currency,
            }
        }
    if procurement.cpv_code:
        body["tender"]["items"] = [
            {
                "id": "1",
                "description": procurement.title,
                "classification": {"scheme": "CPV", "id": _cpv_id(procurement.cpv_code)},
            }
        ]
    # The release id changes exactly when the released information does.
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {"id": f"{body['ocid']}-planning-{digest}", **body}


def _rationale(procurement):
    parts = []
    if procurement.procurement_year:
        parts.append(f"Upphandlas {procurement.procurement_year}.")
    if procurement.contract_start_year:
        parts.append(f"Avtalsstart {procurement.contract_start_year}.")
    if procurement.preconditions:
        parts.append(procurement.preconditions)
    return " ".join(parts)


def release_package(procurements, request, next_url=None, previous_url=None):
    package = {
        "uri": request.build_absolute_uri(),
        "version": OCDS_VERSION,
        "publishedDate": timezone.now().isoformat(),
        "publisher": {"name": settings.REGISTRY_PUBLISHER},
        "license": settings.OPEN_DATA_LICENSE_URL,
        "publicationPolicy": request.build_absolute_uri("/api/"),
        "releases": [release(p) for p in procurements],
    }
    links = {k: v for k, v in (("next", next_url), ("prev", previous_url)) if v}
    if links:
        package["links"] = links
    return package
