"""Slugs that fill themselves in, on the server as well as in the browser.

The admin's `prepopulated_fields` fill a slug with JavaScript while staff type a name. Without
JavaScript (or when staff clear the field) the slug would be required and empty; here a blank
slug is formed on the server from the same fields, and made unique where the model demands it.
"""

import re

from django.utils.text import slugify
from django.utils.translation import gettext as _


def slug_from(text, max_length):
    """A slug of `text` that fits `max_length`, cut between words.

    Django's slugify folds å, ä and ö to a, a and o, but deletes punctuation outright, which
    would glue "Laxå–Hallsberg" into one word: punctuation becomes a word break first.
    """
    spaced = re.sub(r"[^\w\s]+", " ", str(text))
    slug = re.sub(r"[-_]+", "-", slugify(spaced)).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug


def unique_slug(model, field_name, base, instance, values):
    """`base`, or `base-2`, `base-3`, … : the first that no other row in the same scope uses.

    The scope is the whole table for a unique field, or the other fields of each unique
    constraint that includes the slug (a post's slug is unique per employer).
    """
    field = model._meta.get_field(field_name)
    scopes = [()] if field.unique else []
    for fields in model._meta.total_unique_constraints:
        names = tuple(fields.fields)
        if field_name in names:
            scopes.append(tuple(n for n in names if n != field_name))
    if not scopes:
        return base

    others = model._default_manager.all()
    if instance.pk is not None:
        others = others.exclude(pk=instance.pk)

    def taken(candidate):
        for scope in scopes:
            lookup = {field_name: candidate}
            for name in scope:
                lookup[name] = values.get(name, getattr(instance, name, None))
            if others.filter(**lookup).exists():
                return True
        return False

    candidate, number = base, 1
    while taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: field.max_length - len(suffix)].rstrip("-") + suffix
    return candidate


def slug_filling_form(form_class, prepopulated_fields):
    """`form_class`, with each prepopulated slug optional and formed on the server when blank."""

    class SlugFillingForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for slug_field, sources in prepopulated_fields.items():
                field = self.fields.get(slug_field)
                if field is None:
                    continue
                field.required = False
                labels = ", ".join(
                    f"”{self.fields[s].label if s in self.fields else s}”" for s in sources
                )
                hint = _("Lämna tomt så bildas det av %(fields)s.") % {"fields": labels}
                field.help_text = f"{field.help_text} {hint}".strip()

        def clean(self):
            cleaned = super().clean()
            model = self._meta.model
            for slug_field, sources in prepopulated_fields.items():
                if slug_field not in self.fields or slug_field in self.errors:
                    continue
                if cleaned.get(slug_field):
                    continue
                if any(s in self.errors for s in sources):
                    continue  # the name itself is wrong: that error is the one to fix
                text = " ".join(str(cleaned.get(s) or "") for s in sources)
                max_length = model._meta.get_field(slug_field).max_length
                base = slug_from(text, max_length)
                if not base:
                    self.add_error(
                        slug_field,
                        _(
                            "Det gick inte att bilda ett kortnamn av det du skrev. Skriv ett "
                            "kortnamn med bokstäverna a–z, siffror och bindestreck."
                        ),
                    )
                    continue
                cleaned[slug_field] = unique_slug(model, slug_field, base, self.instance, cleaned)
            return cleaned

    SlugFillingForm.__name__ = form_class.__name__
    return SlugFillingForm


class SlugFillingAdminMixin:
    """Forms of this ModelAdmin fill blank prepopulated slugs on the server."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        prepopulated = self.get_prepopulated_fields(request, obj)
        return slug_filling_form(form, prepopulated) if prepopulated else form
