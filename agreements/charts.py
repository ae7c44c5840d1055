"""Geometry for the server-rendered SVG pictures; templates only draw what this computes.

Each picture is sized from its own text (widths estimated by `textwidth`), so no label is cut
off whatever the language or the names, and it grows downwards, not sideways, with more
financers: a row each, so that twelve fit a phone's width as well as one. Each picture's text
equivalent is written here from the same facts as the drawing, so the two cannot disagree.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .facts import INTERPRETED, MISSING, is_interpretation, provenance, state_text
from .formats import format_fte, format_fte_posts
from .textwidth import ASCENT, DESCENT, text_width

MARGIN = 8
# Pictures are laid out to fit a phone (375 px less the page's padding); longer names wrap.
PHONE_WIDTH = 340


@dataclass
class Text:
    """One text element: its lines, placed by the top of its first line's box."""

    x: float
    top: float
    lines: list[str]
    size: int
    bold: bool = False
    anchor: str = "start"
    light: bool = False  # white, on a dark box

    @property
    def line_height(self):
        return round(self.size * 1.25)

    @property
    def left(self):
        return _n(self.x)

    @property
    def baseline(self):
        return _n(self.top + self.size * ASCENT)

    @property
    def height(self):
        return self.size * (ASCENT + DESCENT) + (len(self.lines) - 1) * self.line_height

    @property
    def bottom(self):
        return self.top + self.height

    @property
    def width(self):
        return max(text_width(line, self.size, self.bold) for line in self.lines)


def _n(value):
    """A coordinate as SVG writes it: a point, not a decimal comma, and no float noise."""
    return f"{round(value, 1):g}"


def wrap(text, size, max_width, bold=False):
    """Lines no wider than `max_width` where the text allows: broken at spaces and after
    hyphens ("Upplands-" / "Bro"), never inside a word, so a long word keeps its own line."""
    lines, line = [], ""
    for word in text.split():
        for i, piece in enumerate(re.split(r"(?<=-)(?=.)", word)):
            joined = line + ("" if i else " ") + piece if line else piece
            if line and text_width(joined, size, bold) > max_width:
                lines.append(line)
                line = piece
            else:
                line = joined
    return [*lines, line] if line else [""]


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    dark: bool = False

    def __post_init__(self):
        for name in ("x", "y", "width", "height"):
            setattr(self, name, round(getattr(self, name), 1))


@dataclass
class Picture:
    """What a template draws: boxes, lines, arrowheads and texts, in a sized viewBox."""

    width: float = 0
    height: float = 0
    rects: list[Rect] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # path data, stroked
    heads: list[str] = field(default_factory=list)  # path data, filled
    texts: list[Text] = field(default_factory=list)

    def fit(self):
        """Size the picture to hold everything in it, with a margin."""
        right = [t.x + (t.width / 2 if t.anchor == "middle" else t.width) for t in self.texts]
        right += [r.x + r.width for r in self.rects]
        bottom = [t.bottom for t in self.texts] + [r.y + r.height for r in self.rects]
        self.width = round(max(right, default=0) + MARGIN)
        self.height = round(max(bottom, default=0) + MARGIN)
        return self


# --- who finances which post, now -----------------------------------------------------------


# What a drawn share says: its size, the post it is part of, and the share it replaced.
DRAWN_FIELDS = ("fte", "post", "supersedes")


@dataclass(frozen=True)
class Reading:
    """Which of what the pictures draw of a share is the registry's reading of its source,
    as the table marks each field: its size, and its place (the post it is part of and the
    share it replaced). Lekeberg's 0,5 is the source's number on a post the registry infers:
    marked as a whole, it read as if the number were the registry's. A size no citation
    supports is marked as such: drawn unmarked, it read as the source's."""

    size: bool = False
    place: bool = False
    unsupported: bool = False

    @classmethod
    def of(cls, commitment):
        size = provenance(commitment, "fte").status
        return cls(
            size=size == INTERPRETED,
            place=any(is_interpretation(commitment, name) for name in DRAWN_FIELDS[1:]),
            unsupported=size == MISSING,
        )

    def mark(self):
        """ "källa saknas", "tolkning", "tjänsten: tolkning", or "" when the source says it
        all."""
        marks = []
        if self.unsupported:
            marks.append(_("källa saknas"))
        if self.size:
            marks.append(_("tolkning"))
        elif self.place:
            marks.append(_("tjänsten: tolkning"))
        return ", ".join(str(m) for m in marks)

    def sentence(self):
        missing = _("Ingen källa i registret anger andelen.") if self.unsupported else ""
        if self.size and self.place:
            said = _(
                "Andelen, och att den gäller den här tjänsten, är registrets tolkning av källan."
            )
        elif self.size:
            said = _("Det är registrets tolkning av källan.")
        elif self.place:
            said = _("Att andelen gäller den här tjänsten är registrets tolkning av källan.")
        else:
            said = ""
        return " ".join(str(part) for part in (missing, said) if part)


