from django.conf import settings
from django.core.checks import Error, Warning, register
from django.http.request import split_domain_port, validate_host

from .links import base_parts


@register(deploy=True)
def public_address(app_configs, **kwargs):
    """The configured public address must be one this site answers to, over HTTPS when the site
    redirects there: every published link starts with it."""
    scheme, host = base_parts()
    problems = []
    if not settings.DEBUG and not settings.REGISTRY_BASE_URL_IS_SET:
        problems.append(
            Error(
                "REGISTRY_BASE_URL är inte satt: alla länkar i sidor, API, flöden och "
                "webbplatskarta skulle leda till http://127.0.0.1:8000.",
                hint="Sätt REGISTRY_BASE_URL till registrets publika adress, t.ex. "
                "https://samverkan.example.se.",
                id="registry.E001",
            )
        )
    if not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        problems.append(
            Warning(
                f"REGISTRY_BASE_URL ({settings.REGISTRY_BASE_URL}) pekar på en värd som inte "
                "finns i DJANGO_ALLOWED_HOSTS: alla länkar i sidor, API, flöden och "
                "webbplatskarta leder dit.",
                hint="Sätt REGISTRY_BASE_URL till registrets publika adress.",
                id="registry.W001",
            )
        )
    if settings.SECURE_SSL_REDIRECT and scheme != "https":
        problems.append(
            Warning(
                "REGISTRY_BASE_URL börjar med http:// men webbplatsen kräver HTTPS.",
                id="registry.W002",
            )
        )
    return problems
