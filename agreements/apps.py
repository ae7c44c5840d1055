from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Samverkan och upphandling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        # alerts, cache, changefeed and signals connect signal receivers; cache's invalidation,
        # the change feed and the alerts' last mail about a removed record must follow writes in
        # every process (loaddata from the command line too), not only where the middleware is
        # loaded. checks registers the deploy checks of the public address.
        from . import alerts, cache, changefeed, checks, opportunities, signals  # noqa: F401
        from .roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="agreements-ensure-groups")
