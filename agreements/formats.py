"""How derived facts are written for people: one place, used by pages, admin, CSV and feeds."""

from decimal import Decimal

from django.utils.formats import number_format


def format_fte(value) -> str:
    """0.50 -> "0,5" in Swedish, "0.5" in English: as few decimals as the value needs."""
    if value is None:
        return ""
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal("1"))
    return number_format(value, use_l10n=True)
