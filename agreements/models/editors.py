from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Municipality

__all__ = ["EditorProfile"]


class EditorProfileQuerySet(models.QuerySet):
    def get_by_natural_key(self, username):
        return self.get(user__username=username)


class EditorProfile(models.Model):
    """Ties a staff account to the municipality whose records it may edit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="editor_profile",
        verbose_name=_("användare"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="editors",
        verbose_name=_("kommun"),
        help_text=_("Kommunredaktörer får ändra poster som den här kommunen deltar i."),
    )

    objects = EditorProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("redaktörsprofil")
        verbose_name_plural = _("redaktörsprofiler")
        ordering = ["user__username"]

    def __str__(self):
        return f"{self.user} ({self.municipality})"

    def natural_key(self):
        return (self.user.username,)

    natural_key.dependencies = ["auth.user", "agreements.municipality"]

    def get_absolute_url(self):
        return self.municipality.get_absolute_url()
