"""Geometry for the MOHOST charts: one small chart per section, drawn as inline SVG.

Each point is a section's average item score at one signed note (F = 4 ... R = 1), so a note
that rated only some of a section's items can still sit on the same scale; the table under the
charts gives the totals and how many items each covers. Templates draw the SVG from these
numbers (presentation attributes and classes only: the CSP allows no inline styles).
"""

from dataclasses import dataclass

from app.core import clock
from app.notes import mohost
from app.notes.services import RatingPoint

WIDTH = 320
HEIGHT = 132
LEFT = 34
RIGHT = 14
TOP = 12
BOTTOM = 28
SIZE = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": RIGHT}
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
# Rating letters on the vertical axis, top (best) to bottom.
LEVELS = [(letter, mohost.score(letter)) for letter in mohost.RATINGS]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    when: str
    text: str
    partial: bool


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class SectionChart:
    section: mohost.Section
    points: list[Point]
    path: str
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]
    description: str

    @property
    def id(self) -> str:
        return f"mohost-chart-{self.section.key}"


def _short_date(value) -> str:
    local = clock.to_london(value)
    return f"{local.day} {local:%b %y}"


def y_for(average: float) -> float:
    top, bottom = mohost.MAX_ITEM_SCORE, 1
    return round(TOP + (top - average) / (top - bottom) * PLOT_HEIGHT, 1)


def _x_positions(history: list[RatingPoint]) -> list[float]:
    if not history:
        return []
    first, last = history[0].at.timestamp(), history[-1].at.timestamp()
    if len(history) == 1 or last == first:
        return [LEFT + PLOT_WIDTH / 2] * len(history)
    return [
        round(LEFT + (p.at.timestamp() - first) / (last - first) * PLOT_WIDTH, 1) for p in history
    ]


def section_charts(history: list[RatingPoint]) -> list[SectionChart]:
    """A chart per section, with a point for each note that rated any of its items."""
    xs = _x_positions(history)
    y_labels = [Label(LEFT - 8, y_for(value) + 4, letter, "end") for letter, value in LEVELS]
    gridlines = [y_for(value) for _, value in LEVELS]
    charts = []
    for section in mohost.SECTIONS:
        points = []
        for x, point in zip(xs, history, strict=True):
            total = next(t.total for t in point.sections if t.section.key == section.key)
            if not total.rated:
                continue
            points.append(
                Point(
                    x, y_for(total.average), _short_date(point.at), total.text, not total.complete
                )
            )
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x} {p.y}" for i, p in enumerate(points))
        charts.append(
            SectionChart(
                section=section,
                points=points,
                path=path,
                x_labels=_x_labels(points),
                y_labels=y_labels,
                gridlines=gridlines,
                description=_describe(section, points),
            )
        )
    return charts


def _x_labels(points: list[Point]) -> list[Label]:
    baseline = HEIGHT - 8
    if not points:
        return []
    if len({p.when for p in points}) == 1:
        return [Label(points[0].x, baseline, points[0].when)]
    first, last = points[0], points[-1]
    return [
        Label(first.x, baseline, first.when, "start"),
        Label(last.x, baseline, last.when, "end"),
    ]


def _describe(section: mohost.Section, points: list[Point]) -> str:
    if not points:
        return f"{section.title}: not rated yet."
    if len(points) == 1:
        return f"{section.title}: one rating, {points[0].when}: {points[0].text}."
    return (
        f"{section.title}: {len(points)} ratings from {points[0].when} to {points[-1].when}. "
        f"First {points[0].text}; latest {points[-1].text}."
    )


# --- a numeric series (the reports' statistics) ---------------------------------------------
# The same size, points, labels and path as the MOHOST charts; only the vertical axis differs
# (counts from 0 instead of rating letters). Drawn by templates/reports/_series_chart.html.


@dataclass(frozen=True)
class SeriesChart:
    id: str
    title: str
    points: list[Point]
    path: str
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]
    description: str


def _nice_top(value: float) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``value``."""
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def series_chart(key: str, title: str, labels: list[str], values: list[float], unit: str):
    """A line chart of ``values`` (one per label, left to right) on a 0-based axis."""
    top = _nice_top(max(values, default=0))
    n = len(values)
    xs = [
        round(LEFT + (PLOT_WIDTH / 2 if n == 1 else i / (n - 1) * PLOT_WIDTH), 1) for i in range(n)
    ]

    def y(value: float) -> float:
        return round(TOP + (top - value) / top * PLOT_HEIGHT, 1)

    points = [
        Point(x, y(v), label, f"{label}: {v:g} {unit}", False)
        for x, label, v in zip(xs, labels, values, strict=True)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x} {p.y}" for i, p in enumerate(points))
    ticks = [0, top / 2, top]
    peak = max(points, key=lambda p: float(p.text.rsplit(": ", 1)[1].split()[0]), default=None)
    description = (
        f"{title}: {n} periods from {labels[0]} to {labels[-1]}; highest {peak.text}."
        if points
        else f"{title}: no periods."
    )
    return SeriesChart(
        id=f"stats-chart-{key}",
        title=title,
        points=points,
        path=path,
        x_labels=_x_labels(points),
        y_labels=[Label(LEFT - 8, y(t) + 4, f"{t:g}", "end") for t in ticks],
        gridlines=[y(t) for t in ticks],
        description=description,
    )
