"""Working with admin pages as staff see them: forms read from the rendered HTML (webtest)."""

from django.urls import reverse

# One free-text field per model that staff edit; models without one are saved unchanged only.
TEXT_FIELD = {
    "agreementversion": "summary",
    "proposal": "summary",
    "citation": "note",
    "claim": "assessment_note",
    "cooperation": "description",
    "county": "name",
    "interpellation": "background",
    "interpellationquestion": "answer",
    "municipality": "name",
    "objection": "argument",
    "party": "note",
    "plannedprocurement": "description",
    "post": "title",
    "procurementbuyer": None,  # municipality and a lead flag: nothing free-text to edit
    "sourcedocument": "author",
    "staffingcommitment": "note",
}


def change_url(obj):
    return reverse(f"admin:agreements_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model_name):
    return reverse(f"admin:agreements_{model_name}_add")


def save_form(page):
    """The record's form on an admin page (the one with a save button), or None."""
    for form in page.forms.values():
        if "_save" in form.fields:
            return form
    return None


def row(form, prefix, **values):
    """Index of the first inline row whose fields hold `values` (primary keys as numbers)."""
    total = int(form[f"{prefix}-TOTAL_FORMS"].value)
    for i in range(total):
        if all(
            str(form[f"{prefix}-{i}-{name}"].value) == str(getattr(value, "pk", value))
            for name, value in values.items()
        ):
            return i
    raise LookupError(f"no {prefix} row with {values}")


def blank_row(form, prefix):
    """Index of the empty row the admin renders for adding one (inline `extra`)."""
    return int(form[f"{prefix}-INITIAL_FORMS"].value)


def pick(form, name, obj):
    """Choose `obj` in a select, also one the page offers only through autocomplete.

    An autocomplete select renders no options but the current one; the browser adds the
    picked option from the search results, so the test does the same.
    """
    field = form[name]
    value = str(obj.pk)
    if value not in [option[0] for option in field.options]:
        field.options.append((value, False, str(obj)))
    field.value = value


def refusals(response):
    """What the admin told the editor it refused: error lists and error messages."""
    html = response.html
    found = [
        e.get_text(" ", strip=True)
        for e in html.select(".errornote, .errorlist li, .messagelist .error")
    ]
    return [text for text in found if text]
