"""Text out of the documents staff upload: PDF, DOCX, ODT, HTML and plain text.

Every failure is a `DocumentError` with a Swedish message for the form: a broken or hostile
file must end as an explanation to the editor, never as a server error. The format is decided
by the file's content and must agree with its extension, so a renamed file is caught before a
parser sees it.
"""

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


class Format(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    ODT = "odt", "OpenDocument (ODT)"
    HTML = "html", "HTML"
    TEXT = "txt", gettext_lazy("Ren text")


EXTENSIONS = {
    ".pdf": Format.PDF,
    ".docx": Format.DOCX,
    ".odt": Format.ODT,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".txt": Format.TEXT,
}
MEDIA_TYPES = {
    Format.PDF: "application/pdf",
    Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.ODT: "application/vnd.oasis.opendocument.text",
    Format.HTML: "text/html",
    Format.TEXT: "text/plain",
}
ACCEPT = ",".join([*EXTENSIONS, *dict.fromkeys(MEDIA_TYPES.values())])

# An office file is a zip; its parts are read whole into memory. A small file that unpacks to
# gigabytes (a zip bomb) is refused before any parser opens it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, and encrypted Office files


class DocumentError(ValidationError):
    """A file that cannot be taken in, with the reason in words an editor can act on."""


@dataclass(frozen=True)
class Extracted:
    text: str
    format: str
    sha256: str
    size: int


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """One spelling for every stored text: Unix line breaks, composed letters, no control codes.

    Browsers post line breaks as CRLF, Word writes a page break as form feed, and macOS may
    send "å" as "a" plus a ring: each would make a verbatim quote fail to match.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def extract(name: str, data: bytes) -> Extracted:
    """The text of an uploaded document, or DocumentError saying why it cannot be used."""
    extension = PurePath(name).suffix.lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise DocumentError(
            _(
                "Filtypen %(ext)s stöds inte. Ladda upp PDF, DOCX, ODT, HTML eller ren text "
                "(.txt), eller klistra in texten."
            )
            % {"ext": extension or _("(utan filändelse)")}
        )
    actual = sniff(data)
    if actual is None and expected in (Format.HTML, Format.TEXT):
        actual = expected if _decode(data) is not None else None
    if actual is None:
        if data.startswith(OLE_MAGIC):
            raise DocumentError(
                _(
                    "Filen är lösenordsskyddad eller i det gamla Word-formatet (.doc). Spara "
                    "den som DOCX eller PDF utan lösenord och ladda upp den igen."
                )
            )
        raise DocumentError(
            _(
                "Filen går inte att läsa som %(label)s, som filändelsen %(ext)s säger. Den är "
                "kanske inget dokument alls, eller skadad."
            )
            % {"label": Format(expected).label, "ext": extension}
        )
    if actual != expected and {actual, expected} != {Format.HTML, Format.TEXT}:
        raise DocumentError(
            _(
                "Filen heter %(ext)s men innehållet är %(actual)s. Kontrollera att du valt rätt "
                "fil, eller ge den rätt filändelse."
            )
            % {"ext": extension, "actual": Format(actual).label}
        )
    try:
        text = EXTRACTORS[expected](data)
    except DocumentError:
        raise
    except Exception:
        # Parsers of untrusted files fail in many ways; each is the same problem for staff.
        logger.warning("Could not read uploaded %s %r", expected, name, exc_info=True)
        raise DocumentError(
            _("Filen gick inte att läsa som %(label)s. Den kan vara skadad.")
            % {"label": Format(expected).label}
        ) from None
    text = normalize_text(text).strip()
    if not text:
        raise DocumentError(
            _("Det finns ingen text i filen. Ladda upp en version med text, eller klistra in den.")
        )
    return Extracted(
        text=text, format=expected, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise DocumentError(
            _("Filen är %(size)s. Största tillåtna storlek är %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )


_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body|p|div|h[1-6])[\s>]", re.I)


def sniff(data: bytes):
    """The format the bytes are in, by their signature, or None if no binary format matches."""
    if b"%PDF-" in data[:1024]:
        return Format.PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                    return Format.ODT
                if "word/document.xml" in names:
                    return Format.DOCX
        except (zipfile.BadZipFile, OSError):
            return None
        return None
    text = _decode(data)
    if text is not None and _HTML_START.search(text[:4096]):
        return Format.HTML
    return None


def _decode(data: bytes):
    """Text from bytes in UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.

    Returns None for binary data: NUL bytes or other control codes do not occur in text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                # Older Swedish documents from Windows; it decodes almost any byte, hence the
                # control-code check below.
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return None
    if _CONTROL.search(text.replace("\f", "")):
        return None
    return text


def _check_unpacked_size(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise DocumentError(_("Filen packas upp till orimligt mycket data och läses inte."))


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        # Many published PDFs are encrypted only to restrict printing or copying, with an empty
        # password for reading; those open in any viewer and are accepted.
        try:
            opened = reader.decrypt("")
        except (DependencyError, FileNotDecryptedError, NotImplementedError):
            opened = 0
        if not opened:
            raise DocumentError(
                _(
                    "PDF-filen är lösenordsskyddad. Spara den utan lösenord och ladda upp den "
                    "igen, eller klistra in texten."
                )
            )
    pages = [page.extract_text() or "" for page in reader.pages]
    text = "\n\n".join(p.strip("\n") for p in pages)
    if not text.strip():
        raise DocumentError(
            _(
                "PDF-filen innehåller ingen text, bara bilder (den är troligen inskannad). "
                "Ladda upp en version med text, eller klistra in texten."
            )
        )
    return text


def _docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table

    _check_unpacked_size(data)
    document = docx.Document(io.BytesIO(data))
    lines = []

    def table_lines(table):
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))

    # In document order, tables included: citations quote what a reader sees, in that order.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_lines(block)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _odt_text(data: bytes) -> str:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    _check_unpacked_size(data)
    document = load(io.BytesIO(data))
    lines = []

    def walk(node):
        for child in node.childNodes:
            if getattr(child, "qname", None) in ((TEXTNS, "p"), (TEXTNS, "h")):
                lines.append(teletype.extractText(child))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(document.text)
    return "\n".join(lines)


