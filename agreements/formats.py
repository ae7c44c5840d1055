"""How derived facts are written for people: one place, used by pages, admin, CSV and feeds."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import ngettext


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


def format_amount(value) -> str:
    """An amount of money, grouped: 1500000 -> "1 500 000" (with a no-break space in Swedish,
    "1,500,000" in English), as procurement pages show estimated values. Whole units unless
    the amount has öre: 1250000.5 -> "1 250 000,50", never rounded to a sum nobody gave."""
    if value is None:
        return ""
    value = Decimal(value)
    whole = value == value.to_integral_value()
    return number_format(
        value.quantize(Decimal("1") if whole else Decimal("0.01"), ROUND_HALF_UP),
        decimal_pos=0 if whole else 2,
        use_l10n=True,
        force_grouping=True,
    )


def format_fte_posts(value) -> str:
    """A share with its unit: "0,5 heltidstjänst", "1,5 heltidstjänster", "0 heltidstjänster"
    ("0.5 full-time post", "1.5 full-time posts", "0 full-time posts" in English)."""
    # A share up to 1.0 is (part of) one post, so singular; none, or more than one, is plural.
    # ngettext picks by a whole count, and Swedish and English have just these two forms.
    count = 1 if 0 < Decimal(value) <= 1 else 2
    return ngettext("%(fte)s heltidstjänst", "%(fte)s heltidstjänster", count) % {
        "fte": format_fte(value)
    }


FILE_SIZE_UNITS = ("kB", "MB", "GB", "TB")


def format_file_size(size) -> str:
    """A file's size in decimal units, as the unit symbols mean (kB is 1000 bytes): 38337 ->
    "38,3 kB" in Swedish, "38.3 kB" in English; under 1000, whole bytes ("512 byte").

    Django's filesizeformat divides by 1024 but writes "kB", which says 37,4 kB for 38,3 kB."""
    size = int(size)
    if size < 1000:
        # Swedish "byte" is the same in the plural; English adds an s. The unit is translated
        # alone, so that the no-break space stays out of the catalogue.
        unit = ngettext("byte", "byte", size)
        return f"{size}\xa0{unit}"
    value = Decimal(size)
    for unit in FILE_SIZE_UNITS:
        value /= 1000
        # Choose the unit by the rounded figure: 999 950 bytes are "1,0 MB", not "1000,0 kB".
        rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if rounded < 1000 or unit == FILE_SIZE_UNITS[-1]:
            break
    return f"{number_format(rounded, decimal_pos=1, use_l10n=True)}\xa0{unit}"


def nest_quotes(name):
    """A name already written, to be put inside ”…”: its own quotes become ’…’, as Swedish
    nests quotations (”Laxå: 0,5 av ’Upphandlare’”)."""
    return str(name).replace("”", "’")
