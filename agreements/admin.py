from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models
from django.db.models import Count, ProtectedError, RestrictedError
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import rules
from .admin_users import EditorCreationMixin
from .formats import format_fte, nest_quotes
from .forms import (
    VERSION_FIELD,
    BuyerFormSet,
    MultilineTextField,
    PartyFormSet,
    RegistryModelForm,
    ScopedInlineFormSet,
    VersionedModelForm,
)
from .models import (
    CITABLE_FIELDS,
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    County,
    EditorProfile,
    Interpellation,
    InterpellationQuestion,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    Proposal,
    SourceDocument,
    StaffingCommitment,
    citable_fields,
)
from .models.base import VersionedModel, count_of, quoted_inside
from .roles import ROLE_GROUPS, UNRESTRICTED, may_change, may_delete, scope_of, scoped
from .source_forms import SourceDocumentForm


def _refusals(error):
    if isinstance(error, IntegrityError):
        return [rules.integrity_message(error)]
    return error.messages


def _discard_queued_messages(request):
    # The refused attempt already queued "…was changed successfully"; it was rolled back.
    # Django has no public way to withdraw a queued message.
    storage = messages.get_messages(request)
    getattr(storage, "_queued_messages", []).clear()


class RegistryFormMixin:
    """What every admin form and inline row of the registry shares.

    - The version the editor saw is rendered by construction: the admin lays out only the
      fields its `fields`/`fieldsets` name, so a hidden field the form declares would
      silently go missing from an explicit list, and every save would then look stale.
    - Multi-line text is compared and stored with the line breaks it was saved with.
    - No deleting of other records from inside a form (the related widget's red cross): that
      is a separate task with its own confirmation, and its own permission check.
    """

    formfield_overrides = {models.TextField: {"form_class": MultilineTextField}}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            formfield.widget.can_delete_related = False
            if scope_of(request.user) is not UNRESTRICTED:
                # Municipality editors change other records on their own pages, in scope.
                formfield.widget.can_change_related = False
        return formfield

    def _versioned(self):
        return issubclass(self.model, VersionedModel)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._versioned() and VERSION_FIELD not in fields:
            fields.append(VERSION_FIELD)
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._versioned() or VERSION_FIELD in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        first = (name, {**options, "fields": [*options["fields"], VERSION_FIELD]})
        return [first, *rest]


