from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PageCacheConfig(AppConfig):
    """The page cache's generation, apart from the registry's data: backups (`dumpdata
    agreements`) leave it out, and its migrations never collide with the registry's."""

    name = "agreements.pagecache"
    label = "pagecache"
    verbose_name = _("Sidcache")
    default_auto_field = "django.db.models.BigAutoField"
