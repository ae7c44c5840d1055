"""The admin form for a source: upload a document or paste its text."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .documents import ACCEPT, normalize_text
from .forms import VersionedModelForm


class SourceTextField(forms.CharField):
    """Pasted text in the one spelling the model stores, so that re-posting it is no change.

    Browsers send the textarea back with CRLF line breaks; without this every save of an
    unchanged source would count as a new text.
    """

    def to_python(self, value):
        return normalize_text(super().to_python(value))

    def has_changed(self, initial, data):
        return normalize_text(initial or "").strip() != self.to_python(data)


class SourceDocumentForm(VersionedModelForm):
    original = forms.FileField(
        label=_("Ladda upp dokumentet"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    text = SourceTextField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "lang": "sv", "class": "vLargeTextField"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.SOURCE_UPLOAD_MAX_BYTES)
        if "original" in self.fields:
            self.fields["original"].help_text = _(
                "PDF, DOCX, ODT, HTML eller ren text (.txt), högst %(limit)s. Texten tas ur "
                "filen och visas på den publika sidan; filen sparas och kan laddas ner där. En "
                "ny fil ersätter texten."
            ) % {"limit": limit}
        if "text" in self.fields:
            self.fields["text"].help_text = _(
                "Klistra in texten om du inte har dokumentet som fil. Citaten kontrolleras "
                "mot den här texten."
            )

    def clean(self):
        cleaned = super().clean()
        # A new file in this request; an existing one (cleaned_data's default) is no upload.
        upload = self.files.get(self.add_prefix("original"))
        if upload and "text" in self.changed_data:
            self.add_error(
                "text",
                _(
                    "Ladda upp en fil eller klistra in texten, inte båda: texten tas ur filen. "
                    "Töm textrutan, eller låt bli att välja en fil."
                ),
            )
        if upload and cleaned.get("file_name"):
            self.add_error(
                "file_name",
                _("En uppladdad fil ersätter filen i seeds/. Töm det här fältet först."),
            )
        return cleaned
