"""The public change log of a record: when, and which fields changed how. Never who.

Staff who edit are personal data (GDPR); their names stay in the admin's history.
"""

from django.utils.translation import gettext as _

HIDDEN_FIELDS = {"id", "version", "updated_at", "search_document"}
LIMIT = 20


def _value(record, field, names):
    if field.is_relation:
        pk = getattr(record, field.attname)
        return names.get((field.name, pk), "–") if pk is not None else "–"
    value = getattr(record, field.attname)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if value in (None, ""):
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    return str(value)


def change_log(obj, limit=LIMIT):
    """Newest first: [{"date", "kind", "changes": [(label, old, new)]}], in two or three queries."""
    model = type(obj)
    fields = [f for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
    records = list(obj.history.order_by("-history_date", "-history_id")[: limit + 1])
    names = {}
    for field in fields:
        if field.is_relation:
            ids = {getattr(r, field.attname) for r in records} - {None}
            for related in field.related_model.objects.filter(pk__in=ids):
                names[(field.name, related.pk)] = str(related)
    entries = []
    for i, newer in enumerate(records[:limit]):
        older = records[i + 1] if i + 1 < len(records) else None
        if newer.history_type == "+" or older is None:
            entries.append({"date": newer.history_date, "kind": _("Registrerad"), "changes": []})
            continue
        changes = []
        for field in fields:
            old, new = _value(older, field, names), _value(newer, field, names)
            if old != new:
                changes.append((field.verbose_name, old, new))
        kind = _("Borttagen") if newer.history_type == "-" else _("Ändrad")
        entries.append({"date": newer.history_date, "kind": kind, "changes": changes})
    return entries
