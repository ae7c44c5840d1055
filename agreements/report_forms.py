"""The public form for reporting an error in a record, and staff's form for answering it."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import ErrorReport
from .models.reports import TEXT_MAX_LENGTH

HONEYPOT = "webbplats"


class HoneypotInput(forms.TextInput):
    """A field people never see or reach; a bot that fills every field fills it too."""

    def __init__(self):
        super().__init__(attrs={"tabindex": "-1", "autocomplete": "off"})


class PublicForm(forms.Form):
    """A form anyone may send without an account: a honeypot for bots, no label suffix (the
    labels are questions or say "(frivilligt)"), and never a NUL byte shown back."""

    webbplats = forms.CharField(
        label=_("Lämna fältet tomt"), required=False, widget=HoneypotInput()
    )

    # Django's Swedish says "(den har 311)" of a value ("värde", neuter): "det har".
    LENGTH_MESSAGES = {
        "max_length": ngettext_lazy(
            "Texten får vara högst %(limit_value)d tecken lång (den du skrev har %(show_value)d).",
            "Texten får vara högst %(limit_value)d tecken lång (den du skrev har %(show_value)d).",
            "limit_value",
        ),
        "min_length": ngettext_lazy(
            "Texten behöver vara minst %(limit_value)d tecken lång (den du skrev har "
            "%(show_value)d).",
            "Texten behöver vara minst %(limit_value)d tecken lång (den du skrev har "
            "%(show_value)d).",
            "limit_value",
        ),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for code, message in self.LENGTH_MESSAGES.items():
                field.error_messages.setdefault(code, message)

    def full_clean(self):
        super().full_clean()
        if self.is_bound and any("\x00" in value for value in self.data.values()):
            # Refused with a message; the form shown again must not carry the NUL byte back
            # into the page (invalid HTML, and nothing typed is echoed as it came).
            data = self.data.copy()
            for name in data:
                data.setlist(name, [value.replace("\x00", "") for value in data.getlist(name)])
            self.data = data
            self.refuse_nul()

    def refuse_nul(self):
        """Text fields refuse a NUL byte themselves; a form whose fields do not says so here."""

    def is_spam(self):
        """Did a bot fill the field people never see? Read before validating anything else."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def visible_fields(self):
        return [field for field in super().visible_fields() if field.name != HONEYPOT]

    @property
    def honeypot(self):
        return self[HONEYPOT]


class ErrorReportForm(PublicForm):
    """What a reader may tell the registry: no account, no name, the e-mail only to be answered."""

    text = forms.CharField(
        label=_("Vad är fel?"),
        max_length=TEXT_MAX_LENGTH,
        # Formatted when shown, in the page's language (formatting a lazy text at import
        # would fix it in Swedish).
        help_text=lazy(
            lambda: (
                gettext(
                    "Skriv vilken uppgift som är fel och, om du vet det, vad som är rätt. Högst "
                    "%(max)s tecken."
                )
                % {"max": TEXT_MAX_LENGTH}
            ),
            str,
        )(),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Skriv vad som är fel."),
            "max_length": _("Skriv högst %(limit_value)d tecken (nu är det %(show_value)d)."),
        },
    )
    source_url = forms.URLField(
        label=_("Länk till en källa (frivilligt)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Till exempel ett beslut, ett protokoll eller ett avtal som visar vad som är rätt."
        ),
        error_messages={
            "invalid": _("Skriv en hel webbadress, till exempel https://kommun.se/beslut.")
        },
    )
    email = forms.EmailField(
        label=_("Din e-postadress (frivilligt)"),
        required=False,
        help_text=_(
            "Bara om du vill ha svar. Vi använder adressen enbart för att svara dig och raderar "
            "den när rapporten är färdigbehandlad. Den visas aldrig på webbplatsen."
        ),
        error_messages={"invalid": _("Skriv en e-postadress som namn@exempel.se.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ErrorReportAdminForm(forms.ModelForm):
    """Staff write an answer; the buttons pressed say whether to send it or close the report."""

    SEND = "_send_answer"
    HANDLE = "_mark_handled"

    close_unanswered = forms.BooleanField(
        label=_("Avsluta utan att svara"),
        required=False,
        help_text=_(
            "Personen har lämnat sin e-postadress för att få svar. Kryssa i här bara om du "
            "avsiktligt avslutar utan att svara; adressen raderas då och kan inte återfås."
        ),
    )

    class Meta:
        model = ErrorReport
        fields = ["answer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.awaits_answer:
            del self.fields["close_unanswered"]

    @property
    def awaits_answer(self):
        report = self.instance
        return bool(report.email) and report.status == ErrorReport.Status.NEW

    def clean(self):
        cleaned = super().clean()
        if self.HANDLE in self.data and self.awaits_answer and not cleaned.get("close_unanswered"):
            # Closing erases the address: a person who asked for an answer would never get one.
            raise forms.ValidationError(
                _(
                    "Personen väntar på svar. Skicka svaret först, eller kryssa i ”Avsluta "
                    "utan att svara” om du avsiktligt avslutar utan svar."
                )
            )
        if self.SEND in self.data:
            if not (cleaned.get("answer") or "").strip():
                self.add_error("answer", _("Skriv ett svar innan du skickar det."))
            if not self.instance.email:
                raise forms.ValidationError(
                    _("Rapporten har ingen e-postadress att skicka svaret till.")
                )
        return cleaned
