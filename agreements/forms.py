"""Admin forms: refuse stale saves and writes outside the editor's scope.

Rules that span several rows live in agreements/rules.py and are checked where rows are
written; a refusal there comes back to the form as `rule_errors` (see the admin).
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin_history import display_value
from .changelog import HIDDEN_FIELDS
from .roles import UNRESTRICTED, may_change, may_delete, may_write, scope_of, write_refusal


class MultilineTextField(forms.CharField):
    """Multi-line text as it is stored: browsers post a textarea's line breaks as CRLF.

    Without this, saving a form unchanged rewrites every multi-line text (a quote that spans
    lines) and records a change that is none.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


def _display(obj, field_name):
    value = getattr(obj, field_name, None)
    display = getattr(obj, f"get_{field_name}_display", None)
    if display is not None:
        return display()
    try:
        decimal_places = type(obj)._meta.get_field(field_name).decimal_places
    except (FieldDoesNotExist, AttributeError):
        decimal_places = None
    # As the history pages write it: "0,50", "Ja", "–" for nothing.
    return str(display_value(value, decimal_places))


class RegistryModelForm(forms.ModelForm):
    """Every admin form: the editor's scope, and refusals from the rules across records.

    `editor` and `rule_errors` are set on a subclass per request by the admin.
    """

    editor = None
    rule_errors = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Show as read-only what may not be changed, rather than refusing it after typing:
        # another municipality's row, and what a saved record keeps (`locked_fields`).
        locked = getattr(self.instance, "locked_fields", lambda: ())()
        if self.editor is not None and not may_change(self.editor, self.instance):
            locked = self.fields
        for name in locked:
            field = self.fields.get(name)
            if field is not None and not field.widget.is_hidden:
                field.disabled = True

    def clean(self):
        cleaned = super().clean()
        for error in self.rule_errors:
            self.add_error(None, error)
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the values it would be saved with
        if self.editor is None or not (self.has_changed() or self.instance.pk is None):
            return
        if self.errors:
            return  # say what is missing first; whose it is can be judged once it is there
        stored = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
        if stored is not None and not may_change(self.editor, stored):
            self.add_error(
                None,
                _("Du får inte ändra ”%(row)s”: den hör till en annan kommun.") % {"row": stored},
            )
        elif not may_write(self.editor, self.instance):
            self.add_error(
                None,
                _(
                    "Du kan bara registrera och ändra uppgifter för din egen kommun, "
                    "%(own)s. Välj %(own)s, eller be en registerredaktör om hjälp."
                )
                % {"own": scope_of(self.editor) or _("(ingen kommun)")},
            )
        elif refusal := write_refusal(self.editor, self.instance):
            self.add_error(None, refusal)


VERSION_FIELD = "seen_version"


