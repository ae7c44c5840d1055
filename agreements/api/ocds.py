"""Planned procurements as an OCDS 1.1 release package, validated against the 1.1.5 schema.

Joint buying follows the OCDS maintainers' advice (open-contracting/standard#1493): several
parties with the `buyer` role and one `procuringEntity`, not a yes/no flag. One buyer says
nothing about whether others will join, so nothing else is said.

Status mapping (the registry's status -> `tender.status` from the closed tenderStatus codelist,
and the release `tag`), documented for users in the endpoint's description on /oppna-data/:

    target      Målbild eller ambition  -> planning   tag planning            (being considered)
    planned     Planerad                -> planned    tag planning            (scheduled)
    decided     Beslutad                -> planned    tag planning            (scheduled)
    advertised  Annonserad              -> active     tag tender              (taking place)
    awarded     Tilldelad               -> complete   tag tenderUpdate        (tender complete)
    cancelled   Avbruten                -> cancelled  tag tenderCancellation

Party identifiers: only from a scheme listed at org-id.guide, and only when the registry holds
the number. Swedish organisationsnummer are the SE-ON list ("Business Registration Number
(Organisationsnummer), Sweden"), which covers municipalities (group number 2); SE-BLV and SE-KK
are deprecated on org-id.guide in its favour (org-id/register#144, #156). Without a number the
party has no `identifier`, never an invented scheme; its `id`, local to the package as OCDS
allows, is "kommun-" and the municipality code, and stays the same when a number is added.
"""

import hashlib
import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from .. import facts
from ..i18n import gettext as _  # fixed phrases, remembered per language
from ..links import absolute_url

OCDS_VERSION = "1.1"
ORGANISATION_NUMBER_SCHEME = "SE-ON"

# The registry's status -> (OCDS tender status, release tag); see the module's docstring.
STATUS_MAPPING = {
    "target": ("planning", "planning"),
    "planned": ("planned", "planning"),
    "decided": ("planned", "planning"),
    "advertised": ("active", "tender"),
    "awarded": ("complete", "tenderUpdate"),
    "cancelled": ("cancelled", "tenderCancellation"),
}
TENDER_STATUS = {status: tender for status, (tender, _tag) in STATUS_MAPPING.items()}


def party_id(municipality):
    """Local to the package (OCDS: unique within the release), stable as data is added."""
    return f"kommun-{municipality.code}"


def identifier(municipality):
    """An org-id.guide identifier, or None: the registry never guesses an organisation number."""
    if not municipality.organisation_number:
        return None
    return {"scheme": ORGANISATION_NUMBER_SCHEME, "id": municipality.organisation_number}


def ocid(procurement):
    return f"{settings.OCDS_OCID_PREFIX}-{procurement.slug}"


def _cpv_id(code):
    # OCDS's CPV codelist uses the eight digits without the check digit.
    return code.split("-")[0]


def _party(municipality, roles):
    party = {
        "id": party_id(municipality),
        "name": municipality.name,
        "roles": roles,
        "address": {"countryName": "Sverige"},
    }
    found = identifier(municipality)
    if found is not None:
        party["identifier"] = found
    return party


def release(procurement):
    """One release. `procurement` has its buyers prefetched and `about` from cite_records."""
    buyers = procurement.listed_buyers
    lead = next((b for b in buyers if b.is_lead), buyers[0] if len(buyers) == 1 else None)
    parties = []
    for buyer in buyers:
        roles = ["buyer"]
        if lead is not None and buyer.pk == lead.pk:
            roles.append("procuringEntity")
        parties.append(_party(buyer.municipality, roles))
    tender_status, tag = STATUS_MAPPING[procurement.status]
    body = {
        "ocid": ocid(procurement),
        "date": (procurement.updated_at or timezone.now()).isoformat(),
        "tag": [tag],
        "initiationType": "tender",
        "language": "sv",
        "parties": parties,
        "planning": {"rationale": _rationale(procurement)},
        "tender": {
            "id": procurement.slug,
            "title": procurement.title,
            "description": procurement.description,
            "status": tender_status,
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
    return {"id": f"{body['ocid']}-{tag}-{digest}", **body}


def _year(procurement, name, label):
    """ "Upphandlingsår: 2026." with the registry's reading when the year is interpreted."""
    found = facts.provenance(procurement, name)
    if found.status == facts.UNKNOWN:
        return ""
    text = _("%(label)s: %(value)s.") % {"label": label, "value": found.text}
    if found.status == facts.INTERPRETED:
        reasons = " ".join(c.interpretation for c in found.interpretations)
        text += " " + _("Registrets tolkning: %(reasons)s") % {"reasons": reasons}
    return text


def _buyers(procurement):
    """ "Köpare: Askersund. Registrets tolkning: …" when who buys is the registry's reading:
    OCDS's parties have no place to say so, and a buyer must not read as the source's word."""
    read = [(buyer, facts.provenance(buyer, "municipality")) for buyer in procurement.listed_buyers]
    read = [(buyer, found) for buyer, found in read if found.status == facts.INTERPRETED]
    if not read:
        return ""
    return " ".join(
        _("Köpare: %(name)s. Registrets tolkning: %(reasons)s")
        % {
            "name": buyer.municipality.name,
            "reasons": " ".join(c.interpretation for c in found.interpretations),
        }
        for buyer, found in read
    )


def _rationale(procurement):
    """How far the intent has come, the years as the source says them, who buys where that
    is a reading, and as of when."""
    parts = [
        _("Status: %(status)s.") % {"status": facts.text_with_mark(procurement, "status")},
        _year(procurement, "procurement_year", _("Upphandlingsår (mål eller plan)")),
        _year(procurement, "contract_start_year", _("Avtalsstart (år)")),
        _buyers(procurement),
        procurement.preconditions,
        _("Uppgifterna gäller: %(as_of)s.") % {"as_of": facts.as_of(procurement.about).text},
    ]
    return " ".join(part for part in parts if part)


def release_package(procurements, request, next_url=None, previous_url=None):
    """`procurements` as given to `release`. Every link in the package resolves: the package
    itself, the publication policy (the open data page, which documents the mapping above)
    and the pages before and after; the licence is the configured licence's own address."""
    with translation.override("sv"):  # the release's `language`
        releases = [release(p) for p in procurements]
        policy = absolute_url(reverse("agreements:open-data"))
    package = {
        "uri": absolute_url(request.get_full_path()),
        "version": OCDS_VERSION,
        "publishedDate": timezone.now().isoformat(),
        "publisher": {"name": settings.REGISTRY_PUBLISHER},
        "license": settings.OPEN_DATA_LICENSE_URL,
        "publicationPolicy": policy,
        "releases": releases,
    }
    links = {k: v for k, v in (("next", next_url), ("prev", previous_url)) if v}
    if links:
        package["links"] = links
    return package
