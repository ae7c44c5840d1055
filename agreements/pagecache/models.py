from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PageGeneration(models.Model):
    """One row whose number goes up with every change to the registry.

    It is bumped by an UPDATE inside the transaction that makes the change, so the new number
    becomes visible to readers in the same instant as the new data, and outlives a flushed or
    restarted cache. Cached pages are kept under the number they were built from
    (agreements.cache) and its random mark.
    """

    value = models.BigIntegerField(_("generation"), default=1)
    # A new random mark with every bump, and the part of the cache key that matters: two
    # registries sharing one Redis, or one database restored to an earlier state, can reach the
    # same number but never the same mark, so neither is served the other's pages.
    mark = models.CharField(_("märke"), max_length=32, default="", editable=False)
    # When the registry last changed: the Last-Modified of public responses (agreements.http).
    changed_at = models.DateTimeField(_("ändrad"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("sidgeneration")
        verbose_name_plural = _("sidgenerationer")

    def __str__(self):
        return str(self.value)