class ScopedAdmin(RegistryFormMixin, SimpleHistoryAdmin):
    """History, stale-save protection, the municipality scope and the rules across records.

    `own_fields` may only point at the editor's own municipality; `scoped_fields` only at rows
    the editor may change. The same limits apply to the autocomplete lists, so a choice
    offered there is never refused by the form. Viewing stays open: the registry is public.

    Every save, revert and delete is one checked change (agreements/rules.py): if it breaks a
    rule across records, nothing is saved and the form comes back with the reason and the
    editor's input.
    """

    form = VersionedModelForm
    own_fields: tuple[str, ...] = ()
    scoped_fields: tuple[str, ...] = ()

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if not issubclass(model, VersionedModel):
            self.form = RegistryModelForm

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_delete(request.user, obj))

    def limit_choices(self, request, field_name, queryset):
        """The rows `field_name` may point at for this editor."""
        scope = scope_of(request.user)
        if scope is UNRESTRICTED:
            return queryset
        if field_name in self.own_fields:
            return queryset.filter(pk=getattr(scope, "pk", None))
        if field_name in self.scoped_fields:
            return scoped(queryset, request.user)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = kwargs.get("queryset", db_field.related_model._default_manager.all())
        kwargs["queryset"] = self.limit_choices(request, db_field.name, queryset)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and self._own_municipality(request, db_field.name):
            # A municipality editor's record is their municipality's: left empty it would be
            # refused on save (or, saved, be one they could never edit again).
            formfield.required = True
            formfield.empty_label = None
        return formfield

    def _own_municipality(self, request, field_name):
        """The editor's municipality if `field_name` must point at it, else None."""
        scope = scope_of(request.user)
        if field_name in self.own_fields and isinstance(scope, Municipality):
            return scope
        return None

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name in self.own_fields:
            own = self._own_municipality(request, name)
            if own is not None:
                initial.setdefault(name, own.pk)
        return initial

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        return self.limit_autocomplete(request, queryset), duplicates

    def limit_autocomplete(self, request, queryset):
        """An autocomplete list offers what the asking form accepts, nothing more."""
        match = request.resolver_match
        if match is None or match.url_name != "autocomplete":
            return queryset
        from django.apps import apps

        try:
            model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        except (KeyError, LookupError):
            return queryset
        source = self.admin_site._registry.get(model)
        if not isinstance(source, ScopedAdmin):
            return queryset
        return source.limit_choices(request, request.GET.get("field_name", ""), queryset)

    def save_model(self, request, obj, form, change):
        # Saving a page where only inline rows changed must not make the record itself a new
        # version: another editor's open form of it would then be refused for nothing.
        reverting = getattr(request, "revert_from_version", None) is not None
        if change and not form.has_changed() and not reverting:
            return
        super().save_model(request, obj, form, change)

    # The message after a save names the record inside ”…”; a name that quotes a name of its
    # own (a commitment's post, a citation's passage) then quotes it with ’…’, as Swedish nests
    # quotations: ”Laxå: 0,5 av ’Upphandlare’”, not ”Laxå: 0,5 av ”Upphandlare””.
    def response_add(self, request, obj, post_url_continue=None):
        with quoted_inside(obj):
            return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        version = getattr(request, "revert_to_history", None)
        if version is not None and "_continue" not in request.POST:
            # A revert says it was one, and to which version, and stays on the record.
            record = obj.history.filter(pk=version).first()
            if record is not None:
                with quoted_inside(obj):
                    self.message_user(
                        request,
                        format_html(
                            _("Återställde {name} ”{obj}” till versionen från {when}."),
                            name=obj._meta.verbose_name,
                            obj=obj,
                            when=date_format(localtime(record.history_date), "j F Y H:i"),
                        ),
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(self._change_url(obj.pk))
        with quoted_inside(obj):
            return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        return super().response_delete(request, nest_quotes(obj_display), obj_id)

    def render_delete_form(self, request, context):
        # "Är du säker på att du vill ta bort citat ”…”?" names the record inside quotes too.
        with quoted_inside(context["object"]):
            return super().render_delete_form(request, context).render()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        attrs = {"editor": request.user, "rule_errors": getattr(request, "rule_errors", ())}
        base = getattr(request, "revert_from_version", None)
        if base is not None and issubclass(form, VersionedModelForm):
            attrs["version_override"] = base
        return type(form.__name__, (form,), attrs)

    def _checked(self, request, view, *args, **kwargs):
        """Run a view that writes as one checked change; a refusal comes back on its form."""
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            with rules.checked_writes():
                response = view(request, *args, **kwargs)
        except (rules.RuleViolation, IntegrityError) as error:
            # Everything was rolled back. Render the same request again with the reason
            # attached to the form, so that the editor sees it next to what they typed.
            _discard_queued_messages(request)
            request.rule_errors = _refusals(error)
            return view(request, *args, **kwargs)
        # What the change did beyond what the editor typed (a citation taken off).
        for notice in rules.take_notices():
            self.message_user(request, notice, messages.WARNING)
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._checked(request, super().changeform_view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            # Say before the editor confirms, not after, that the rules forbid it.
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_delete_permission(request, obj):
                try:
                    refusal = rules.refusal_of(obj.delete)
                except (ProtectedError, RestrictedError):
                    refusal = None  # the confirmation page lists what protects it
                if refusal is not None:
                    return self._refused(request, refusal, self._change_url(object_id))
            return super().delete_view(request, object_id, extra_context)
        try:
            with rules.checked_writes():
                return super().delete_view(request, object_id, extra_context)
        except (rules.RuleViolation, IntegrityError) as error:
            return self._refused(request, error, self._change_url(object_id))

    def changelist_view(self, request, extra_context=None):
        # Actions (delete selected) write too.
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with rules.checked_writes():
                return super().changelist_view(request, extra_context)
        except (rules.RuleViolation, IntegrityError) as error:
            return self._refused(request, error, request.get_full_path())

    def _refused(self, request, error, url):
        _discard_queued_messages(request)
        for text in _refusals(error):
            self.message_user(request, text, messages.ERROR)
        return HttpResponseRedirect(url)

    def _change_url(self, object_id):
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[object_id],
        )

    def history_view(self, request, object_id, extra_context=None):
        # The history shows staff names: staff only, as for the change form.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting is a change: same permission, same stale-save check, same rules."""
        current = self.get_object(request, unquote(object_id))
        if current is None:
            raise Http404
        if request.method == "POST" and not self.has_change_permission(request, current):
            raise PermissionDenied
        request.revert_from_version = getattr(current, "version", None)
        request.revert_to_history = version_id
        return self._checked(
            request, super().history_form_view, object_id, version_id, extra_context
        )


class ScopedInline(RegistryFormMixin):
    """Inline rows: stale-save protection, and the editor handed to the formset's rules."""

    form = VersionedModelForm
    formset = ScopedInlineFormSet

    def __init__(self, parent_model, admin_site):
        super().__init__(parent_model, admin_site)
        if not issubclass(self.model, VersionedModel):
            self.form = RegistryModelForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user
        formset.form = type(formset.form.__name__, (formset.form,), {"editor": request.user})
        return formset

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    has_add_permission = has_change_permission

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_delete(request.user, obj))