def _marked(words, reading):
    mark = reading.mark()
    return f"{words} ({mark})" if mark else words


@dataclass
class Financing:
    """One current commitment, as the diagram and its text equivalent say it."""

    financer: str
    fte: Decimal | None
    reading: Reading = Reading()

    @property
    def share(self):
        if self.fte is None:
            return _("okänd andel")
        return _marked(format_fte_posts(self.fte), self.reading)


@dataclass
class PostDiagram(Picture):
    """The financers of one post, each an arrow into the municipality that employs it."""

    post: str = ""
    employer: str = ""
    sentences: list[str] = field(default_factory=list)

    @property
    def title(self):
        return _("Vem finansierar ”%(post)s”") % {"post": self.post}


NAME, SMALL = 15, 13  # font sizes
PAD_X, PAD_Y = 10, 7
NAME_WRAP = 150
ROW_GAP = 8


def financing_diagrams(cooperation, current_commitments):
    """One diagram per post that is financed now, in the order of the commitments (the
    history's): posts of several employers are never merged, and the municipality that
    employs a post is its own, not the host's."""
    posts = {}
    for commitment in current_commitments:
        posts.setdefault(commitment.post, []).append(commitment)
    return [_post_diagram(cooperation, post, rows) for post, rows in posts.items()]


def _post_diagram(cooperation, post, commitments):
    """Financers in a column, each box naming its share (a share beside its arrow would need
    the width a phone lacks), their arrows joined into one that points at the employer."""
    employer = post.employer
    rows = [Financing(c.financer.name, c.fte, Reading.of(c)) for c in commitments]
    diagram = PostDiagram(post=post.name, employer=employer.name)
    diagram.sentences = [_financing_sentence(row, employer.name) for row in rows]
    diagram.sentences.append(_own_share_sentence(employer.name, post.employer_share))

    contents = [
        [
            Text(0, 0, wrap(row.financer, NAME, NAME_WRAP, bold=True), NAME, bold=True),
            Text(0, 0, [row.share], SMALL),
        ]
        for row in rows
    ]
    box_w = round(max(t.width for texts in contents for t in texts) + 2 * PAD_X)
    trunk_x = MARGIN + box_w + 24
    y, first = MARGIN, None
    for texts in contents:
        box = _boxed(texts, MARGIN, y, box_w)
        middle = round(box.y + box.height / 2)
        first = first or middle
        diagram.rects.append(box)
        diagram.texts += texts
        diagram.lines.append(f"M{_n(box.x + box.width)},{middle} H{trunk_x}")
        y = box.y + box.height + ROW_GAP

    if cooperation.host_id != employer.pk:
        role = _("arbetsgivare")
    else:
        # Marked as the shares are: "värdkommun" is the registry's word for what the source
        # describes (Hallsberg "förbundit sig att sköta upphandlingarna" for the others).
        role = {
            INTERPRETED: _("arbetsgivare, värdkommun (tolkning)"),
            MISSING: _("arbetsgivare, värdkommun (källa saknas)"),
        }.get(provenance(cooperation, "has_host").status, _("arbetsgivare, värdkommun"))
    own = (
        _("egen andel: okänd")
        if post.employer_share is None
        else _("egen andel: %(fte)s") % {"fte": format_fte(post.employer_share)}
    )
    texts = [
        Text(0, 0, wrap(employer.name, NAME, NAME_WRAP + 60, bold=True), NAME, bold=True),
        Text(0, 0, [role], SMALL),
        Text(0, 0, [own], SMALL),
    ]
    width = round(max(t.width for t in texts) + 2 * PAD_X)
    # Below the trunk, its middle under it where the phone's width leaves room.
    x = max(MARGIN, min(trunk_x - width / 2, PHONE_WIDTH - MARGIN - width))
    top = y - ROW_GAP + 26
    diagram.rects.append(_boxed(texts, round(x), top, width, centred=True, dark=True))
    diagram.texts += texts
    diagram.lines.append(f"M{trunk_x},{first} V{_n(top - 9)}")
    diagram.heads.append(
        f"M{trunk_x - 6},{_n(top - 10)} L{trunk_x + 6},{_n(top - 10)} L{trunk_x},{_n(top)} z"
    )
    return diagram.fit()


def _boxed(texts, x, top, width, centred=False, dark=False):
    """Place `texts` one below the other inside a box; the box, sized to hold them."""
    y = top + PAD_Y
    for text in texts:
        text.x = x + width / 2 if centred else x + PAD_X
        text.anchor = "middle" if centred else "start"
        text.light = dark
        text.top = y
        y = text.bottom + 2
    return Rect(x, top, width, y - 2 + PAD_Y - top, dark=dark)