# Elements that start a new line in a browser; everything else runs on within its line.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_INVISIBLE = {"head", "script", "style", "noscript", "template", "iframe", "object", "svg"}


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup, Comment, NavigableString

    soup = BeautifulSoup(data, "lxml")
    lines, current = [], []

    def flush():
        line = re.sub(r"[ \t\n]+", " ", "".join(current)).strip()
        if line:
            lines.append(line)
        current.clear()

    def walk(node, pre=False):
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if pre:
                    flush()
                    lines.extend(str(child).strip("\n").split("\n"))
                else:
                    current.append(str(child))
                continue
            name = child.name
            if name in _INVISIBLE:
                continue
            if name in ("td", "th"):
                current.append("\t")
            block = name in _BLOCKS
            if block:
                flush()
            walk(child, pre or name == "pre")
            if block:
                flush()

    walk(soup.body or soup)
    flush()
    return "\n".join(lines)


def _plain_text(data: bytes) -> str:
    text = _decode(data)
    if text is None:
        raise DocumentError(_("Filen är inte ren text."))
    return text


EXTRACTORS = {
    Format.PDF: _pdf_text,
    Format.DOCX: _docx_text,
    Format.ODT: _odt_text,
    Format.HTML: _html_text,
    Format.TEXT: _plain_text,
}


def find_quote(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) where `quote` occurs in `text`, however either is wrapped.

    Hard line breaks are layout, not content, so any run of white space in the quote matches
    any run in the text. The spans exclude white space around the quote.
    """
    words = normalize_text(quote).split()
    if not words:
        return []
    pattern = r"\s+".join(re.escape(w) for w in words)
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]
