from django.contrib import admin
from django.db.models import Count
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import (
    Citation,
    Claim,
    Cooperation,
    County,
    Interpellation,
    InterpellationQuestion,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)


def fte(value):
    return number_format(value, decimal_pos=2)


class CitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["source", "key", "quote", "field_name", "note"]
    autocomplete_fields = ["source"]
    verbose_name_plural = _("källhänvisningar")


def citation_inline(fk):
    return type(f"{fk.title()}CitationInline", (CitationInline,), {"fk_name": fk})


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
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
            .annotate(
                financed_fte=StaffingCommitment.objects.current().total_fte_subquery("financer"),
                hosted_fte=StaffingCommitment.objects.current().total_fte_subquery(
                    "post__employer"
                ),
            )
        )

    @admin.display(description=_("finansierar nu (heltidstjänster)"), ordering="financed_fte")
    def current_financed_fte(self, obj):
        return fte(getattr(obj, "financed_fte", 0) or 0)

    @admin.display(description=_("tjänster hos kommunen som finansieras nu"), ordering="hosted_fte")
    def current_hosted_fte(self, obj):
        return fte(getattr(obj, "hosted_fte", 0) or 0)


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    autocomplete_fields = ["municipality"]


class CommitmentInline(admin.TabularInline):
    model = StaffingCommitment
    extra = 0
    fields = [
        "post",
        "financer",
        "fte",
        "supersedes",
        "sequence",
        "start_date",
        "end_date",
        "is_current_display",
        "note",
    ]
    readonly_fields = ["sequence", "is_current_display"]
    autocomplete_fields = ["post", "financer"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()

    @admin.display(description=_("gäller nu"), boolean=True)
    def is_current_display(self, obj):
        return obj.is_current if obj.pk else None


class ObjectionInline(admin.TabularInline):
    model = Objection
    extra = 0
    autocomplete_fields = ["raised_by"]


@admin.register(Cooperation)
class CooperationAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ["host"]
    filter_horizontal = ["led_to"]
    readonly_fields = ["current_fte", "fte_history"]
    inlines = [PartyInline, CommitmentInline, ObjectionInline, citation_inline("cooperation")]
    fieldsets = [
        (None, {"fields": ["name", "slug", "form", "legally_binding", "host", "status"]}),
        (_("Innehåll"), {"fields": ["description", "outcome", "led_to"]}),
        (_("Tid"), {"fields": ["start_date", "end_date"]}),
        (_("Finansiering"), {"fields": ["current_fte", "fte_history"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_parties=Count("parties", distinct=True),
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
        return fte(getattr(obj, "current_total_fte", 0) or 0)

    @admin.display(description=_("historik"))
    def fte_history(self, obj):
        rows = obj.commitments.history() if obj.pk else []
        if not rows:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} av {} {}</li>",
                (
                    (
                        c.financer,
                        fte(c.fte),
                        c.post.name,
                        _("(gäller nu)") if c.is_current else _("(ersatt)"),
                    )
                    for c in rows
                ),
            ),
        )


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["municipality", "cooperation", "role"]
    list_filter = ["role", "municipality"]
    list_select_related = ["municipality", "cooperation"]
    search_fields = ["municipality__name", "cooperation__name"]
    autocomplete_fields = ["municipality", "cooperation"]
    inlines = [citation_inline("party")]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["name", "employer", "title", "current_fte"]
    list_filter = ["employer"]
    list_select_related = ["employer"]
    search_fields = ["name", "title", "employer__name"]
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
        return fte(getattr(obj, "current_total", 0) or 0)


@admin.register(StaffingCommitment)
class StaffingCommitmentAdmin(admin.ModelAdmin):
    list_display = ["financer", "fte_display", "post", "cooperation", "sequence", "is_current"]
    list_filter = ["financer", "cooperation"]
    list_select_related = ["financer", "post__employer", "cooperation", "superseded_by"]
    search_fields = ["financer__name", "post__name", "cooperation__name"]
    autocomplete_fields = ["cooperation", "post", "financer", "supersedes"]
    readonly_fields = ["sequence"]
    inlines = [citation_inline("commitment")]

    @admin.display(description=_("andel"), ordering="fte")
    def fte_display(self, obj):
        return fte(obj.fte)

    @admin.display(description=_("gäller nu"), boolean=True)
    def is_current(self, obj):
        return obj.is_current


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["argument", "cooperation", "raised_by"]
    list_select_related = ["cooperation", "raised_by"]
    list_filter = ["cooperation"]
    search_fields = ["argument"]
    inlines = [citation_inline("objection")]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["statement", "made_by", "channel", "assessment"]
    list_select_related = ["made_by"]
    list_filter = ["assessment", "made_by"]
    search_fields = ["statement", "assessment_note"]
    inlines = [citation_inline("claim")]


@admin.register(ProcurementBuyer)
class ProcurementBuyerAdmin(admin.ModelAdmin):
    list_display = ["municipality", "procurement", "is_lead"]
    list_filter = ["is_lead", "municipality"]
    list_select_related = ["municipality", "procurement"]
    search_fields = ["municipality__name", "procurement__title"]
    autocomplete_fields = ["municipality", "procurement"]


class BuyerInline(admin.TabularInline):
    model = ProcurementBuyer
    extra = 0
    autocomplete_fields = ["municipality"]


@admin.register(PlannedProcurement)
class PlannedProcurementAdmin(admin.ModelAdmin):
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

    @admin.display(description=_("köpare"))
    def buyer_list(self, obj):
        return ", ".join(str(b.municipality) for b in obj.buyers.all())


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "author", "issuing_municipality", "date", "citation_count"]
    list_filter = ["kind", "issuing_municipality"]
    list_select_related = ["issuing_municipality"]
    search_fields = ["title", "author"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_citations=Count("citations"))

    @admin.display(description=_("antal citat"), ordering="n_citations")
    def citation_count(self, obj):
        return obj.n_citations


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["key", "source", "short_quote", "target_display", "field_name"]
    list_filter = ["source"]
    list_select_related = ["source"]
    search_fields = ["key", "quote"]
    autocomplete_fields = ["source"]

    @admin.display(description=_("gäller"))
    def target_display(self, obj):
        target = obj.target
        if target is None:
            return "–"
        return format_html("{}: {}", target._meta.verbose_name, target)


class QuestionInline(admin.StackedInline):
    model = InterpellationQuestion
    extra = 0


@admin.register(Interpellation)
class InterpellationAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "asked_by", "addressed_to"]
    list_select_related = ["municipality"]
    search_fields = ["title", "asked_by", "addressed_to"]
    inlines = [QuestionInline, citation_inline("interpellation")]


@admin.register(InterpellationQuestion)
class InterpellationQuestionAdmin(admin.ModelAdmin):
    list_display = ["number", "question", "interpellation"]
    list_select_related = ["interpellation"]
    search_fields = ["question", "answer"]
    inlines = [citation_inline("question")]
