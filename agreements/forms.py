"""Admin forms: refuse stale saves, and check the rules that span several rows."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from .models import check_post_totals
from .roles import UNRESTRICTED, may_change, scope_of


def _display(obj, field_name):
    value = getattr(obj, field_name, None)
    display = getattr(obj, f"get_{field_name}_display", None)
    if display is not None:
        return display()
    if value in (None, ""):
        return "–"
    return str(value)


VERSION_FIELD = "seen_version"


class VersionedModelForm(forms.ModelForm):
    """Carries the version the editor saw; a save after someone else's save is refused.

    The refusal names every field that changed meanwhile, with its old and new value (from
    the history), and the editor's own input stays in the form: neither edit is lost.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set when the form edits an old copy (a revert): the version stored when it was opened.
    version_override = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seen = self.version_override
        if seen is None:
            seen = self.instance.version if self.instance.pk else 0
        self.fields["seen_version"].initial = seen

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        model = type(self.instance)
        current = model._default_manager.select_for_update().filter(pk=self.instance.pk).first()
        if current is None:
            raise ValidationError(_("Posten har tagits bort av någon annan medan du redigerade."))
        seen = cleaned.get("seen_version")
        if seen is not None and seen == current.version:
            return cleaned
        raise ValidationError(self._stale_message(current, seen))

    def _stale_message(self, current, seen):
        changes = []
        before = None
        if seen is not None and hasattr(current, "history"):
            before = current.history.filter(version=seen).order_by("-history_date").first()
        for name in self.fields:
            if name == "seen_version" or before is None:
                continue
            old, new = _display(before, name), _display(current, name)
            if old != new:
                label = self.fields[name].label or name
                changes.append((label, old, new))
        intro = _(
            "Någon annan har sparat den här posten medan du redigerade. Dina ändringar är "
            "inte sparade men finns kvar i formuläret."
        )
        reload_hint = _(
            "Ladda om sidan för att se den senaste versionen och gör om dina ändringar."
        )
        if not changes:
            return format_html("{} {}", intro, reload_hint)
        return format_html(
            "{} {} <ul>{}</ul>",
            intro,
            reload_hint,
            format_html_join(
                "", "<li>{}: ”{}” → ”{}”</li>", ((label, o, n) for label, o, n in changes)
            ),
        )


class ScopedInlineFormSet(BaseInlineFormSet):
    """An inline formset that knows the editor, and refuses rows outside their scope."""

    user = None

    @property
    def scope(self):
        return scope_of(self.user) if self.user is not None else UNRESTRICTED

    def kept_forms(self):
        return [
            f
            for f in self.forms
            if f.has_changed() or f.instance.pk
            if not (self.can_delete and self._should_delete_form(f))
            if getattr(f, "cleaned_data", None)
        ]

    def clean(self):
        super().clean()
        if self.scope is UNRESTRICTED:
            return
        for form in self.forms:
            touched = form.has_changed() or (self.can_delete and self._should_delete_form(form))
            if form.instance.pk and touched and not may_change(self.user, form.instance):
                raise ValidationError(
                    _("Du får inte ändra raden ”%(row)s”: den hör till en annan kommun.")
                    % {"row": form.instance}
                )


class PartyFormSet(ScopedInlineFormSet):
    def clean(self):
        super().clean()
        kept = self.kept_forms()
        municipalities = {
            f.cleaned_data["municipality"].pk: f for f in kept if "municipality" in f.cleaned_data
        }
        hosts = [f for f in kept if f.cleaned_data.get("role") == "host"]
        host = self.instance.host
        if host is not None:
            row = municipalities.get(host.pk)
            if row is None or row.cleaned_data.get("role") != "host":
                raise ValidationError(
                    _("Värdkommunen %(host)s måste vara part med rollen värdkommun.")
                    % {"host": host}
                )
        elif hosts:
            raise ValidationError(
                _("En part har rollen värdkommun; välj samma kommun som värdkommun ovan.")
            )
        scope = self.scope
        if scope is not UNRESTRICTED and (scope is None or scope.pk not in municipalities):
            raise ValidationError(
                _("Din kommun måste vara part i samverkan som du registrerar eller ändrar.")
            )


class BuyerFormSet(ScopedInlineFormSet):
    def clean(self):
        super().clean()
        kept = self.kept_forms()
        leads = [f for f in kept if f.cleaned_data.get("is_lead")]
        if len(kept) > 1 and len(leads) != 1:
            raise ValidationError(
                _(
                    "En gemensam upphandling (flera köpare) behöver exakt en samordnande "
                    "kommun bland köparna."
                )
            )
        scope = self.scope
        if scope is not UNRESTRICTED:
            buyers = {
                f.cleaned_data["municipality"].pk for f in kept if "municipality" in f.cleaned_data
            }
            if scope is None or scope.pk not in buyers:
                raise ValidationError(_("Din kommun måste vara köpare i upphandlingen."))


class CommitmentFormSet(ScopedInlineFormSet):
    def clean(self):
        super().clean()
        kept = self.kept_forms()
        scope = self.scope
        if scope is not UNRESTRICTED:
            for form in kept:
                if not form.instance.pk and form.cleaned_data.get("financer") != scope:
                    raise ValidationError(
                        _("Du kan bara registrera åtaganden som din egen kommun finansierar.")
                    )
        check_post_totals(
            [
                (
                    f.instance.pk,
                    f.cleaned_data.get("post"),
                    f.cleaned_data.get("fte"),
                    f.cleaned_data.get("supersedes"),
                )
                for f in kept
                if f.cleaned_data.get("post") is not None
            ]
        )
