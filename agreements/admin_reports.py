"""Staff's queue of error reports from the public: read, answer by e-mail, mark handled.

Each editor sees the reports about records in their municipality's scope (agreements/roles.py);
registry editors and superusers see all. Another municipality's report is not found (404).
Reports come only from the public form: there is no add page. A handled report is closed: it
can be read but not changed, and the reporter's e-mail address is gone.
"""

import logging

from django.contrib import admin, messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import error_reports
from .models import ErrorReport
from .report_forms import ErrorReportAdminForm
from .roles import may_change, scoped

logger = logging.getLogger(__name__)


# What the public sent, as staff read it, and who answered and closed it.
REPORT_FIELDS = ["record_link", "page_link", "created_at", "status", "text", "source_link", "email"]
HANDLING_FIELDS = ["answered", "handled"]


@admin.register(ErrorReport)
class ErrorReportAdmin(admin.ModelAdmin):
    form = ErrorReportAdminForm
    list_display = ["created_at", "record_link", "short_text", "status", "wants_answer"]
    list_display_links = ["created_at"]
    list_filter = ["status"]
    search_fields = ["text"]
    actions = ["mark_selected_handled"]
    view_on_site = False  # a report has no public page; its record is linked instead
    fieldsets = [
        (
            _("Rapporten"),
            {"fields": REPORT_FIELDS},
        ),
        (
            _("Svar och hantering"),
            {
                "fields": ["answer", *HANDLING_FIELDS],
                "description": _(
                    "”Skicka svaret” mejlar svaret till personen, från registrets avsändaradress "
                    "med registrets kontaktadress som svarsadress. ”Markera som hanterad” stänger "
                    "rapporten och raderar personens e-postadress; svaret sparas."
                ),
            },
        ),
    ]
    # What the reporter sent and who handled it are records; only the answer is written here.
    readonly_fields = [*REPORT_FIELDS, *HANDLING_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and ErrorReportAdminForm(instance=obj).awaits_answer:
            (report, (title, options)) = fieldsets
            options = {**options, "fields": [*options["fields"], "close_unanswered"]}
            fieldsets = [report, (title, options)]
        return fieldsets

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_record()
        return scoped(queryset.select_related("answered_by", "handled_by"), request.user)

    def get_object(self, request, object_id, from_field=None):
        # Outside the editor's scope a report does not exist for them: 404, not a redirect.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Felrapporten finns inte, eller gäller inte din kommuns uppgifter."))
        return obj

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None:
            return allowed
        return (
            allowed and obj.status != ErrorReport.Status.HANDLED and may_change(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    # --- what staff see ---------------------------------------------------------------------

    @admin.display(description=_("gäller"))
    def record_link(self, obj):
        record = obj.record
        return format_html(
            '{}: <a href="{}">{}</a>',
            capfirst(record._meta.verbose_name),
            record.get_absolute_url(),
            record,
        )

    @admin.display(description=_("rapporten"))
    def short_text(self, obj):
        return Truncator(obj.text).chars(80)

    @admin.display(description=_("vill ha svar"), boolean=True)
    def wants_answer(self, obj):
        return bool(obj.email)

    @admin.display(description=_("skickad från sidan"))
    def page_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.page, obj.page)

    @admin.display(description=_("länk till källa"))
    def source_link(self, obj):
        if not obj.source_url:
            return "–"
        # The reporter's link: staff may follow it, but it passes on nothing about them.
        return format_html(
            '<a href="{}" rel="nofollow noopener noreferrer">{}</a>', obj.source_url, obj.source_url
        )

    @admin.display(description=_("besvarad"))
    def answered(self, obj):
        return _by_whom(obj.answered_at, obj.answered_by)

    @admin.display(description=_("hanterad"))
    def handled(self, obj):
        return _by_whom(obj.handled_at, obj.handled_by)

    # --- answering and closing --------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if ErrorReportAdminForm.SEND in request.POST:
            try:
                error_reports.send_answer(obj)
            except error_reports.MAIL_ERRORS as error:
                logger.warning("Answer to error report %s not sent: %s", obj.pk, error)
                request._answer_not_sent = True
                self.message_user(
                    request,
                    _(
                        "Svaret kunde inte skickas, men det är sparat. Försök igen om en stund, "
                        "eller be den som sköter servern kontrollera e-postinställningarna."
                    ),
                    messages.ERROR,
                )
            else:
                error_reports.mark_answered(obj, request.user)
                self.message_user(
                    request,
                    _("Svaret är skickat till personen som rapporterade."),
                    messages.SUCCESS,
                )
        if ErrorReportAdminForm.HANDLE in request.POST:
            error_reports.mark_handled(obj, request.user)
            self.message_user(
                request,
                _("Rapporten är markerad som hanterad och personens e-postadress är raderad."),
                messages.SUCCESS,
            )
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        if getattr(request, "_answer_not_sent", False):
            return HttpResponseRedirect(request.path)  # the answer stays on the page to retry
        if {ErrorReportAdminForm.SEND, ErrorReportAdminForm.HANDLE} & set(request.POST):
            return HttpResponseRedirect(reverse("admin:agreements_errorreport_changelist"))
        return super().response_change(request, obj)

    @admin.action(description=_("Markera valda felrapporter som hanterade"), permissions=["change"])
    def mark_selected_handled(self, request, queryset):
        count = waiting = 0
        with transaction.atomic():
            for report in queryset.exclude(status=ErrorReport.Status.HANDLED):
                if ErrorReportAdminForm(instance=report).awaits_answer:
                    waiting += 1  # closing would erase the address of someone waiting
                elif may_change(request.user, report):
                    error_reports.mark_handled(report, request.user)
                    report.save()
                    count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d felrapport är markerad som hanterad och e-postadressen är raderad.",
                "%(count)d felrapporter är markerade som hanterade och e-postadresserna är "
                "raderade.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if waiting:
            self.message_user(
                request,
                ngettext(
                    "%(count)d felrapport väntar på svar och är inte stängd: öppna den och "
                    "svara, eller avsluta den där utan svar.",
                    "%(count)d felrapporter väntar på svar och är inte stängda: öppna dem och "
                    "svara, eller avsluta dem där utan svar.",
                    waiting,
                )
                % {"count": waiting},
                messages.WARNING,
            )


def _by_whom(when, user):
    if when is None:
        return "–"
    moment = timezone.localtime(when).strftime("%Y-%m-%d %H.%M")
    if user is None:
        return moment
    return f"{moment} ({user.get_full_name() or user.get_username()})"
