"""Who may change what: roles (groups) and the municipality scope of each record.

Superusers and registry editors may change everything. Municipality editors may add and change
only records their municipality takes part in; everything else they may only view (it is
public anyway). The scope is enforced on the server: admin permissions, form choices, formsets.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from .models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    EditorProfile,
    ErrorReport,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    Proposal,
    SourceDocument,
    StaffingCommitment,
)

REGISTRY_EDITORS = "Registerredaktörer"
MUNICIPALITY_EDITORS = "Kommunredaktörer"
# Looked up by name: the admin shows these names read-only and never deletes the groups.
ROLE_GROUPS = (REGISTRY_EDITORS, MUNICIPALITY_EDITORS)

BOUND = list(Party.BOUND_LEVELS)


def _bound_cooperations(m):
    """Ids of the cooperations `m` is bound to (a mention or an ambition grants nothing)."""
    return Party.objects.filter(municipality=m, level__in=BOUND).values("cooperation_id")


def _bought_procurements(m):
    return ProcurementBuyer.objects.filter(municipality=m).values("procurement_id")


# Each rule is a filter without joins to many rows (subqueries instead), so a row matches once
# and no DISTINCT is needed: ORing joins through parties and buyers made PostgreSQL join every
# citation to every path before filtering, a second per permission check.
SCOPED_MODELS = {
    Cooperation: lambda m: Q(pk__in=_bound_cooperations(m)),
    # A party row is the municipality's own statement of its part: only it changes that.
    Party: lambda m: Q(municipality=m),
    Objection: lambda m: Q(cooperation__in=_bound_cooperations(m)),
    AgreementVersion: lambda m: Q(cooperation__in=_bound_cooperations(m)),
    Proposal: lambda m: Q(cooperation__in=_bound_cooperations(m)),
    StaffingCommitment: lambda m: Q(financer=m),
    Post: lambda m: Q(employer=m),
    PlannedProcurement: lambda m: Q(pk__in=_bought_procurements(m)),
    ProcurementBuyer: lambda m: Q(procurement__in=_bought_procurements(m)),
    SourceDocument: lambda m: Q(issuing_municipality=m),
    Claim: lambda m: Q(made_by=m),
    Citation: lambda m: (
        Q(cooperation__in=_bound_cooperations(m))
        | Q(party__municipality=m)
        | Q(objection__cooperation__in=_bound_cooperations(m))
        | Q(agreement_version__cooperation__in=_bound_cooperations(m))
        | Q(proposal__cooperation__in=_bound_cooperations(m))
        | Q(commitment__financer=m)
        | Q(post__employer=m)
        | Q(procurement__in=_bought_procurements(m))
        | Q(claim__made_by=m)
        | Q(municipality=m)
    ),
    # A report about a record reaches the editors who may change that record.
    ErrorReport: lambda m: (
        Q(municipality=m)
        | Q(cooperation__in=_bound_cooperations(m))
        | Q(procurement__in=_bought_procurements(m))
        | Q(source__issuing_municipality=m)
    ),
}

# Models a municipality editor may add and change (within scope) or only view.
EDITABLE = [m._meta.model_name for m in SCOPED_MODELS]
# Rows only the public adds (through the site); staff answer and close them.
FROM_THE_PUBLIC = [ErrorReport._meta.model_name]
VIEW_ONLY = [
    "municipality",
    "county",
    "interpellation",
    "interpellationquestion",
]


class Unrestricted:
    """The scope of superusers and registry editors."""


UNRESTRICTED = Unrestricted()


def scope_of(user):
    """UNRESTRICTED, the user's municipality, or None (may edit nothing)."""
    if user.is_superuser or user.groups.filter(name=REGISTRY_EDITORS).exists():
        return UNRESTRICTED
    try:
        return user.editor_profile.municipality
    except EditorProfile.DoesNotExist:
        return None


def scoped(queryset, user):
    """The rows of `queryset` that `user` may change."""
    scope = scope_of(user)
    if scope is UNRESTRICTED:
        return queryset
    rule = SCOPED_MODELS.get(queryset.model)
    if scope is None or rule is None:
        return queryset.none()
    return queryset.filter(rule(scope))


def may_change(user, obj):
    """May `user` change or delete the row as it is stored?"""
    if scope_of(user) is UNRESTRICTED:
        return True
    if obj.pk is None:
        return True  # a new row: `may_write` judges what it would say
    return scoped(type(obj).objects.filter(pk=obj.pk), user).exists()


def _party_to(cooperation_id, municipality):
    return Party.objects.filter(
        cooperation_id=cooperation_id, municipality=municipality, level__in=BOUND
    ).exists()