def field_name_choices(model=None):
    """A list to pick the supported field from, by its label.

    For one kind of record (a citation inline on its record's page), the record's fields.
    For any (the citation's own page), every kind's fields grouped under its name, each
    choice "<target>.<field>" and labelled with its kind too ("Namn (samverkan)"): several
    kinds have a "Namn" or a "Status", and a closed list shows only the chosen label.
    """
    whole = [("", _("Hela posten"))]
    if model is not None:
        return whole + citable_fields(model)
    return whole + [
        (
            capfirst(kind._meta.verbose_name),
            [
                (f"{target}.{name}", f"{label} ({kind._meta.verbose_name})")
                for name, label in citable_fields(kind)
            ],
        )
        for target, kind in CITABLE_FIELDS.items()
    ]


class CitationFieldMixin:
    """The cited field is chosen from the target's fields by label, not typed by name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "field_name":
            return forms.ChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=field_name_choices(getattr(self, "parent_model", None)),
                required=False,
                help_text=_("Välj ett fält om citatet bara stöder det, annars hela posten."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class CitationForm(VersionedModelForm):
    """A citation's own page: the cited field is picked as "<target>.<field>" (see
    field_name_choices) and stored as the field's name, once it is sure to be the target's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        target = self._target_name(lambda name: getattr(self.instance, f"{name}_id"))
        if self.instance.field_name and target and "field_name" in self.fields:
            self.initial["field_name"] = f"{target}.{self.instance.field_name}"

    @staticmethod
    def _target_name(value_of):
        targets = [name for name in CITABLE_FIELDS if value_of(name)]
        return targets[0] if len(targets) == 1 else None

    def clean(self):
        cleaned = super().clean()
        kind, dot, name = (cleaned.get("field_name") or "").partition(".")
        if not dot:
            return cleaned
        cleaned["field_name"] = name
        target = self._target_name(cleaned.get)
        if target is not None and target != kind:
            model = CITABLE_FIELDS[kind]
            self.add_error(
                "field_name",
                _(
                    "Citatet gäller en post av typen ”%(group)s”, men fältet ”%(field)s” hör "
                    "till typen ”%(kind)s”. Välj ett fält under ”%(group)s”, eller ”Hela "
                    "posten”."
                )
                % {
                    "field": dict(citable_fields(model)).get(name, name),
                    "kind": capfirst(model._meta.verbose_name),
                    "group": capfirst(CITABLE_FIELDS[target]._meta.verbose_name),
                },
            )
        return cleaned


def cited_field_label(citation):
    """The label of the field a citation supports, as staff read it ("Andel av heltid"), not
    its name in the code ("fte"); "Hela posten" when it supports the whole record."""
    target = citation.target
    if not citation.field_name:
        return _("Hela posten")
    if target is None:
        return citation.field_name
    return dict(citable_fields(type(target))).get(citation.field_name, citation.field_name)