class VersionedModelForm(RegistryModelForm):
    """Carries the version the editor saw; a save after someone else's save is refused.

    The refusal names every field that changed meanwhile, with its old and new value (from
    the history), and the editor's own input stays in the form: neither edit is lost.
    """

    seen_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label=gettext_lazy("version du såg")
    )
    # Set when the form edits an old copy (a revert): the version stored when it was opened.
    version_override = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seen = self.version_override
        if seen is None:
            seen = self.instance.version if self.instance.pk else 0
        self.fields["seen_version"].initial = seen

    def has_changed(self):
        """Did the editor change anything? Judged against what they were shown.

        Django compares the posted values with the record as it is now. When someone else has
        saved the record meanwhile, an untouched row would then look changed, be refused as
        stale, or worse be saved back over the other's edit. Compared with the version the
        editor saw (from the history), an untouched row is left alone.
        """
        changed = [name for name in self.changed_data if name != VERSION_FIELD]
        seen = self._seen_record
        if not changed or seen is None:
            return bool(changed)
        return any(self._differs_from(seen, name) for name in changed)

    @cached_property
    def _seen_record(self):
        """The history record of the version the editor saw, if it is not the current one."""
        if not self.is_bound or not self.instance.pk or not hasattr(self.instance, "history"):
            return None
        try:
            seen = int(self[VERSION_FIELD].data)
        except (TypeError, ValueError):
            return None
        if seen == self.instance.version:
            return None
        return self.instance.history.filter(version=seen).order_by("-history_date").first()

    def _differs_from(self, record, name):
        try:
            field = self.instance._meta.get_field(name)
        except FieldDoesNotExist:
            return True  # a form-only field: nothing in the history to compare with
        if field.many_to_many or not hasattr(record, field.attname):
            return True  # the history cannot tell: treat as changed
        return self.fields[name].has_changed(getattr(record, field.attname), self[name].data)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or not (self.has_changed() or self.version_override is not None):
            # Nothing of this record is being saved, so nothing can overwrite another's save.
            return cleaned
        model = type(self.instance)
        current = model._default_manager.select_for_update().filter(pk=self.instance.pk).first()
        if current is None:
            raise ValidationError(_("Posten har tagits bort av någon annan medan du redigerade."))
        seen = cleaned.get("seen_version")
        if seen is not None and seen == current.version:
            return cleaned
        self.stale = True
        raise ValidationError(self._stale_message(current, seen))

    def _fields_to_compare(self, current):
        """[(name, label, on the form)]: the form's fields, then the record's others.

        An inline row shows only some of its record's fields (the commitment table leaves out
        the note); a change made meanwhile on the record's own page is named all the same.
        """
        fields = []
        for name, field in self.fields.items():
            if name == VERSION_FIELD:
                continue
            try:
                model_field = current._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not model_field.many_to_many:
                label = field.label or capfirst(model_field.verbose_name)
                fields.append((name, label, not field.disabled))
        for model_field in current._meta.concrete_fields:
            if model_field.name in self.fields or model_field.name in HIDDEN_FIELDS:
                continue
            if model_field.editable:
                fields.append((model_field.name, capfirst(model_field.verbose_name), False))
        return fields

    def _stale_message(self, current, seen):
        """Why the save was refused, and the form made ready for a save that loses nothing.

        A three-way merge against the version the editor saw: a field only the other editor
        changed now shows their value, a field only this editor changed keeps what they typed,
        and a field both changed keeps this editor's input and says what the other saved. The
        form then carries the current version, so saving it again, once checked, goes through.
        """
        before = None
        if seen is not None and hasattr(current, "history"):
            before = current.history.filter(version=seen).order_by("-history_date").first()
        if before is None or self.version_override is not None:
            # Nothing to merge against (or a revert, which restores an old copy whole).
            return format_html(
                "{} {}",
                _(
                    "Någon annan har sparat den här posten medan du redigerade. Dina ändringar "
                    "är inte sparade men finns kvar i formuläret."
                ),
                _("Ladda om sidan för att se den senaste versionen och gör om dina ändringar."),
            )
        lines = []
        self.data = self.data.copy()  # the form shown again is the merged one
        for name, label, on_form in self._fields_to_compare(current):
            if not hasattr(before, name):
                continue  # history keeps fields, not links to other records
            old, new = _display(before, name), _display(current, name)
            if old == new:
                continue
            if not on_form:
                lines.append(format_html("{}: ”{}” → ”{}”", label, old, new))
            elif self._differs_from(before, name):
                lines.append(
                    format_html(
                        "{}: ”{}” → ”{}”. {}",
                        label,
                        old,
                        new,
                        _("Du ändrade också fältet; formuläret har kvar det du skrev."),
                    )
                )
            elif self._put_value(name, current):
                lines.append(
                    format_html("{}: ”{}” → ”{}” ({})", label, old, new, _("står nu i formuläret"))
                )
            else:
                lines.append(format_html("{}: ”{}” → ”{}”", label, old, new))
                return self._stale_refusal(lines, merged=False)
        self.data[self.add_prefix(VERSION_FIELD)] = str(current.version)
        return self._stale_refusal(lines, merged=True)

    def _stale_refusal(self, lines, merged):
        intro = _(
            "Någon annan har sparat den här posten medan du redigerade, så inget av det du "
            "skrev är sparat ännu."
        )
        if merged:
            then = _(
                "Formuläret visar nu den andras ändringar tillsammans med dina. Kontrollera "
                "det och spara igen."
            )
        else:
            then = _("Ladda om sidan för att se den senaste versionen och gör om dina ändringar.")
        if not lines:
            return format_html("{} {}", intro, then)
        items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
        return format_html("{} {} <ul>{}</ul>", intro, then, items)

    def _put_value(self, name, record):
        """Show `record`'s value of field `name` in the bound form, as its widget posts it.

        False for a widget whose posted form is not known here (the field is then left as the
        editor had it, and the form is not offered for saving again)."""
        field = self.fields[name]
        widget = field.widget
        while isinstance(getattr(widget, "widget", None), forms.Widget):
            widget = widget.widget  # the admin's wrapper around a related field's select
        model_field = record._meta.get_field(name)
        value = field.prepare_value(getattr(record, model_field.attname))
        key = self.add_prefix(name)
        if isinstance(widget, forms.CheckboxInput):
            if widget.check_test(value):
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
            return True
        if isinstance(widget, (forms.MultiWidget, forms.FileInput)):
            return False
        formatted = widget.format_value(value)
        if isinstance(formatted, (list, tuple)) and hasattr(self.data, "setlist"):
            self.data.setlist(key, [str(v) for v in formatted])
        elif isinstance(formatted, (list, tuple)):
            self.data[key] = [str(v) for v in formatted]
        else:
            self.data[key] = "" if formatted is None else str(formatted)
        return True


