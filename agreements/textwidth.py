"""How wide a line of text is drawn, estimated on the server for the SVG pictures (charts.py).

A browser measures text only after the page is drawn, and the pictures are drawn on the server
and must work without JavaScript. The widths are those of DejaVu Sans, in thousandths of the
font size, as Chromium draws them: it is what `system-ui` gives on Debian, and it is wider than
the fonts other systems give for it (Segoe UI, San Francisco, Roboto, Cantarell, Noto Sans), so
a box sized from these widths may have room to spare but never cuts its text off.
"""

# Printable ASCII, then the letters and signs Swedish (and its neighbours' names) write with.
CHARACTERS = "".join(map(chr, range(32, 127))) + "ÅÄÖåäöÉéÈèÜüØøÆæÁáÍíÓóÚúÑñÇç–—’”“→·…"
REGULAR = """
    318 401 460 838 637 951 780 275 391 391 500 838 318 361 318 337 637 637 637 637 637 637
    637 637 637 637 337 337 838 838 838 531 1000 685 687 699 771 632 576 775 752 295 295 656
    558 863 749 788 604 788 695 635 611 732 685 989 686 611 686 391 337 391 838 500 500 613
    635 550 635 616 353 635 634 278 278 580 278 975 634 612 635 635 412 521 393 634 592 818
    592 592 525 637 337 637 838 685 685 788 613 613 612 632 616 632 616 732 634 788 612 975
    982 685 613 295 278 788 612 732 634 749 634 699 550 500 1000 318 519 519 838 318 1000
"""
BOLD = """
    349 457 521 838 696 1002 873 307 458 458 523 838 380 416 380 366 696 696 696 696 696 696
    696 696 696 696 400 400 838 838 838 581 1000 774 763 734 831 684 684 821 837 373 373 775
    638 996 837 851 733 851 771 721 683 813 774 1104 771 725 726 458 366 458 838 500 500 675
    716 593 716 679 436 716 712 343 343 666 343 1042 712 688 716 716 494 596 479 712 652 924
    646 652 583 712 366 712 838 774 774 851 675 675 688 684 679 684 679 813 712 851 688 1085
    1048 774 675 373 343 851 688 813 712 837 712 734 593 500 1000 380 658 658 838 380 1000
"""
_WIDTHS = {
    bold: dict(zip(CHARACTERS, map(int, table.split()), strict=True))
    for bold, table in ((False, REGULAR), (True, BOLD))
}
# A character outside the table (another alphabet, an emoji) counts as wide as the widest.
_WIDEST = 1104

# Chromium's box around a line of DejaVu Sans, above and below the baseline, in font sizes.
ASCENT = 0.93
DESCENT = 0.24


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in pixels of `text` on one line at font size `size`."""
    widths = _WIDTHS[bold]
    return sum(widths.get(character, _WIDEST) for character in text) * size / 1000