class CitationInline(CitationFieldMixin, ScopedInline, admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["source", "key", "quote", "field_name", "interpretation", "note"]
    autocomplete_fields = ["source"]
    verbose_name_plural = _("källhänvisningar")

    # An editor who may only view the record reads the field's label, as the form would
    # offer it, not the name stored ("fte", "level"), which the staff reviewer was shown.
    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return ["cited_field" if name == "field_name" else name for name in fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_change_permission(request, obj):
            readonly.append("cited_field")
        return readonly

    @admin.display(description=_("fält"))
    def cited_field(self, citation):
        return cited_field_label(citation)


def citation_inline(fk):
    return type(f"{fk.title()}CitationInline", (CitationInline,), {"fk_name": fk})


@admin.register(County)
class CountyAdmin(ScopedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(ScopedAdmin):
    list_display = ["name", "code", "county", "current_financed_fte", "current_hosted_fte"]
    list_filter = ["county"]
    list_select_related = ["county"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["current_financed_fte", "current_hosted_fte"]
    inlines = [citation_inline("municipality")]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .public()
            .annotate(
                hosted_fte=StaffingCommitment.objects.current().total_fte_subquery(
                    "post__employer"
                ),
            )
        )

    @admin.display(
        description=_("finansierar, senast kända andelar (heltidstjänster)"),
        ordering="current_financed_fte",
    )
    def current_financed_fte(self, obj):
        return format_fte(getattr(obj, "current_financed_fte", 0) or 0)

    @admin.display(
        description=_("tjänster hos kommunen som finansieras, senast kända andelar"),
        ordering="hosted_fte",
    )
    def current_hosted_fte(self, obj):
        return format_fte(getattr(obj, "hosted_fte", 0) or 0)


class PartyInline(ScopedInline, admin.TabularInline):
    model = Party
    formset = PartyFormSet
    extra = 1  # an empty row to fill in, also without JavaScript
    autocomplete_fields = ["municipality"]
    fields = ["municipality", "level", "role", "start_date", "end_date", "note"]
    verbose_name_plural = _("kommuner och hur långt de har förbundit sig")


class AgreementVersionInline(ScopedInline, admin.TabularInline):
    model = AgreementVersion
    fk_name = "cooperation"
    extra = 1
    fields = ["sequence", "kind", "summary", "date", "prompted_by"]
    autocomplete_fields = ["prompted_by"]


class ProposalInline(ScopedInline, admin.TabularInline):
    model = Proposal
    fk_name = "cooperation"
    extra = 0
    fields = ["position", "summary", "proposed_in", "municipalities", "status"]
    autocomplete_fields = ["proposed_in", "municipalities"]


def _version_label(version):
    # Under the heading "Avtalsversion": "2: utökning".
    return _("%(n)s: %(kind)s") % {
        "n": version.sequence,
        "kind": version.get_kind_display().lower(),
    }


class CommitmentInline(ScopedInline, admin.TabularInline):
    model = StaffingCommitment
    extra = 1  # an empty row to fill in, also without JavaScript
    fields = [
        "post",
        "financer",
        "fte",
        "agreement_version",
        "supersedes",
        "start_date",
        "end_date",
        "is_current_display",
    ]
    # Fits 1280 px: the note is edited on the commitment's own page; the order within a chain
    # is numbered by itself and the state says what matters.
    readonly_fields = ["is_current_display"]
    autocomplete_fields = ["post", "financer"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        version = formset.form.base_fields.get("agreement_version")
        if version is not None and obj is not None:
            # On the cooperation's page: its own versions, named without it ("2: utökning"),
            # so that the narrow column tells them apart.
            version.queryset = version.queryset.filter(cooperation=obj)
            version.label_from_instance = _version_label
        supersedes = formset.form.base_fields.get("supersedes")
        if supersedes is not None:
            # Only this cooperation's commitments can be superseded here (the model's clean()
            # refuses any other). Every commitment in the country, each named by a query for
            # its financer and one for its post, in every row, took the national data set's
            # agreement page 34,000 queries and 49 s; a new cooperation has none to offer.
            supersedes.queryset = supersedes.queryset.filter(
                cooperation=obj.pk if obj is not None else None
            ).select_related("financer", "post")
        return formset

    @admin.display(description=_("läge"))
    def is_current_display(self, obj):
        return obj.state_display if obj.pk else "–"


class ObjectionInline(ScopedInline, admin.TabularInline):
    model = Objection
    extra = 1  # an empty row to fill in, also without JavaScript
    autocomplete_fields = ["raised_by"]


class CooperationForm(VersionedModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        led_to = self.fields.get("led_to")
        if led_to is not None and self.instance.pk is not None:
            # A cooperation leads to others, not to itself; a forged choice of it is refused.
            led_to.queryset = led_to.queryset.exclude(pk=self.instance.pk)
            # The admin wraps the widget; the list it renders is the wrapped widget's.
            inner = getattr(led_to.widget, "widget", None)
            if inner is not None:
                inner.choices = led_to.choices


@admin.register(Cooperation)
class CooperationAdmin(ScopedAdmin):
    form = CooperationForm
    list_display = [
        "name",
        "form",
        "legally_binding",
        "status",
        "host",
        "party_count",
        "current_fte",
    ]
    list_filter = ["status", "form", "legally_binding", "host"]
    list_select_related = ["host"]
    search_fields = ["name", "description", "parties__municipality__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["host", "current_fte", "fte_history"]
    inlines = [
        PartyInline,
        AgreementVersionInline,
        CommitmentInline,
        ProposalInline,
        ObjectionInline,
        citation_inline("cooperation"),
    ]
    fieldsets = [
        (
            None,
            {"fields": ["name", "slug", "form", "legally_binding", "has_host", "host", "status"]},
        ),
        (
            _("Vad samverkan är"),
            {
                "fields": [
                    "description",
                    "purpose",
                    "tasks",
                    "legal_basis",
                    "record_keeper",
                    "outcome",
                    "led_to",
                ]
            },
        ),
        (_("Tid"), {"fields": ["start_date", "end_date"]}),
        (_("Finansiering"), {"fields": ["current_fte", "fte_history"]}),
    ]
    # What a cooperation led to is searched as typed: the two-list picker listed every
    # cooperation in the country, 5,000 at national scale and 350 KB of every page.
    autocomplete_fields = ["record_keeper", "led_to"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_parties=count_of(Party, "cooperation", level__in=Party.BOUND_LEVELS),
                current_total_fte=StaffingCommitment.objects.current().total_fte_subquery(
                    "cooperation"
                ),
            )
        )

    @admin.display(description=_("antal parter"), ordering="n_parties")
    def party_count(self, obj):
        return obj.n_parties

    @admin.display(description=_("finansierade tjänster nu"), ordering="current_total_fte")
    def current_fte(self, obj):
        return format_fte(getattr(obj, "current_total_fte", 0) or 0)

    @admin.display(description=_("historik"))
    def fte_history(self, obj):
        rows = obj.commitments.history() if obj.pk else []
        if not rows:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                # The share in the words of its own name ("Laxå: 0,5 av ”…”"), as elsewhere.
                "<li>{} ({})</li>",
                ((c, c.state_display) for c in rows),
            ),
        )


@admin.register(Party)
class PartyAdmin(ScopedAdmin):
    # Any cooperation, their own municipality: how a municipality editor records joining a
    # cooperation it is not yet part of. Other municipalities are added in the cooperation.
    own_fields = ("municipality",)
    list_display = ["municipality", "cooperation", "level", "role"]
    list_filter = ["level", "role", "municipality"]
    list_select_related = ["municipality", "cooperation"]
    search_fields = ["municipality__name", "cooperation__name"]
    autocomplete_fields = ["municipality", "cooperation"]
    inlines = [citation_inline("party")]


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    own_fields = ("employer",)
    list_display = ["name", "employer", "title", "current_fte"]
    list_filter = ["employer"]
    list_select_related = ["employer"]
    search_fields = ["name", "title", "employer__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["employer"]
    readonly_fields = ["current_fte"]
    inlines = [citation_inline("post")]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(current_total=StaffingCommitment.objects.current().total_fte_subquery("post"))
        )

    @admin.display(description=_("finansierad andel nu"), ordering="current_total")
    def current_fte(self, obj):
        return format_fte(getattr(obj, "current_total", 0) or 0)


@admin.register(StaffingCommitment)
class StaffingCommitmentAdmin(ScopedAdmin):
    own_fields = ("financer",)
    scoped_fields = ("cooperation", "supersedes")
    # The state carries the dates ("gäller från 2027-01-01"); the post's name without its
    # employer keeps the list within 1280 px.
    list_display = ["financer", "fte_display", "post_name", "cooperation", "state"]
    # Only the cooperations and municipalities that have commitments (those the editor may
    # see): at national scale a list of all 5,000 cooperations in the sidebar was most of the
    # page's time, and most of them led to an empty list.
    list_filter = [
        ("financer", admin.RelatedOnlyFieldListFilter),
        ("cooperation", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["financer", "post__employer", "cooperation", "superseded_by"]
    search_fields = ["financer__name", "post__name", "cooperation__name"]
    autocomplete_fields = ["cooperation", "post", "financer", "supersedes"]
    readonly_fields = ["sequence"]
    inlines = [citation_inline("commitment")]

    @admin.display(description=_("andel"), ordering="fte")
    def fte_display(self, obj):
        return format_fte(obj.fte)

    @admin.display(description=_("tjänst"), ordering="post__name")
    def post_name(self, obj):
        return obj.post.name

    @admin.display(description=_("läge"))
    def state(self, obj):
        return obj.state_display


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ScopedAdmin):
    scoped_fields = ("cooperation",)
    list_display = ["cooperation", "sequence", "kind", "date"]
    list_select_related = ["cooperation"]
    list_filter = ["kind"]
    search_fields = ["summary", "cooperation__name"]
    autocomplete_fields = ["cooperation", "prompted_by"]
    inlines = [citation_inline("agreement_version")]


@admin.register(Proposal)
class ProposalAdmin(ScopedAdmin):
    scoped_fields = ("cooperation",)
    list_display = ["cooperation", "position", "status", "proposed_in"]
    list_select_related = ["cooperation", "proposed_in"]
    list_filter = ["status"]
    search_fields = ["summary", "cooperation__name"]
    autocomplete_fields = ["cooperation", "proposed_in", "municipalities"]
    inlines = [citation_inline("proposal")]


@admin.register(Objection)
class ObjectionAdmin(ScopedAdmin):
    scoped_fields = ("cooperation",)
    list_display = ["argument", "cooperation", "raised_by"]
    list_select_related = ["cooperation", "raised_by"]
    # Only cooperations with objections (that the editor may see), not all 5,000.
    list_filter = [("cooperation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["argument"]
    # Searched as typed: a select of every cooperation in the country was 400 KB a page.
    autocomplete_fields = ["cooperation", "raised_by"]
    inlines = [citation_inline("objection")]


@admin.register(Claim)
class ClaimAdmin(ScopedAdmin):
    own_fields = ("made_by",)
    list_display = ["statement", "made_by", "channel", "assessment"]
    list_select_related = ["made_by"]
    list_filter = ["assessment", "made_by"]
    search_fields = ["statement", "assessment_note"]
    prepopulated_fields = {"slug": ["statement"]}
    inlines = [citation_inline("claim")]


@admin.register(ProcurementBuyer)
class ProcurementBuyerAdmin(ScopedAdmin):
    scoped_fields = ("procurement",)
    list_display = ["municipality", "procurement", "is_lead"]
    list_filter = ["is_lead", "municipality"]
    list_select_related = ["municipality", "procurement"]
    search_fields = ["municipality__name", "procurement__title"]
    autocomplete_fields = ["municipality", "procurement"]


class BuyerInline(ScopedInline, admin.TabularInline):
    model = ProcurementBuyer
    formset = BuyerFormSet
    extra = 1  # an empty row to fill in, also without JavaScript
    autocomplete_fields = ["municipality"]


@admin.register(PlannedProcurement)
class PlannedProcurementAdmin(ScopedAdmin):
    list_display = [
        "title",
        "status",
        "procurement_year",
        "contract_start_year",
        "buyer_list",
        "cpv_code",
    ]
    list_filter = ["status", "procurement_year", "buyers__municipality"]
    search_fields = ["title", "description", "cpv_code"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["cooperation"]
    inlines = [BuyerInline, citation_inline("procurement")]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("buyers__municipality")

    def get_search_results(self, request, queryset, search_term):
        # The public full-text search (GIN on PostgreSQL), not LIKE over 100,000 rows.
        return self.limit_autocomplete(request, queryset.search(search_term)), False

    @admin.display(description=_("köpare"))
    def buyer_list(self, obj):
        return ", ".join(str(b.municipality) for b in obj.buyers.all())


@admin.register(SourceDocument)
class SourceDocumentAdmin(ScopedAdmin):
    own_fields = ("issuing_municipality",)
    form = SourceDocumentForm
    list_display = ["title", "kind", "author", "issuing_municipality", "date", "citation_count"]
    list_filter = ["kind", "issuing_municipality"]
    list_select_related = ["issuing_municipality"]
    search_fields = ["title", "author", "publisher"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["original_info", "citation_picker", "text_display"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "kind",
                    "publisher",
                    "issuing_municipality",
                    "author",
                    "author_role",
                    "author_party",
                    "date",
                    "date_note",
                    "url",
                ]
            },
        ),
        (
            _("Dokumentet"),
            {
                "fields": ["original", "original_info", "text", "file_name"],
                "description": _(
                    "Ladda upp dokumentet, eller klistra in texten om du inte har någon fil."
                ),
            },
        ),
        (_("Citera ur texten"), {"fields": ["citation_picker"]}),
        (_("Dokumentets text"), {"fields": ["text_display"]}),
    ]

    class Media:
        js = ["agreements/admin/citation_picker.js"]
        css = {"all": ["agreements/admin/sources.css"]}

    def get_queryset(self, request):
        # The change list shows no text: leave the documents' full texts in the database.
        return super().get_queryset(request).defer("text").annotate(n_citations=Count("citations"))

    def get_object(self, request, object_id, from_field=None):
        # The change form needs the text the list leaves out.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.refresh_from_db(fields=["text"])
        return obj

    def get_fieldsets(self, request, obj=None):
        may_cite = self._may_cite(request)
        may_change = self.has_change_permission(request, obj)
        hidden = set()
        if obj is None:
            hidden.add("original_info")
        if obj is not None and obj.has_original:
            # Its text is what was read from its file (uploaded or in seeds/), shown below;
            # only a new file changes it (SourceDocument.keep_text_of_original).
            hidden.add("text")
        if obj is not None and not may_change:
            # Read-only: the stored text is shown below, the file through original_info (the
            # field itself would link to MEDIA_URL, which is never served).
            hidden.update({"text", "original", "file_name"})
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [f for f in options["fields"] if f not in hidden]
            if "original" in fields and obj is not None and obj.has_original:
                options = {
                    **options,
                    "description": _(
                        "Texten nedan är hämtad ur filen och kan inte ändras för hand. Ladda upp "
                        "en ny fil om texten ska ändras."
                    ),
                }
            if "citation_picker" in fields and not (obj and obj.text and may_cite):
                continue
            if "text_display" in fields and not (obj and obj.text and not may_cite):
                continue
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def _may_cite(self, request):
        return request.user.has_perm(f"{Citation._meta.app_label}.add_citation")

    @admin.display(description=_("antal citat"), ordering="n_citations")
    def citation_count(self, obj):
        return obj.n_citations

    @admin.display(description=_("sparad fil"))
    def original_info(self, obj):
        if not obj or not obj.has_original:
            return _("Ingen fil ännu.")
        return format_html(
            '<a href="{}">{}</a> ({}, {})<br>SHA-256: <code class="sha256">{}</code>',
            obj.get_original_url(),
            obj.original_name,
            obj.get_original_format_display(),
            filesizeformat(obj.original_size or 0),
            obj.original_sha256,
        )

    @admin.display(description=_("text"))
    def text_display(self, obj):
        return format_html('<div class="source-text" lang="sv">{}</div>', obj.text)

    @admin.display(description=_("välj ett stycke"))
    def citation_picker(self, obj):
        """The stored text to select a passage in, and where a new citation of it starts.

        Without JavaScript the link opens the citation form with this source chosen, to paste
        the passage into; with it, "Citera" carries the selected words there too.
        """
        add_url = reverse("admin:agreements_citation_add") + "?" + urlencode({"source": obj.pk})
        return format_html(
            '<div class="citation-picker" data-add-url="{}">'
            '<p class="citation-picker-help" id="citation-picker-help">{}</p>'
            '<div class="source-text" lang="sv" tabindex="0"'
            ' aria-describedby="citation-picker-help">{}</div>'
            '<div class="citation-picker-actions">'
            '<button type="button" class="button citation-picker-cite" hidden disabled>{}</button>'
            ' <a class="citation-picker-link" href="{}">{}</a></div></div>',
            add_url,
            _(
                "Markera ett stycke i texten och tryck på ”Citera” för att registrera ett nytt "
                "citat av det. Du kan också kopiera stycket och klistra in det i ett nytt citat."
            ),
            obj.text,
            _("Citera"),
            add_url,
            _("Nytt citat ur den här källan"),
        )


@admin.register(Citation)
class CitationAdmin(CitationFieldMixin, ScopedAdmin):
    form = CitationForm
    scoped_fields = tuple(CITABLE_FIELDS)
    list_display = ["key", "source", "quote_display", "target_display", "field_label"]
    list_filter = ["source"]
    # Newest first by primary key: sorting by source title joins and sorts every citation.
    ordering = ["-pk"]
    readonly_fields = ["passage_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "source",
                    "quote",
                    "passage_link",
                    "key",
                    "field_name",
                    "interpretation",
                    "note",
                ]
            },
        ),
        (
            _("Vad citatet stöder"),
            {
                "fields": list(CITABLE_FIELDS),
                "description": _("Välj exakt en post som citatet hör till."),
            },
        ),
    ]

    def get_queryset(self, request):
        # target_display reads the target and its page address: join them, not one query a row.
        return super().get_queryset(request).with_targets()

    search_fields = ["key", "quote"]
    # Every record a citation can support is searched as typed. As plain selects the add page
    # listed every record in the country, 100,000 procurements among them, each commitment
    # named by two queries: 23 MB and minutes at national scale.
    autocomplete_fields = ["source", *CITABLE_FIELDS]

    @admin.display(description=_("citat"))
    def quote_display(self, obj):
        return obj.short_quote

    @admin.display(description=_("fält"), ordering="field_name")
    def field_label(self, obj):
        return cited_field_label(obj)

    @admin.display(description=_("gäller"))
    def target_display(self, obj):
        target = obj.target
        if target is None:
            return "–"
        return format_html("{}: {}", target._meta.verbose_name, target)

    @admin.display(description=_("plats i källan"))
    def passage_link(self, obj):
        if not obj or obj.start is None:
            return _("Bestäms när citatet sparas.")
        return format_html(
            '<a href="{}">{}</a>',
            obj.get_absolute_url(),
            _("tecken %(start)s–%(end)s, visa på källans sida")
            % {"start": obj.start, "end": obj.end},
        )


class QuestionInline(ScopedInline, admin.StackedInline):
    model = InterpellationQuestion
    extra = 0


@admin.register(Interpellation)
class InterpellationAdmin(ScopedAdmin):
    list_display = ["title", "municipality", "asked_by", "addressed_to"]
    list_select_related = ["municipality"]
    search_fields = ["title", "asked_by", "addressed_to"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [QuestionInline, citation_inline("interpellation")]


@admin.register(InterpellationQuestion)
class InterpellationQuestionAdmin(ScopedAdmin):
    list_display = ["number", "question", "interpellation"]
    list_select_related = ["interpellation"]
    search_fields = ["question", "answer"]
    inlines = [citation_inline("question")]


class RoleGroupAdmin(GroupAdmin):
    """The two role groups are looked up by name (agreements/roles.py): renamed or deleted,
    every editor of that role would lose their rights and creating editors would fail. Their
    names are shown, not edited, and they cannot be deleted; other groups are as usual."""

    def _is_role(self, obj):
        return obj is not None and obj.name in ROLE_GROUPS

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "name"] if self._is_role(obj) else fields

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._is_role(obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        roles = [obj for obj in objs if self._is_role(obj)]
        if roles:
            # The list's "delete selected" then refuses, naming what it will not delete.
            perms_needed = set(perms_needed) | {
                _("rollgruppen ”%(name)s”, som rollerna bygger på") % {"name": obj.name}
                for obj in roles
            }
        return deleted, counts, perms_needed, protected


admin.site.unregister(Group)
admin.site.register(Group, RoleGroupAdmin)


class EditorProfileInline(admin.StackedInline):
    model = EditorProfile
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = _("kommun som användaren redigerar för")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(EditorCreationMixin, UserAdmin):
    inlines = [EditorProfileInline]
    list_display = [*UserAdmin.list_display, "editor_municipality"]
    list_select_related = ["editor_profile__municipality"]

    @admin.display(description=_("kommun"))
    def editor_municipality(self, obj):
        profile = getattr(obj, "editor_profile", None)
        return profile.municipality if profile else "–"


from . import admin_reports  # noqa: E402, F401  (the error report queue registers itself)
