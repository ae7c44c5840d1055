"""The staff admin, shaped by the tasks staff come to do rather than by Django's apps.

Installed as the default site (see `RegistryAdminConfig` in apps.py), so `@admin.register` and
third-party admin modules keep registering here unchanged.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db.models.base import ModelBase
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .admin_history import AdminLogHistoryMixin, LocalizedHistoryMixin
from .admin_slugs import SlugFillingAdminMixin
from .models import EditorProfile, Municipality
from .roles import MUNICIPALITY_EDITORS, REGISTRY_EDITORS, scope_of


def _is_index(request):
    # Only the index counts: the sidebar of every other admin page lists the same models, and
    # a count there would cost each page a query.
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "index"


def _with_new_reports(model, user):
    """The queue's name with how many reports in the editor's scope nobody has answered."""
    from .models import ErrorReport
    from .roles import scoped

    count = scoped(ErrorReport.objects.filter(status=ErrorReport.Status.NEW), user).count()
    if not count:
        return model
    new = ngettext("%(count)d ny", "%(count)d nya", count) % {"count": count}
    return {**model, "name": f"{model['name']} ({new})"}


@dataclass(frozen=True)
class Task:
    slug: str
    name: str
    help: str
    models: tuple[str, ...]


# Order matters: the index lists the tasks, and the models within each, in this order.
TASKS = (
    Task(
        "felrapporter",
        _("Felrapporter från allmänheten"),
        # A municipality editor sees their own municipality's share (_report_queue_help).
        _(
            "Rapporter om fel i registrets uppgifter: läs, svara per e-post och markera som "
            "hanterade."
        ),
        ("agreements.errorreport",),
    ),
    Task(
        "samverkan",
        _("Samverkan och parter"),
        _(
            "Vilka kommuner som samverkar, i vilken form och med vilken roll, och vilka "
            "invändningar som har framförts."
        ),
        ("agreements.cooperation", "agreements.party", "agreements.agreementversion",
         "agreements.proposal", "agreements.objection", "agreements.municipality"),
    ),
    Task(
        "finansiering",
        _("Finansiering"),
        _("Upphandlartjänsterna och vilka kommuner som finansierar hur stor andel av dem."),
        ("agreements.post", "agreements.staffingcommitment"),
    ),
    Task(
        "upphandlingar",
        _("Upphandlingar"),
        _(
            "Upphandlingar som övervägs eller planeras, vilka kommuner som köper och vem som "
            "samordnar."
        ),
        ("agreements.plannedprocurement",),
    ),
    Task(
        "kallor",
        _("Källor och citat"),
        _(
            "Dokumenten som uppgifterna bygger på, ordagranna citat ur dem, interpellationer "
            "och påståenden som källorna bedömer."
        ),
        ("agreements.sourcedocument", "agreements.citation", "agreements.interpellation",
         "agreements.claim"),
    ),
    Task(
        "anvandare",
        _("Användare"),
        _("Redaktörernas konton: lägg till en redaktör, byt roll eller kommun."),
        ("auth.user",),
    ),
)  # fmt: skip
# Everything no task names lands here, so a newly registered model is never hidden.
TECHNICAL = Task(
    "tekniskt",
    _("Referensdata och teknik"),
    _(
        "Behövs sällan: län, rader som redigeras i sin post (köpare, frågor), grupper och "
        "inloggningsloggar."
    ),
    (),
)


def _report_queue_help(user, task):
    """The queue's help as the editor's queue is: a municipality editor is sent only the
    reports about records their municipality takes part in; everyone else, all of them."""
    scope = scope_of(user)
    if isinstance(scope, Municipality):
        return _(
            "Rapporter om fel i uppgifter som rör %(kommun)s: läs, svara per e-post och "
            "markera som hanterade."
        ) % {"kommun": scope.name}
    return task.help


def role_label(user):
    """What the header says the signed-in user works as, e.g. "Kommunredaktör för Laxå"."""
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return _("Superanvändare")
    groups = set(user.groups.values_list("name", flat=True))
    if REGISTRY_EDITORS in groups:
        return _("Registerredaktör")
    try:
        municipality = user.editor_profile.municipality
    except EditorProfile.DoesNotExist:
        if MUNICIPALITY_EDITORS in groups:
            return _("Kommunredaktör utan kommun – be registrets förvaltare koppla en kommun")
        return ""
    return _("Kommunredaktör för %(kommun)s") % {"kommun": municipality.name}


class RegistryAdminSite(admin.AdminSite):
    site_header = _("Samverkansregistret")
    site_title = _("Samverkansregistret")
    index_title = _("Registrets innehåll")

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin gets what staff expect of all of them, whoever wrote it.

        Done here rather than in each admin, so that none can miss it: an admin that
        prepopulates a slug also fills it on the server (no JavaScript needed), and history
        pages show values as the forms do (labels, decimal commas), or the admin's own log
        where a model keeps no history.
        """
        if isinstance(model_or_iterable, ModelBase):
            model_or_iterable = [model_or_iterable]
        for model in model_or_iterable:
            completed = self._completed(model, admin_class or admin.ModelAdmin)
            super().register(model, completed, **options)

    @staticmethod
    def _completed(model, admin_class):
        mixins = []
        if admin_class.prepopulated_fields and not issubclass(admin_class, SlugFillingAdminMixin):
            mixins.append(SlugFillingAdminMixin)
        if issubclass(admin_class, SimpleHistoryAdmin):
            if not hasattr(model._meta, "simple_history_manager_attribute"):
                mixins.append(AdminLogHistoryMixin)
            elif not issubclass(admin_class, LocalizedHistoryMixin):
                mixins.append(LocalizedHistoryMixin)
        if not mixins:
            return admin_class
        return type(
            admin_class.__name__,
            (*mixins, admin_class),
            {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
        )

    def each_context(self, request):
        context = super().each_context(request)
        context["editor_role"] = role_label(request.user)
        return context

    def get_app_list(self, request, app_label=None):
        """On the index and in the sidebar, one section per task; per-app pages unchanged."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        by_key = {}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                by_key[model["model"]._meta.label_lower] = model
        if "agreements.errorreport" in by_key and _is_index(request):
            by_key["agreements.errorreport"] = _with_new_reports(
                by_key["agreements.errorreport"], request.user
            )
        sections = []
        for task in TASKS:
            models = [by_key.pop(key) for key in task.models if key in by_key]
            section = self._section(task, models)
            if task.slug == "felrapporter" and models and _is_index(request):
                section["help"] = _report_queue_help(request.user, task)
            sections.append(section)
        rest = sorted(by_key.values(), key=lambda m: str(m["name"]))
        sections.append(self._section(TECHNICAL, rest, technical=True))
        return [s for s in sections if s["models"]]

    @staticmethod
    def _section(task, models, technical=False):
        return {
            "name": task.name,
            # The admin's templates use app_label in CSS classes and element ids.
            "app_label": f"uppgift-{task.slug}",
            "app_url": "",
            "help": task.help,
            "technical": technical,
            "has_module_perms": True,
            "models": models,
        }

    def get_urls(self):
        # The link in an editor's invitation mail: Django's own reset views and the admin's
        # registration templates, under the admin's address.
        confirm = auth_views.PasswordResetConfirmView
        complete = auth_views.PasswordResetCompleteView
        urls = [
            path(
                "losenord/<uidb64>/<token>/",
                self._with_site_context(
                    confirm, success_url=reverse_lazy("admin:password_reset_complete")
                ),
                name="password_reset_confirm",
            ),
            path(
                "losenord/klart/",
                self._with_site_context(complete),
                name="password_reset_complete",
            ),
        ]
        return urls + super().get_urls()

    def _with_site_context(self, view_class, **initkwargs):
        """A view for people not yet signed in, with the admin's header and branding."""

        def view(request, *args, **kwargs):
            extra_context = self.each_context(request)
            return view_class.as_view(extra_context=extra_context, **initkwargs)(
                request, *args, **kwargs
            )

        return view
