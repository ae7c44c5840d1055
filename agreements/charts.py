"""Geometry for the server-rendered SVG pictures; templates only draw what this computes."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .formats import format_fte, format_fte_posts


@dataclass
class Box:
    x: int
    y: int
    width: int
    height: int
    label: str
    sublabel: str = ""

    @property
    def cx(self):
        return self.x + self.width // 2

    @property
    def cy(self):
        return self.y + self.height // 2


@dataclass
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str

    @property
    def label_anchor(self):
        # Labels sit on the outer side of converging arrows so that neighbours never overlap.
        return "end" if self.x1 < self.x2 else "start"

    @property
    def label_x(self):
        middle = (self.x1 + self.x2) // 2
        return middle - 8 if self.label_anchor == "end" else middle + 8

    @property
    def label_y(self):
        return (self.y1 + self.y2) // 2 + 5


@dataclass
class FinancingDiagram:
    width: int
    height: int
    financers: list[Box] = field(default_factory=list)
    host: Box | None = None
    arrows: list[Arrow] = field(default_factory=list)


def financing_diagram(cooperation, current_commitments):
    """Who finances what share of which post: financers above, the employer below.

    Vertical, so that two or three financers fit a phone's width without shrinking the text.
    """
    if not current_commitments:
        return None
    col, box_w, box_h, margin, drop = 170, 150, 50, 10, 110
    width = max(len(current_commitments) * col, col) + 2 * margin
    employer = current_commitments[0].post.employer
    host_sub = _("värdkommun") if cooperation.host_id == employer.pk else _("arbetsgivare")
    host_y = margin + box_h + drop
    host = Box(width // 2 - box_w // 2, host_y, box_w, box_h, employer.name, host_sub)
    diagram = FinancingDiagram(width=width, height=host.y + box_h + margin, host=host)
    for i, commitment in enumerate(current_commitments):
        box = Box(
            margin + i * col + (col - box_w) // 2,
            margin,
            box_w,
            box_h,
            commitment.financer.name,
            _("finansierar"),
        )
        diagram.financers.append(box)
        diagram.arrows.append(
            Arrow(
                box.cx,
                box.y + box.height,
                host.cx + (box.cx - host.cx) // 4,
                host.y - 4,
                format_fte_posts(commitment.fte)
                if commitment.fte is not None
                else _("okänd andel"),
            )
        )
    return diagram


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: str
    current: bool


@dataclass
class BarGroup:
    label: str
    label_x: int
    bars: list[Bar]


@dataclass
class FteChart:
    width: int
    height: int
    baseline: int
    top: int
    groups: list[BarGroup]
    gridlines: list[tuple[int, str]]


def fte_chart(history):
    """Each financer's shares in the order they replaced each other (dates are often unknown)."""
    if not history:
        return None
    chains: dict[str, list] = {}
    for commitment in history:
        chains.setdefault(commitment.financer.name, []).append(commitment)
    bar_w, bar_gap, group_gap, left = 44, 10, 40, 50
    top, plot_h = 20, 160
    baseline = top + plot_h
    groups, x = [], left
    for name, chain in chains.items():
        bars, start = [], x
        for commitment in chain:
            # An unknown share has no height to draw; its label says so.
            h = int(plot_h * float(commitment.fte or 0))
            label = format_fte(commitment.fte) if commitment.fte is not None else "?"
            bars.append(Bar(x, baseline - h, bar_w, h, label, commitment.is_current))
            x += bar_w + bar_gap
        groups.append(BarGroup(name, (start + x - bar_gap) // 2, bars))
        x += group_gap
    gridlines = [
        (baseline - int(plot_h * share), format_fte(Decimal(str(share)))) for share in (0, 0.5, 1)
    ]
    return FteChart(
        width=max(x, 320),
        height=baseline + 50,
        baseline=baseline,
        top=top,
        groups=groups,
        gridlines=gridlines,
    )
