"""A line chart drawn on the server as SVG geometry, for the statistics page: no charting
library, no build step, nothing fetched from elsewhere. The template draws the SVG from
these numbers (and a table of the same data for anyone who cannot see the chart).

Days without a change keep the last total, so the line is drawn over calendar days, not
just over the days that have rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 480  # small enough that its text stays readable when a phone shrinks it
HEIGHT = 220
LEFT = 48  # room for the value labels
RIGHT = 16
TOP = 16
BOTTOM = 32  # room for the date labels
MAX_DAYS = 366  # the chart shows at most the last year
DOTS_UP_TO = 31  # days marked with a dot (a single day is otherwise invisible)


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: str  # the polyline's "x,y x,y ..."
    dots: list[Tick]  # a dot per day when there are few
    area: str  # the same line closed down to the axis, for a light fill
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    first: date
    last: date
    low: int
    high: int
    baseline: float


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k at least `value` (at least 1), so the axis reads well."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return max(1, m * step)
        step *= 10


def _daily(series: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """Every calendar day from the first to the last, carrying the last total forward."""
    by_day = dict(series)
    first, last = series[0][0], series[-1][0]
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    total = 0
    for day, value in series:
        if day < first:
            total = value
    days = []
    day = first
    while day <= last:
        total = by_day.get(day, total)
        days.append((day, total))
        day += timedelta(days=1)
    return days


def line_chart(series: list[tuple[date, int]]) -> LineChart | None:
    """The geometry of a line over (day, value) pairs in day order; None with no data."""
    if not series:
        return None
    days = _daily(series)
    high = _nice_max(max(v for _, v in days))
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM
    baseline = TOP + span_y

    def x(i: int) -> float:
        return LEFT + (span_x * i / (len(days) - 1) if len(days) > 1 else span_x / 2)

    def y(value: int) -> float:
        return round(baseline - span_y * value / high, 1)

    coords = [(round(x(i), 1), y(v)) for i, (_, v) in enumerate(days)]
    points = " ".join(f"{a},{b}" for a, b in coords)
    area = f"{coords[0][0]},{baseline} {points} {coords[-1][0]},{baseline}"
    picks = sorted({0, len(days) // 2, len(days) - 1})
    x_ticks = [Tick(coords[i][0], baseline, days[i][0].isoformat()) for i in picks]
    y_ticks = [Tick(LEFT, y(v), str(v)) for v in sorted({0, high // 2, high})]
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        dots=[Tick(a, b, "") for a, b in coords] if len(coords) <= DOTS_UP_TO else [],
        area=area,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        first=days[0][0],
        last=days[-1][0],
        low=min(v for _, v in days),
        high=max(v for _, v in days),
        baseline=baseline,
    )
