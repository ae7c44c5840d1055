"""App configurations that put the registry's admin in place of Django's and axes' defaults.

Kept apart from apps.py: Django picks an app's default configuration among the classes in
its apps module, and these two are not the agreements app.
"""

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class RegistryAdminConfig(AdminConfig):
    """django.contrib.admin with the registry's task-shaped site as `admin.site`."""

    default_site = "agreements.admin_site.RegistryAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin module has registered by now
        from django.contrib import admin

        from . import admin_axes

        admin_axes.install(admin.site)


class RegistryAxesConfig(AxesConfig):
    # The app's name heads django-axes' admin pages; Django would title-case the label "axes".
    verbose_name = _("Inloggningsförsök")