def _buyer_in(procurement_id, municipality):
    return ProcurementBuyer.objects.filter(
        procurement_id=procurement_id, municipality=municipality
    ).exists()


# What a municipality editor may write, judged on the row as it would be saved. Rows that
# belong to a parent (a cooperation, a procurement) follow the parent; a municipality may
# always record its own part, which is how it joins a cooperation it is not yet part of.
WRITE_RULES = {
    # Its own part, or (new rows only) another municipality in a cooperation it is part of.
    Party: lambda o, m: (
        o.municipality_id == m.pk or (o.pk is None and _party_to(o.cooperation_id, m))
    ),
    Objection: lambda o, m: _party_to(o.cooperation_id, m),
    AgreementVersion: lambda o, m: _party_to(o.cooperation_id, m),
    Proposal: lambda o, m: _party_to(o.cooperation_id, m),
    StaffingCommitment: lambda o, m: o.financer_id == m.pk,
    Post: lambda o, m: o.employer_id == m.pk,
    ProcurementBuyer: lambda o, m: o.municipality_id == m.pk or _buyer_in(o.procurement_id, m),
    SourceDocument: lambda o, m: o.issuing_municipality_id == m.pk,
    Claim: lambda o, m: o.made_by_id == m.pk,
    # A new cooperation or procurement is judged by its rows: the editor's municipality must
    # be among its parties or buyers (the inline formsets check that).
    Cooperation: lambda o, m: o.pk is None or may_change_scope(o, m),
    PlannedProcurement: lambda o, m: o.pk is None or may_change_scope(o, m),
    Citation: lambda o, m: _may_write_target(o.target, m),
}


def _may_write_target(target, municipality):
    # A citation may document anything the editor may write, including a row saved together
    # with it (the target of an inline citation may be new).
    if target is None:
        return False
    if isinstance(target, Municipality):
        return target.pk == municipality.pk
    rule = WRITE_RULES.get(type(target))
    return rule is not None and rule(target, municipality)


def may_change_scope(obj, municipality):
    rule = SCOPED_MODELS.get(type(obj))
    if rule is None or obj.pk is None:
        return False
    return type(obj).objects.filter(rule(municipality), pk=obj.pk).exists()


def may_write(user, obj):
    """May `user` save `obj` with the values it now holds (new or changed)?"""
    scope = scope_of(user)
    if scope is UNRESTRICTED:
        return True
    rule = WRITE_RULES.get(type(obj))
    return scope is not None and rule is not None and rule(obj, scope)


def _is_host(role):
    return role == Party.Role.HOST


def _stored_role(party):
    if party.pk is None:
        return None
    return Party.objects.filter(pk=party.pk).values_list("role", flat=True).first()


def write_refusal(user, obj):
    """Why `user` may not save `obj` with the values it now holds, in words; or None.

    What a municipality editor may do beyond its scope (`may_write`): it records its own part
    in a cooperation, but who hosts the cooperation is the registry's to record. A host gives
    the work, and with it the right to edit the whole record, to one municipality.
    """
    if scope_of(user) is UNRESTRICTED:
        return None
    if isinstance(obj, Party) and _is_host(obj.role) != _is_host(_stored_role(obj)):
        return _(
            "Bara en registerredaktör kan ange eller ändra värdkommun. Välj en annan roll "
            "(till exempel deltagare), och be en registerredaktör om hjälp om källan säger "
            "vem som är värdkommun."
        )
    return None


def may_delete(user, obj):
    """May `user` delete the stored row? As `may_change`, but the host party is the
    registry's: removing it changes who hosts the cooperation."""
    if not may_change(user, obj):
        return False
    if scope_of(user) is UNRESTRICTED or obj.pk is None:
        return True
    return not (isinstance(obj, Party) and _is_host(_stored_role(obj)))


def ensure_groups(**kwargs):
    """Create the two editor groups with their permissions; safe to run after every migrate."""
    from django.contrib.auth.models import Group, Permission

    agreements = Permission.objects.filter(content_type__app_label="agreements")
    registry, _ = Group.objects.get_or_create(name=REGISTRY_EDITORS)
    registry.permissions.set(agreements.exclude(content_type__model="editorprofile"))
    municipal, _ = Group.objects.get_or_create(name=MUNICIPALITY_EDITORS)
    codenames = [
        f"{action}_{model}"
        for model in EDITABLE
        for action in ("add", "change", "delete", "view")
        if not (action == "add" and model in FROM_THE_PUBLIC)
    ] + [f"view_{model}" for model in VIEW_ONLY]
    municipal.permissions.set(agreements.filter(codename__in=codenames))
