"""Following a record or a list by e-mail: the form, "check your inbox", confirm, unsubscribe.

No account and no JavaScript. The answer to the form is the same page whether the address was
new, already following, or past its confirmation mails for the day, so nobody can learn whether
an address follows something. Confirming and unsubscribing take a POST: mail scanners fetch the
links in a mail, and a GET must not act. The unsubscribe address also takes RFC 8058's one-click
POST from the mail program, without a CSRF token (the signed token in the address is the secret).
"""

import contextlib

from django import forms
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import alerts
from .models import Cooperation, Municipality, PlannedProcurement, Subscription
from .report_forms import PublicForm
from .report_views import RECORDS  # a record's route, its list's route and the list's name


class FollowForm(PublicForm):
    email = forms.EmailField(
        label=_("Din e-postadress"),
        max_length=254,
        help_text=_(
            "Vi skickar först ett mejl med en länk som du bekräftar bevakningen med. Adressen "
            "används bara för bevakningen och visas aldrig på webbplatsen."
        ),
        error_messages={
            "required": _("Skriv din e-postadress."),
            "invalid": _("Skriv en e-postadress som namn@exempel.se."),
            "max_length": ngettext_lazy(
                "Adressen får vara högst %(limit_value)d tecken lång (den du skrev har "
                "%(show_value)d).",
                "Adressen får vara högst %(limit_value)d tecken lång (den du skrev har "
                "%(show_value)d).",
                "limit_value",
            ),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    frequency = forms.ChoiceField(
        label=_("Hur ofta vill du få mejl?"),
        choices=[
            (Subscription.Frequency.DAILY, _("En gång om dagen, när något har ändrats")),
            (Subscription.Frequency.WEEKLY, _("En gång i veckan, när något har ändrats")),
        ],
        initial=Subscription.Frequency.WEEKLY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj hur ofta du vill få mejl.")},
    )

    def refuse_nul(self):
        # Also above the fields: the byte may have come in any of them, the choice included.
        self.add_error(None, _("Texten innehåller ett tecken som inte är tillåtet (NUL)."))


class _Follow(View):
    template_name = "alerts/follow_form.html"

    def followed(self, request, **kwargs):
        """(kind, record, list name, list query, context), or an error response."""
        raise NotImplementedError

    def get(self, request, **kwargs):
        found = self.followed(request, **kwargs)
        if isinstance(found, HttpResponse):
            return found
        return self._page(request, found, FollowForm())

    def post(self, request, **kwargs):
        found = self.followed(request, **kwargs)
        if isinstance(found, HttpResponse):
            return found
        form = FollowForm(request.POST)
        if form.is_spam():
            return redirect("agreements:follow-sent")
        if alerts.client_over_limit(alerts.client_key(request)):
            return self._page(request, found, form, status=429, over_limit=True)
        if not form.is_valid():
            return self._page(request, found, form, status=400)
        kind, record, list_name, list_query, _context = found
        # The same address and thing at the same moment: the first request stands.
        with contextlib.suppress(IntegrityError):
            alerts.request_subscription(
                request,
                form.cleaned_data["email"],
                form.cleaned_data["frequency"],
                kind,
                record=record,
                list_name=list_name,
                list_query=list_query,
            )
        return redirect("agreements:follow-sent")

    def _page(self, request, found, form, status=200, over_limit=False):
        context = {
            **found[4],
            "form": form,
            "over_limit": over_limit,
            "limit": settings.REGISTRY_ALERTS_PER_HOUR,
            "contact_email": settings.REGISTRY_CONTACT_EMAIL,
        }
        return render(request, self.template_name, context, status=status)


class FollowRecord(_Follow):
    model = None
    query_parameters = frozenset()

    def followed(self, request, slug):
        record = get_object_or_404(self.model.objects.all(), slug=slug)
        _route, list_route, list_label = RECORDS[self.model]
        subscription = Subscription(kind=alerts.KIND_OF_MODEL[self.model])
        setattr(subscription, subscription.kind, record)
        context = {
            "record": record,
            "followed": alerts.describe(subscription),
            "followed_url": record.get_absolute_url(),
            "list_url": reverse(f"agreements:{list_route}"),
            "list_label": list_label,
        }
        return alerts.KIND_OF_MODEL[self.model], record, "", "", context


class FollowList(_Follow):
    """/bevaka/?lista=upphandlingar&cpv=7731: a list page with the filters it was showing."""

    @classproperty
    def query_parameters(cls):
        return {"lista"}.union(*(followed.parameters for followed in alerts.LISTS.values()))

    @classmethod
    def parameters_for(cls, request):
        """Those of the list asked for: "Sidan förstår" then names only that list's filters.
        Asked for two lists at once, it names them all: which one was meant is not known."""
        asked = request.GET.getlist("lista")
        followed = alerts.LISTS.get(asked[0]) if len(asked) == 1 else None
        return cls.query_parameters if followed is None else {"lista", *followed.parameters}

    def followed(self, request):
        followed = alerts.LISTS.get(request.GET.get("lista", ""))
        if followed is None:
            return _refusal(
                request,
                _("Det finns ingen lista som heter ”%(name)s”. Listorna heter %(lists)s.")
                % {"name": request.GET.get("lista", "")[:50], "lists": ", ".join(alerts.LISTS)},
            )
        try:
            query, filterset = alerts.normalise_list_query(followed, request.GET)
        except alerts.BadFilters as error:
            message = " ".join(
                f"{label}: {text}" if label else text for label, text in error.errors
            )
            return _refusal(request, message)
        list_url = reverse(f"agreements:{followed.route}")
        context = {
            "record": None,
            "followed": alerts.describe_list(followed, query, filterset),
            "followed_url": f"{list_url}?{query}" if query else list_url,
            "list_url": list_url,
            "list_label": followed.label,
        }
        return Subscription.Kind.LIST, None, followed.name, query, context


def _refusal(request, message):
    return render(request, "400.html", {"message": message}, status=400)


def follow_sent(request):
    """The same page for every accepted request: check your inbox."""
    return render(
        request,
        "alerts/check_inbox.html",
        {"days": settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS},
    )


class Confirm(View):
    def get(self, request, token):
        subscription = alerts.subscription_for_confirm(token)
        if subscription is None:
            return _invalid_link(request)
        return self._page(request, subscription, confirmed=subscription.confirmed_at is not None)

    def post(self, request, token):
        subscription = alerts.subscription_for_confirm(token)
        if subscription is None:
            return _invalid_link(request)
        alerts.confirm(subscription)
        return self._page(request, subscription, confirmed=True)

    def _page(self, request, subscription, confirmed):
        return render(
            request,
            "alerts/confirm.html",
            {
                "confirmed": confirmed,
                "followed": alerts.describe(subscription),
                "followed_url": subscription.get_absolute_url(),
                "frequency": subscription.get_frequency_display(),
                "unsubscribe_url": reverse(
                    "agreements:follow-unsubscribe",
                    kwargs={"token": alerts.unsubscribe_token(subscription)},
                ),
            },
        )


@method_decorator(csrf_exempt, name="dispatch")
class Unsubscribe(View):
    """GET: a page with one button. POST (the button, or RFC 8058 one-click from the mail
    program): delete the subscription. A genuine link whose subscription is already gone says
    so; a damaged one is refused like a damaged confirmation link, and deletes nothing."""

    def get(self, request, token):
        try:
            subscription = alerts.subscription_for_unsubscribe(token)
        except alerts.BadLink:
            return _invalid_link(request, unsubscribe=True)
        if subscription is None:
            return render(request, "alerts/unsubscribed.html", {"followed": None})
        return render(
            request,
            "alerts/unsubscribe.html",
            {"followed": alerts.describe(subscription)},
        )

    def post(self, request, token):
        try:
            subscription = alerts.subscription_for_unsubscribe(token)
        except alerts.BadLink:
            return _invalid_link(request, unsubscribe=True)
        followed = None
        if subscription is not None:
            followed = alerts.describe(subscription)
            alerts.unsubscribe(subscription)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            # The mail program asks, not a person: a short answer, nothing to render.
            return HttpResponse(status=200, content_type="text/plain; charset=utf-8")
        return render(request, "alerts/unsubscribed.html", {"followed": followed})


def _invalid_link(request, unsubscribe=False):
    """A link the registry did not write as it stands. A confirmation link also expires; an
    unsubscribe link never does, so its page does not say it might have."""
    return render(
        request,
        "alerts/invalid_link.html",
        {
            "days": settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS,
            "unsubscribe": unsubscribe,
            "contact_email": settings.REGISTRY_CONTACT_EMAIL,
        },
        status=404,
    )


def urlpatterns_for(prefix, model):
    route = RECORDS[model][0]
    return [
        path(
            f"{prefix}/<slug:slug>/bevaka/",
            FollowRecord.as_view(model=model),
            name=f"{route}-follow",
        )
    ]


urlpatterns = [
    path("bevaka/", FollowList.as_view(), name="follow-list"),
    path("bevaka/skickat/", follow_sent, name="follow-sent"),
    path("bevaka/bekrafta/<str:token>/", Confirm.as_view(), name="follow-confirm"),
    path("bevaka/avsluta/<str:token>/", Unsubscribe.as_view(), name="follow-unsubscribe"),
    *urlpatterns_for("kommuner", Municipality),
    *urlpatterns_for("samverkan", Cooperation),
    *urlpatterns_for("upphandlingar", PlannedProcurement),
]


def follow_url(record):
    route = RECORDS[type(record)][0]
    return reverse(f"agreements:{route}-follow", kwargs={"slug": record.slug})
