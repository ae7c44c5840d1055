"""Shared pieces: natural keys and the validators every aggregate uses."""

import re
from contextlib import contextmanager
from functools import cache

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import rules


class NaturalKeyQuerySet(models.QuerySet):
    """QuerySet whose manager resolves natural keys from `natural_key_lookups`.

    Fixtures refer to rows by these keys instead of database ids, so that a fixture loads the
    same way into any database and loading it twice updates rather than duplicates.
    """

    natural_key_lookups: tuple[str, ...] = ()

    def get_by_natural_key(self, *values):
        return self.get(**dict(zip(self.natural_key_lookups, values, strict=True)))

    def delete(self):
        # A cascade deletes rows one model at a time; the rules must see its end state.
        with rules.checked_writes():
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class RuleCheckedModel(models.Model):
    """A row that rules across records depend on: its save or delete is one checked change.

    Admin saves, reverts and commands that write several rows open the group around all of
    them; a lone save here then joins it (see agreements/rules.py).
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        with rules.checked_writes():
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with rules.checked_writes():
            return super().delete(*args, **kwargs)


def count_of(model, field, **conditions):
    """Number of `model` rows whose `field` points at the outer row, as a correlated subquery.

    Used instead of Count() over a join: with a join and GROUP BY, other subqueries in the same
    query run once per joined row, which at national scale costs seconds.
    """
    rows = (
        model.objects.filter(**{field: models.OuterRef("pk")}, **conditions)
        .order_by()
        .values(field)
        .annotate(n=models.Count("*"))
        .values("n")
    )
    return Coalesce(models.Subquery(rows, output_field=models.IntegerField()), 0)


def natural_key_manager(queryset_class, lookups):
    """A manager class for `queryset_class` that looks up natural keys by `lookups`."""
    qs_class = type(
        f"{queryset_class.__name__}WithKeys", (queryset_class,), {"natural_key_lookups": lookups}
    )
    return models.Manager.from_queryset(qs_class)


slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Använd bara små bokstäver a–z, siffror och bindestreck, t.ex. ”sydnarke-natverk”."),
)

DATE_ORDER_MESSAGE = _("Slutdatum kan inte ligga före startdatum.")


def dates_in_order(prefix=""):
    """Condition for a CheckConstraint: end on or after start when both are known."""
    start, end = f"{prefix}start_date", f"{prefix}end_date"
    return (
        models.Q(**{f"{start}__isnull": True})
        | models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{end}__gte": models.F(start)})
    )


def in_force(on, prefix=""):
    """Condition: a validity period (unknown start or end = open) that covers the day `on`.

    The one definition of "in force" for querysets; `period_state` says the same per row.
    """
    start, end = f"{prefix}start_date", f"{prefix}end_date"
    return (models.Q(**{f"{start}__isnull": True}) | models.Q(**{f"{start}__lte": on})) & (
        models.Q(**{f"{end}__isnull": True}) | models.Q(**{f"{end}__gte": on})
    )


def period_state(start, end, on):
    """ "future", "ended" or "current" for a validity period on the day `on`."""
    if end and end < on:
        return "ended"
    if start and start > on:
        return "future"
    return "current"


@cache
def choice_labels(model_field, language):
    """A field's choice labels in one language: {value: label}.

    Django's `get_FOO_display` rebuilds the mapping, hashing every lazy label, on each call:
    lists, the API and the feeds ask for it several times a row, and at national scale that
    showed in every profile.
    """
    with translation.override(language):
        return {value: str(label) for value, label in model_field.flatchoices}


class VersionedModel(models.Model):
    """A record staff edit: `version` grows on every save, so a stale form can be detected."""

    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        # What Django's gives (a value without a label as it is), from labels built once.
        value = getattr(self, field.attname)
        return choice_labels(field, translation.get_language()).get(value, value)


class TimestampedModel(VersionedModel):
    """A record that knows when it last changed (itself or one of its child rows)."""

    updated_at = models.DateTimeField(
        _("senast ändrad"), null=True, blank=True, editable=False, db_index=True
    )

    class Meta:
        abstract = True


# Digits grouped by threes with a space between, as Swedes write amounts: "1 250 000,50". The
# space may be a plain, a no-break (U+00A0), a thin (U+2009) or a narrow no-break (U+202F) one.
THOUSANDS_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?:[.,]\d*)?")
THOUSANDS_SEPARATORS = re.compile(r"[ \u00a0\u2009\u202f]")


class LocalizedDecimalFormField(forms.DecimalField):
    """A decimal typed as the user writes it: a decimal comma, and spaces between thousands.

    Only whole groups of three count as thousands, so "1 2 5" is still not a number.
    """

    def to_python(self, value):
        if isinstance(value, str) and THOUSANDS_GROUPED.fullmatch(value.strip()):
            value = THOUSANDS_SEPARATORS.sub("", value.strip())
        return super().to_python(value)


class LocalizedDecimalField(models.DecimalField):
    """A DecimalField whose forms accept the user's decimal separator (0,5 in Swedish) and
    spaces between thousands (1 250 000): every form of every such field, admin or not."""

    def formfield(self, **kwargs):
        kwargs.setdefault("localize", True)
        kwargs.setdefault("form_class", LocalizedDecimalFormField)
        return super().formfield(**kwargs)


class HttpsURLField(models.URLField):
    """A URLField whose forms read an address typed without a scheme as https.

    That is Django 6's default; opting in per field avoids the deprecated transitional setting.
    """

    def formfield(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)


class ChangeGroupHistory(models.Model):
    """What every history row carries besides the record: the change it was part of.

    One admin save with its inline rows, a revert or a fixture load is one change (see
    agreements/rules.py); its rows share an id, so the public change log can tell it as one
    event, as NetBox groups the object changes of one request.
    """

    change_group = models.UUIDField(_("ändring"), null=True, blank=True, db_index=True)

    class Meta:
        abstract = True


def tracked_history(**kwargs):
    """django-simple-history for a registry model: every change recorded, grouped."""
    return HistoricalRecords(inherit=False, bases=[ChangeGroupHistory], **kwargs)


@contextmanager
def quoted_inside(obj):
    """While it lasts, `obj`'s name is written inside quotation marks (an admin message), so
    the names it quotes itself take the inner marks (`inner_quote`)."""
    obj.quoted_inside = True
    try:
        yield obj
    finally:
        obj.quoted_inside = False


def inner_quote(obj):
    """The quotation mark for a name that `obj`'s own name quotes: ”, or ’ inside quotes."""
    return "’" if getattr(obj, "quoted_inside", False) else "”"