def _financing_sentence(row, employer):
    if row.fte is None:
        return _(
            "%(financer)s finansierar en andel som källan inte anger av en tjänst hos %(employer)s."
        ) % {"financer": row.financer, "employer": employer}
    sentence = _("%(financer)s finansierar %(posts)s hos %(employer)s.") % {
        "financer": row.financer,
        "posts": format_fte_posts(row.fte),
        "employer": employer,
    }
    if row.reading.sentence():
        sentence += " " + row.reading.sentence()
    return sentence


def _own_share_sentence(employer, share):
    if share is None:
        return _("Hur mycket %(employer)s själv betalar är okänt.") % {"employer": employer}
    return _("%(employer)s betalar själv %(posts)s.") % {
        "employer": employer,
        "posts": format_fte_posts(share),
    }


# --- each financer's shares over time --------------------------------------------------------


@dataclass
class FteChart(Picture):
    sentences: list[str] = field(default_factory=list)


@dataclass
class Share:
    """One commitment in the chart: its bar, and its words for the label and the text."""

    fte: Decimal | None
    state: str
    current: bool
    employer: str
    reading: Reading = Reading()

    def words(self, with_employer):
        value = format_fte(self.fte) if self.fte is not None else _("okänd andel")
        if with_employer:
            value = _("%(fte)s hos %(employer)s") % {"fte": value, "employer": self.employer}
        return value

    def marks(self):
        marks = [str(self.state)]
        if self.fte is not None and self.reading.mark():
            marks.append(self.reading.mark())
        return marks

    def label(self, with_employer):
        """Beside its bar, where the colour alone must not carry the state."""
        return " · ".join([self.words(with_employer), *self.marks()])

    def said(self, with_employer):
        """In the text equivalent."""
        return f"{self.words(with_employer)} ({', '.join(self.marks())})"


PLOT_X = MARGIN + 12
PLOT_W = 200  # one full-time post
BAR_H = 16
TICK, GROUP_NAME, VALUE = 12, 14, 13


def fte_chart(history):
    """Each financer's shares, a bar each, a replaced share directly above its replacement.

    Bars are horizontal so that any number of financers grow the chart downwards. Only
    commitments that supersede each other are joined ("→"): a financer paying for two posts
    at once has two shares, not a change from one to the other.
    """
    if not history:
        return None
    with_employer = len({c.post.employer_id for c in history}) > 1
    chart = FteChart()
    ticks = [(Decimal(share), PLOT_X + round(PLOT_W * share)) for share in (0, 0.5, 1)]
    for share, x in ticks:
        chart.texts.append(Text(x, MARGIN, [format_fte(share)], TICK, anchor="middle"))
    y = MARGIN + TICK * (ASCENT + DESCENT) + 6
    for financer, chains in _chains(history).items():
        lines = wrap(financer, GROUP_NAME, PHONE_WIDTH - 2 * MARGIN, bold=True)
        name = Text(MARGIN, y, lines, GROUP_NAME, bold=True)
        chart.texts.append(name)
        y = name.bottom + 4
        first_bar = y
        said = []
        for chain in chains:
            said.append(" → ".join(share.said(with_employer) for share in chain))
            for share in chain:
                bar_w = round(PLOT_W * float(share.fte)) if share.fte is not None else 0
                if bar_w:
                    chart.rects.append(Rect(PLOT_X, y, bar_w, BAR_H, dark=share.current))
                label_x = PLOT_X + bar_w + 6
                lines = wrap(share.label(with_employer), VALUE, PHONE_WIDTH - label_x)
                label = Text(label_x, y + BAR_H / 2 - VALUE * (ASCENT + DESCENT) / 2, lines, VALUE)
                chart.texts.append(label)
                y = max(y + BAR_H, label.bottom) + 6
        for _share, x in ticks:
            chart.lines.append(f"M{x},{_n(first_bar - 3)} V{_n(y - 3)}")
        chart.sentences.append(
            _("%(financer)s: %(shares)s.") % {"financer": financer, "shares": "; ".join(said)}
        )
        y += 6
    return chart.fit()


def _chains(history):
    """Per financer, in the order they first appear, the chains of commitments that replaced
    one another, each oldest first."""
    successor = {c.supersedes_id: c for c in history if c.supersedes_id is not None}
    in_history = {c.pk for c in history}
    chains = {}
    for commitment in history:
        if commitment.supersedes_id in in_history:
            continue  # drawn after the share it replaced
        chain, link = [], commitment
        while link is not None:
            chain.append(
                Share(
                    link.fte,
                    state_text(link),
                    link.is_current,
                    link.post.employer.name,
                    Reading.of(link),
                )
            )
            link = successor.get(link.pk)
        chains.setdefault(commitment.financer.name, []).append(chain)
    return chains
