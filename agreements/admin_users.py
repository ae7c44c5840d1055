"""One screen that creates an editor and mails them a link to choose a password.

The user's add page of the admin becomes this screen: username, name, e-mail, role and
municipality together. No password is ever chosen for someone else; the link is Django's own
password-reset link (PasswordResetForm, default_token_generator, password_reset_confirm).
"""

import logging
import smtplib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import csrf_protect_m
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .links import base_parts
from .models import EditorProfile, Municipality
from .roles import MUNICIPALITY_EDITORS, REGISTRY_EDITORS

logger = logging.getLogger(__name__)
User = get_user_model()

REGISTRY, MUNICIPALITY = "registry", "municipality"
ROLE_NAMES = {
    REGISTRY: gettext_lazy("registerredaktör"),
    MUNICIPALITY: gettext_lazy("kommunredaktör"),
}


class EditorCreationForm(forms.ModelForm):
    role = forms.ChoiceField(
        label=gettext_lazy("Roll"),
        choices=[
            (REGISTRY, gettext_lazy("Registerredaktör – får ändra allt i registret")),
            (
                MUNICIPALITY,
                gettext_lazy("Kommunredaktör – får ändra det som en kommun deltar i"),
            ),
        ],
        # The admin's own class for radio buttons: labels as wide as their text.
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Kommun"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy("Krävs för en kommunredaktör: kommunen vars poster hen ändrar."),
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("Hit skickas länken för att välja lösenord.")
        for name in ("first_name", "last_name"):
            self.fields[name].required = True
        for name in ("username", "first_name", "last_name", "email"):
            # The admin's width for text inputs: e-mail addresses are long.
            self.fields[name].widget.attrs.setdefault("class", "vTextField")

    def clean_username(self):
        username = self.cleaned_data["username"]
        # Usernames differing only in case would be two accounts staff cannot tell apart.
        if User._default_manager.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Det finns redan en användare med det användarnamnet."))
        return username

    def clean_email(self):
        email = User._default_manager.normalize_email(self.cleaned_data["email"])
        # A reset link goes to every account with the address; one address, one editor.
        if User._default_manager.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Det finns redan en användare med den e-postadressen."))
        return email

    def clean(self):
        cleaned = super().clean()
        role, municipality = cleaned.get("role"), cleaned.get("municipality")
        if role == MUNICIPALITY and municipality is None and "municipality" not in self.errors:
            self.add_error("municipality", _("Välj vilken kommun kommunredaktören arbetar för."))
        if role == REGISTRY and municipality is not None:
            self.add_error(
                "municipality",
                _(
                    "En registerredaktör får ändra allt och knyts inte till en kommun. "
                    "Lämna kommun tom, eller välj rollen kommunredaktör."
                ),
            )
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        user.is_staff = True
        user.save()
        if self.cleaned_data["role"] == REGISTRY:
            user.groups.add(Group.objects.get(name=REGISTRY_EDITORS))
        else:
            user.groups.add(Group.objects.get(name=MUNICIPALITY_EDITORS))
            EditorProfile.objects.create(user=user, municipality=self.cleaned_data["municipality"])
        return user


class InvitationForm(PasswordResetForm):
    """Django's password-reset mail, sent to one chosen user, with the invitation's text.

    Django skips users without a usable password (a new editor has none yet) and swallows
    delivery errors, so that strangers learn nothing; here the sender is staff and must
    know when a mail did not go out.
    """

    def __init__(self, user, reply_to=None):
        super().__init__({"email": user.email})
        self.user = user
        self.reply_to = reply_to

    def get_users(self, email):
        return [self.user] if self.user.is_active else []

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject,
            body,
            from_email,
            [to_email],
            reply_to=self.reply_to,
            headers={"Content-Language": "sv"},
        )
        message.send()


def role_of(user):
    if user.groups.filter(name=REGISTRY_EDITORS).exists():
        return REGISTRY
    return MUNICIPALITY


def send_invitation(request, user):
    """Mail `user` a one-use link to choose a password. Raises when the mail cannot be sent."""
    profile = EditorProfile.objects.filter(user=user).select_related("municipality").first()
    inviter = request.user
    form = InvitationForm(user, reply_to=[inviter.email] if inviter.email else None)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    # Editors read Swedish, whatever language the sender's browser asked for.
    with translation.override("sv"):
        # The link's host is the configured one: the request's Host header is the sender's
        # to choose, and a mail is no place for a link to someone else's server.
        scheme, host = base_parts()
        form.save(
            request=request,
            domain_override=host,
            use_https=scheme == "https",
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.txt",
            extra_email_context={
                "role": ROLE_NAMES[role_of(user)],
                "municipality": profile.municipality if profile else None,
                "inviter": inviter.get_full_name() or inviter.get_username(),
                "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)),
            },
        )


MAIL_ERRORS = (smtplib.SMTPException, OSError)


class EditorCreationMixin:
    """For the user admin: the add page creates an editor and sends the invitation."""

    editor_fieldsets = [
        (None, {"fields": ["username", "first_name", "last_name", "email"]}),
        (gettext_lazy("Behörighet"), {"fields": ["role", "municipality"]}),
    ]
    actions = ["send_new_link"]

    @csrf_protect_m
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = EditorCreationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
                    # Last, so that a mail that cannot be sent undoes the account.
                    send_invitation(request, user)
            except MAIL_ERRORS as error:
                logger.warning("Invitation mail not sent: %s", error)
                form.add_error(
                    None,
                    _(
                        "E-postmeddelandet kunde inte skickas, så redaktören har inte lagts "
                        "till. Försök igen om en stund, eller be den som sköter servern "
                        "kontrollera e-postinställningarna."
                    ),
                )
            else:
                self.log_addition(request, user, [{"added": {}}])
                self.message_user(
                    request,
                    format_html(
                        _(
                            "Redaktören {} är tillagd som {}. En länk för att välja lösenord har "
                            "skickats till {}."
                        ),
                        user.get_username(),
                        ROLE_NAMES[form.cleaned_data["role"]],
                        user.email,
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:auth_user_changelist"))
        adminform = helpers.AdminForm(form, self.editor_fieldsets, {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Lägg till redaktör"),
            "subtitle": None,
            "adminform": adminform,
            "form": form,
            "errors": helpers.AdminErrorList(form, []),
            "opts": self.opts,
            "media": self.media + adminform.media,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/add_editor.html", context)

    @admin.action(
        description=gettext_lazy("Skicka ny länk för att välja lösenord"),
        permissions=["change"],
    )
    def send_new_link(self, request, queryset):
        sent, failed = [], []
        for user in queryset.filter(is_active=True).exclude(email=""):
            try:
                send_invitation(request, user)
            except MAIL_ERRORS as error:
                logger.warning("Invitation mail to user %s not sent: %s", user.pk, error)
                failed.append(user.get_username())
            else:
                sent.append(user.get_username())
        if sent:
            self.message_user(
                request,
                _("En ny länk har skickats till %(users)s.") % {"users": ", ".join(sent)},
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                _("E-postmeddelandet kunde inte skickas till %(users)s.")
                % {"users": ", ".join(failed)},
                messages.ERROR,
            )
        if not sent and not failed:
            self.message_user(
                request,
                _("Ingen av de valda användarna är aktiv och har en e-postadress."),
                messages.WARNING,
            )