class ScopedInlineFormSet(BaseInlineFormSet):
    """Inline rows: each form checks its own scope; deleting needs the right to change."""

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

    def add_fields(self, form, index):
        super().add_fields(form, index)
        delete = form.fields.get("DELETE")
        if delete is not None and form.instance.pk and self.user is not None:
            delete.disabled = not may_delete(self.user, form.instance)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # A row of the page whose record someone else deleted meanwhile (or a save of theirs
        # took off, as a citation of a changed value). Django would refuse it with an error on
        # its hidden id, shown nowhere, and the editor could not save at all.
        form.gone_row = self.is_bound and i < self.initial_form_count() and not form.instance.pk
        form.gone_record = self._last_stored(form) if form.gone_row else None
        form.gone_untouched = form.gone_record is not None and self._untouched(form)
        return form

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self.is_bound or "forms" not in self.__dict__:
            return queryset
        # Once the posted rows are built, the admin pairs each with its record by position
        # (InlineAdminFormSet zips the two) to show the page again. The stored rows differ
        # from the posted ones when someone else deleted or added one meanwhile; then every
        # row after it would be shown under another record's name and one would not be shown
        # at all. Each posted row's own record keeps them paired; a deleted one's last stored
        # copy gives its row a name and its "Radera" box, as the other rows have.
        return [
            form.instance
            if form.instance.pk
            else (form.gone_record.instance if form.gone_record is not None else None)
            for form in self.initial_forms
        ]

    def _last_stored(self, form):
        """The history's last copy of a posted row's record that is gone, or None."""
        history = getattr(self.model, "history", None)
        pk_name = self.model._meta.pk.name
        posted = form.data.get(form.add_prefix(pk_name))
        if history is None or not posted:
            return None
        try:
            return history.filter(**{pk_name: posted}).latest("history_date")
        except (history.model.DoesNotExist, ValueError, ValidationError):
            return None

    def _untouched(self, form):
        """Does a gone row post what its record held when it was deleted? Then the editor left
        it alone, and the other's deletion stands (merged, as a field only they changed)."""
        last = form.gone_record
        pk_name = self.model._meta.pk.name
        for name, field in form.fields.items():
            if name in (pk_name, "DELETE", VERSION_FIELD, self.fk.name) or field.disabled:
                continue
            try:
                attname = self.model._meta.get_field(name).attname
            except FieldDoesNotExist:
                continue
            if field.has_changed(getattr(last, attname, None), form[name].data):
                return False
        return True

    def _should_delete_form(self, form):
        if getattr(form, "gone_untouched", False):
            return True
        if getattr(form, "kept_from_deletion", False):
            return False
        return super()._should_delete_form(form)

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.gone_row and not self._should_delete_form(form):
                form.add_error(
                    None,
                    _(
                        "Någon annan har tagit bort den här raden medan du redigerade. Det du "
                        "skrev i den finns kvar här men sparas inte: kryssa i ”Radera” för att "
                        "släppa raden, eller lägg till det som en ny rad."
                    ),
                )
            elif (
                form.instance.pk
                and getattr(form, "stale", False)
                and (self._should_delete_form(form))
            ):
                # Deleting a row someone else changed since the page was opened would throw
                # their change away unseen. The row stays, showing their change (the form's
                # merge), with its box unticked: ticking it again deletes it.
                form.kept_from_deletion = True
                form.data = form.data.copy()
                form.data.pop(form.add_prefix("DELETE"), None)
                form.add_error(
                    None,
                    _(
                        "Raden togs inte bort: någon annan har ändrat den sedan du öppnade "
                        "sidan. Kryssa i ”Radera” igen om den ska bort ändå."
                    ),
                )
        if self.scope is UNRESTRICTED:
            return
        for form in self.deleted_forms:
            if form.instance.pk and not may_change(self.user, form.instance):
                raise ValidationError(
                    _("Du får inte ta bort raden ”%(row)s”: den hör till en annan kommun.")
                    % {"row": form.instance}
                )
            if form.instance.pk and not may_delete(self.user, form.instance):
                raise ValidationError(
                    _(
                        "Du får inte ta bort ”%(row)s”: bara en registerredaktör kan ändra "
                        "vem som är värdkommun."
                    )
                    % {"row": form.instance}
                )


class OwnMunicipalityFormSet(ScopedInlineFormSet):
    """Rows of municipalities (parties, buyers) among which the editor's own must be."""

    missing_own_message = ""

    def clean(self):
        super().clean()
        scope = self.scope
        if scope is UNRESTRICTED:
            return
        municipalities = {
            f.cleaned_data["municipality"].pk
            for f in self.kept_forms()
            if "municipality" in f.cleaned_data
        }
        if scope is None or scope.pk not in municipalities:
            raise ValidationError(self.missing_own_message)


class PartyFormSet(OwnMunicipalityFormSet):
    missing_own_message = gettext_lazy(
        "Din kommun måste vara part i samverkan som du registrerar eller ändrar."
    )


class BuyerFormSet(OwnMunicipalityFormSet):
    missing_own_message = gettext_lazy("Din kommun måste vara köpare i upphandlingen.")
