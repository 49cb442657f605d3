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
