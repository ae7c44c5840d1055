"""The admin's history pages in the staff's language: labels for choices, decimal commas.

django-simple-history shows each change as the raw stored value (``active``, ``0.50``,
``True``). Here values read as they do in the forms, and bookkeeping fields are left out.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.contrib import admin
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from .changelog import HIDDEN_FIELDS


class RegistryHistoryContextHelper(HistoricalRecordContextHelper):
    def context_for_delta_changes(self, delta):
        shown = [c for c in delta.changes if c.field not in HIDDEN_FIELDS]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=shown))

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return display_value(value, getattr(field, "decimal_places", None))


def display_value(value, decimal_places=None):
    if isinstance(value, DeletedObject):
        # django-simple-history's stand-in for a foreign key it cannot follow: also an empty
        # one (pk None), which was never a deleted record.
        if value.pk is None:
            return "–"
        return _("%(record)s som har tagits bort (id %(id)s)") % {
            "record": capfirst(value.model._meta.verbose_name),
            "id": value.pk,
        }
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, decimal_pos=decimal_places)
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return value


class LocalizedHistoryMixin:
    """For SimpleHistoryAdmin subclasses: history pages with display values."""

    def get_historical_record_context_helper(self, request, historical_record):
        return RegistryHistoryContextHelper(self.model, historical_record)


class AdminLogHistoryMixin:
    """For a SimpleHistoryAdmin whose model keeps no history: Django's own history page.

    django-simple-history's page needs the model's history table and fails without one;
    the admin's log of who changed what through the admin still answers the question.
    """

    object_history_template = None

    def history_view(self, request, object_id, extra_context=None):
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
