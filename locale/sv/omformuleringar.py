"""Django admin texts with %-placeholders, reworded in locale/sv/LC_MESSAGES/django.po.

The same as omformuleringar.txt, for texts a template cannot list: makemessages doubles the
% signs of a template's text, so its msgid would not be Django's. Django's Swedish gives these
English or straight quotation marks ("Tog bort citat “…”"). Never imported; only read by
`manage.py thirdparty_messages`.
"""

from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext_lazy

TEXTS = [
    _("The %(name)s “%(obj)s” was deleted successfully."),
    _("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    _(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? '
        "All of the following related items will be deleted:"
    ),
    _(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related "
        "objects, but your account doesn't have permission to delete the following types of "
        "objects:"
    ),
    _(
        "Deleting the %(object_name)s '%(escaped_object)s' would require deleting the "
        "following protected related objects:"
    ),
]

# Above every refused form, a refused stale save included, where nothing is the editor's
# error: "Var god rätta felet nedan" blamed them, and counted one message as several.
PLURAL = ngettext_lazy("Please correct the error below.", "Please correct the errors below.", 1)
