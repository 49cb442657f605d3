"""Geometry for the notes' charts, drawn as inline SVG: one small line chart per series.

Two scales use it: MOHOST (a chart per section) and task cue levels (a chart per skill). One
``Scale`` says what the vertical axis runs over; ``line_chart`` places the points.

For MOHOST, each point is a section's average item score at one signed note (F = 4 ... R = 1),
so a note that rated only some of a section's items can still sit on the same scale; the table
under the charts gives the totals and how many items each covers. Templates draw the SVG from these
numbers (presentation attributes and classes only: the CSP allows no inline styles).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from app.core import clock
from app.notes import cues, mohost
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


@dataclass(frozen=True)
class Scale:
    """The vertical axis: ``low`` at the bottom, ``high`` at the top, and its tick labels."""

    low: float
    high: float
    ticks: tuple[tuple[str, float], ...]


# Rating letters on the vertical axis, top (best) to bottom.
LEVELS = [(letter, mohost.score(letter)) for letter in mohost.RATINGS]
MOHOST_SCALE = Scale(1, mohost.MAX_ITEM_SCORE, tuple(LEVELS))
# Cue levels 5 (done for the client) at the top down to 0 (no cues): lower is more independent.
CUE_SCALE = Scale(0, 5, tuple((str(level), level) for level in reversed(cues.LEVELS)))


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
class Chart:
    id: str
    title: str
    svg_title: str
    points: list[Point]
    path: str
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]
    description: str
    section: mohost.Section | None = None
    # Said under the chart's title, e.g. which way is better on this scale.
    note: str = ""


SectionChart = Chart


@lru_cache(maxsize=512)
def _short_date(value) -> str:
    local = clock.to_london(value)
    return f"{local.day} {local:%b %y}"


def y_for(value: float, scale: Scale = MOHOST_SCALE) -> float:
    top, bottom = scale.high, scale.low
    return round(TOP + (top - value) / (top - bottom) * PLOT_HEIGHT, 1)


def x_positions(times: Sequence[datetime]) -> list[float]:
    """Each time's place on the shared horizontal axis, first at the left, last at the right."""
    if not times:
        return []
    first, last = times[0].timestamp(), times[-1].timestamp()
    if len(times) == 1 or last == first:
        return [LEFT + PLOT_WIDTH / 2] * len(times)
    return [round(LEFT + (t.timestamp() - first) / (last - first) * PLOT_WIDTH, 1) for t in times]


def _x_positions(history: list[RatingPoint]) -> list[float]:
    return x_positions([p.at for p in history])


@dataclass(frozen=True)
class Value:
    """One value to plot: where on the shared time axis, the value, its words, and whether
    it covers only part of what it could (drawn hollow)."""

    x: float
    at: datetime
    value: float
    text: str
    partial: bool = False


def line_chart(
    chart_id: str, title: str, svg_title: str, values: list[Value], scale: Scale, describe
) -> Chart:
    """One chart: a point per value, joined by a line, with the scale's ticks as gridlines."""
    points = [
        Point(v.x, y_for(v.value, scale), _short_date(v.at), v.text, v.partial) for v in values
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x} {p.y}" for i, p in enumerate(points))
    return Chart(
        id=chart_id,
        title=title,
        svg_title=svg_title,
        points=points,
        path=path,
        x_labels=_x_labels(points),
        y_labels=[Label(LEFT - 8, y_for(v, scale) + 4, text, "end") for text, v in scale.ticks],
        gridlines=[y_for(v, scale) for _, v in scale.ticks],
        description=describe(points),
    )


def section_charts(history: list[RatingPoint]) -> list[SectionChart]:
    """A chart per section, with a point for each note that rated any of its items."""
    xs = _x_positions(history)
    charts = []
    for section in mohost.SECTIONS:
        values = []
        for x, point in zip(xs, history, strict=True):
            total = next(t.total for t in point.sections if t.section.key == section.key)
            if total.rated:
                values.append(Value(x, point.at, total.average, total.text, not total.complete))
        chart = line_chart(
            f"mohost-chart-{section.key}",
            section.title,
            f"{section.title}: average item rating over time",
            values,
            MOHOST_SCALE,
            lambda points, section=section: _describe(section.title, points),
        )
        charts.append(_with_section(chart, section))
    return charts


def _with_section(chart: Chart, section: mohost.Section) -> Chart:
    return replace(chart, section=section)


def cue_charts(history, skills: Sequence[cues.Skill]) -> list[Chart]:
    """A chart of cue level over time per skill (overall first), with a point for each signed
    session that rated it. ``history`` is cue_progress.CuePoint, oldest first."""
    xs = x_positions([p.at for p in history])
    charts = []
    for skill in skills:
        name = cues.full_name(skill)
        values = [
            Value(x, p.at, p.levels[skill.key], f"level {p.levels[skill.key]}")
            for x, p in zip(xs, history, strict=True)
            if skill.key in p.levels
        ]
        chart = line_chart(
            f"cue-chart-{skill.key}",
            name,
            f"{name}: cue level over time, 0 to 5, lower is more independent",
            values,
            CUE_SCALE,
            lambda points, name=name: _describe(name, points),
        )
        charts.append(replace(chart, note="Cue level 0 to 5: lower is more independent"))
    return charts


def _x_labels(points: list[Point]) -> list[Label]:
    baseline = HEIGHT - 8
    if not points:
        return []
    if len({p.when for p in points}) == 1:
        # Points share the time axis of every chart, so one can sit at either edge: anchor its
        # date inwards there, or it is cut off.
        x = points[0].x
        anchor = (
            "start"
            if x < LEFT + PLOT_WIDTH / 4
            else "end"
            if x > LEFT + PLOT_WIDTH * 3 / 4
            else "middle"
        )
        return [Label(x, baseline, points[0].when, anchor)]
    first, last = points[0], points[-1]
    return [
        Label(first.x, baseline, first.when, "start"),
        Label(last.x, baseline, last.when, "end"),
    ]


def _describe(title: str, points: list[Point]) -> str:
    if not points:
        return f"{title}: not rated yet."
    if len(points) == 1:
        return f"{title}: one rating, {points[0].when}: {points[0].text}."
    return (
        f"{title}: {len(points)} ratings from {points[0].when} to {points[-1].when}. "
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
