"""Chart geometry for the inline SVG templates: pure arithmetic, no drawing library.

The templates (templates/bar_chart.svg.j2, line_chart.svg.j2) only place what is computed here.
The view box is narrow (400 units) so that text keeps a readable size on a phone, where the SVG
scales down the least.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 400.0, 210.0
LEFT, RIGHT, TOP, BOTTOM = 40.0, 8.0, 12.0, 26.0


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    baseline: float
    bars: tuple[Bar, ...]
    overlay: tuple[Bar, ...]  # drawn over the bars from the same baseline (a subset)
    gaps: tuple[Bar, ...]  # days never collected: a thin grey mark on the baseline
    y_ticks: tuple[Label, ...]
    x_labels: tuple[Label, ...]
    legend: tuple[str, ...]


@dataclass(frozen=True)
class LineChart:
    chart_id: str
    title: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    baseline: float
    points: str  # "x,y x,y ..." for a polyline
    dots: tuple[Label, ...]  # each point with its value, for hover titles
    y_ticks: tuple[Label, ...]
    x_labels: tuple[Label, ...]


def nice_max(value: float, steps: int = 4) -> tuple[float, float]:
    """A round axis top >= ``value`` and its tick step (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return float(steps), 1.0
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if step >= raw:
            break
    if step < 1:
        step = 1.0
    return step * math.ceil(value / step), step


def _fmt_tick(v: float) -> str:
    return f"{v:,.0f}" if v >= 1 or v == 0 else f"{v:g}"


def _x_labels(days: Sequence[dt.date], x_of: list[float], baseline: float) -> tuple[Label, ...]:
    if not days:
        return ()
    every = max(1, math.ceil(len(days) / 5))
    return tuple(
        Label(x_of[i], baseline + 14, f"{d.day} {d:%b}")
        for i, d in enumerate(days)
        if i % every == 0
    )


def bar_chart(
    chart_id: str,
    title: str,
    days: Sequence[dt.date],
    values: Sequence[int | None],
    *,
    overlay: Sequence[int | None] | None = None,
    unit: str,
    overlay_unit: str = "",
) -> BarChart:
    """One bar per day; ``None`` is a day never collected (a gap, not a zero bar)."""
    top = max([v for v in values if v is not None] + [0])
    axis_top, step = nice_max(float(top))
    plot_w = WIDTH - LEFT - RIGHT
    baseline = HEIGHT - BOTTOM
    plot_h = baseline - TOP
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.72, 0.5)
    centres = [LEFT + slot * i + slot / 2 for i in range(len(days))]

    def bar(i: int, v: int, label: str) -> Bar:
        h = plot_h * v / axis_top if axis_top else 0.0
        return Bar(
            round(centres[i] - bar_w / 2, 2),
            round(baseline - h, 2),
            round(bar_w, 2),
            round(h, 2),
            v,
            f"{days[i].isoformat()}: {v:,} {label}",
        )

    bars: list[Bar] = []
    gaps: list[Bar] = []
    over: list[Bar] = []
    for i, v in enumerate(values):
        if v is None:
            gaps.append(
                Bar(
                    round(centres[i] - bar_w / 2, 2),
                    baseline - 2,
                    round(bar_w, 2),
                    2,
                    0,
                    f"{days[i].isoformat()}: not collected",
                )
            )
            continue
        bars.append(bar(i, v, unit))
        if overlay is not None and overlay[i]:
            over.append(bar(i, int(overlay[i] or 0), overlay_unit))
    ticks = []
    n = round(axis_top / step)
    for k in range(n + 1):
        tick = step * k
        ticks.append(
            Label(LEFT - 6, round(baseline - plot_h * tick / axis_top, 2), _fmt_tick(tick))
        )
    return BarChart(
        chart_id=chart_id,
        title=title,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        bars=tuple(bars),
        overlay=tuple(over),
        gaps=tuple(gaps),
        y_ticks=tuple(ticks),
        x_labels=_x_labels(days, centres, baseline),
        legend=(unit, overlay_unit) if overlay is not None else (unit,),
    )


def line_chart(
    chart_id: str, title: str, days: Sequence[dt.date], values: Sequence[float | None]
) -> LineChart | None:
    """A percentage (0-100) over days, on the bar charts' frame; days with no value are skipped."""
    known = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
    if len(known) < 2:
        return None
    baseline, plot_h = HEIGHT - BOTTOM, HEIGHT - BOTTOM - TOP
    lowest = min(v for _, v in known)
    step = 5.0 if lowest >= 80 else 10.0 if lowest >= 50 else 25.0
    lo, hi = max(0.0, math.floor(lowest / step) * step - step), 100.0
    slot = (WIDTH - LEFT - RIGHT) / len(days)
    centre = {d: LEFT + slot * i + slot / 2 for i, d in enumerate(days)}

    def y_of(v: float) -> float:
        return round(baseline - plot_h * (v - lo) / (hi - lo), 2)

    pts = [(round(centre[d], 2), y_of(v)) for d, v in known]
    n = round((hi - lo) / step)
    return LineChart(
        chart_id=chart_id,
        title=title,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        points=" ".join(f"{x},{y}" for x, y in pts),
        dots=tuple(
            Label(x, y, f"{d.isoformat()}: {v:.1f}%")
            for (x, y), (d, v) in zip(pts, known, strict=True)
        ),
        y_ticks=tuple(
            Label(LEFT - 6, y_of(lo + step * k), f"{lo + step * k:.0f}%") for k in range(n + 1)
        ),
        x_labels=_x_labels(days, [centre[d] for d in days], baseline),
    )
