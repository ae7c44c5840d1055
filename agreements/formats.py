"""How derived facts are written for people: one place, used by pages, admin, CSV and feeds."""

from decimal import Decimal

from django.utils.formats import number_format


def format_fte(value, min_decimals=0) -> str:
    """0.50 -> "0,5" in Swedish, "0.5" in English: as few decimals as the value needs.

    `min_decimals=1` writes whole numbers as "1,0" and "0,0", for sentences about shares.
    """
    if value is None:
        return ""
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal("1"))
    decimals = max(-value.as_tuple().exponent, min_decimals)
    return number_format(value, decimal_pos=decimals, use_l10n=True)
