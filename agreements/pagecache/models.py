from django.db import models
from django.utils.translation import gettext_lazy as _


class PageGeneration(models.Model):
    """One row whose number goes up with every change to the registry.

    It is bumped by an UPDATE inside the transaction that makes the change, so the new number
    becomes visible to readers in the same instant as the new data, and outlives a flushed or
    restarted cache. Cached pages are kept under the number they were built from
    (agreements.cache).
    """

    value = models.BigIntegerField(_("generation"), default=1)

    class Meta:
        verbose_name = _("sidgeneration")
        verbose_name_plural = _("sidgenerationer")

    def __str__(self):
        return str(self.value)
