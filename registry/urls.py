from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from .health import healthz

admin.site.site_header = "Samverkansregistret"
admin.site.site_title = "Samverkansregistret"
admin.site.index_title = "Registrets innehåll"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("agreements.urls")),
]
