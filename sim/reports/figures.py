"""The house style every chart shares: one figure size and DPI, a palette, axes that carry one unit and nice ticks.

``new_figure`` gives an empty figure on the Agg canvas — no pyplot and no global state, so figures
can be built in any thread or worker; ``save_figure`` writes one as PNG and SVG, ``png_bytes`` gives
the PNG for embedding. ``time_axis`` shows minutes in the one unit the largest value reads best in,
``share_axis`` shows shares as percentages, both on round steps; ``step_values`` and
``step_integral`` read the time-weighted levels the plots draw. It is apart from the run's plots
because every plot module (runs, comparisons, sweeps, fits, rosters, back-tests, the what-if app)
draws with it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, LogLocator, MaxNLocator, NullLocator, PercentFormatter

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, SECONDS_PER_MINUTE, duration_unit
from sim.reports.display import PERCENT_UNITS

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
"""Colours of teams, channels and scenarios, in order."""

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DPI = 110


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of ``width`` x ``height`` inches on the Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, stem: str | Path, dpi: float = DPI) -> bytes:
    """Write ``stem.png`` (at ``dpi``) and ``stem.svg``; return the PNG's bytes."""
    png = png_bytes(fig, dpi)
    Path(f"{stem}.png").write_bytes(png)
    layout = fig.get_layout_engine()
    fig.set_layout_engine("none")  # keep the layout the PNG computed rather than compute it again
    fig.savefig(f"{stem}.svg", format="svg")
    fig.set_layout_engine(layout)
    return png


def png_bytes(fig: Figure, dpi: float = DPI) -> bytes:
    """The figure as PNG bytes (``dpi`` above the default gives sharper pictures on large screens)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def time_scale(horizon: float) -> tuple[float, str]:
    """Minutes per axis unit and the axis label: days for long runs, hours for short ones."""
    if horizon >= 2 * MINUTES_PER_DAY:
        return MINUTES_PER_DAY, "days since start"
    return MINUTES_PER_HOUR, "hours since start"


TIME_UNITS = {
    "s": (1 / SECONDS_PER_MINUTE, "seconds"),
    "m": (1.0, "minutes"),
    "h": (MINUTES_PER_HOUR, "hours"),
    "d": (MINUTES_PER_DAY, "days"),
}
"""Minutes per axis unit, and the unit's name in an axis label, per ``duration_unit`` symbol."""
NICE_STEPS = [1, 2, 2.5, 5, 10]
SHARE_UNITS = PERCENT_UNITS
"""KPI units of shares (fractions of 1), shown as percentages."""
MIN_SHARE_SPAN = 0.05
"""A share axis spans at least 5 percentage points, so that noise of a tenth of a point looks like noise."""


class ScaledLocator(Locator):
    """The ticks ``base`` would place on the axis in another unit (``scale`` data units per unit)."""

    def __init__(self, base: Locator, scale: float) -> None:
        self.base = base
        self.scale = scale

    def __call__(self) -> Sequence[float]:
        """The ticks for the axis's current view."""
        assert self.axis is not None
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        """The ticks between ``vmin`` and ``vmax`` (data units)."""
        return list(np.asarray(self.base.tick_values(vmin / self.scale, vmax / self.scale)) * self.scale)


def plain_number(value: float) -> str:
    """A tick value without trailing zeros or float noise: 0.3, 12, 2.5, 1,200."""
    if abs(value) < 1e-12:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return np.format_float_positional(float(f"{value:.4g}"), trim="-")


def time_axis(ax: Axes, axis: str = "x", label: str = "", largest: float | None = None) -> str:
    """Show an axis of minutes in one unit, the one its largest value reads best in; return the unit.

    The unit is ``duration_unit`` of ``largest`` (default: the larger end of the axis as drawn); it
    goes into the axis label ("wait (minutes)"), and the ticks are plain numbers on round steps of
    it (MaxNLocator with nice steps; 1-2-5 steps on a log axis). Call it once the data are drawn.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    unit = duration_unit(largest if largest is not None else max(abs(low), abs(high)))
    scale, name = TIME_UNITS[unit]
    log = (ax.get_xscale() if axis == "x" else ax.get_yscale()) == "log"
    base = LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12) if log else MaxNLocator(6, steps=NICE_STEPS)
    target.set_major_locator(ScaledLocator(base, scale))
    target.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value / scale)))
    if log:
        target.set_minor_locator(NullLocator())
    target.set_label_text(f"{label} ({name})" if label else name)
    return unit


def share_axis(ax: Axes, axis: str = "y", min_span: float = MIN_SHARE_SPAN) -> None:
    """Show an axis of shares (0..1) as percentages, at least ``min_span`` wide, inside [0, 1] where the data are.

    A spread of a tenth of a point is not drawn across the whole panel: the axis widens around
    its middle to ``min_span`` (5 percentage points by default), kept within [0, 100 %].
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if high - low < min_span:
        middle = (low + high) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
        if low < 0 <= (low + high) / 2:
            low, high = 0.0, min_span
        if high > 1 >= (low + high) / 2:
            low, high = 1 - min_span, 1.0
        (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high)
    target.set_major_locator(MaxNLocator(6, steps=NICE_STEPS))
    target.set_major_formatter(PercentFormatter(1.0, decimals=share_decimals(high - low)))


def share_decimals(span: float) -> int:
    """Decimals of percentage ticks over a span of shares: none down to 4 points, then one, then two."""
    return 0 if span >= 0.04 else 1 if span >= 0.004 else 2


def share_text(value: float, decimals: int = 0) -> str:
    """A share as a percentage, with enough decimals (up to 2) not to show 100 % or 0 % when it is not."""
    if value != value:
        return ""
    for places in range(decimals, 3):
        shown = round(100 * value, places)
        if (shown < 100 or value >= 1) and (shown > 0 or value <= 0):
            break
    return f"{100 * value:.{places}f}%"


def integer_axis(ax: Axes, axis: str = "x") -> None:
    """Ticks on whole numbers only (head counts, a number of agents)."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True, steps=NICE_STEPS))


def step_values(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A step series (value holds from its time on, 0 before the first) evaluated at ``at``."""
    index = np.searchsorted(times, at, side="right") - 1
    return np.where(index >= 0, values[np.maximum(index, 0)], 0.0)


def step_integral(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The integral of a step series from time 0 up to each point of ``at``."""
    if len(times) == 0:
        return np.zeros(len(at))
    cumulative = np.concatenate([[0.0], np.cumsum(values[:-1] * np.diff(times))])
    index = np.searchsorted(times, at, side="right") - 1
    safe = np.maximum(index, 0)
    return np.where(index >= 0, cumulative[safe] + values[safe] * (at - times[safe]), 0.0)
