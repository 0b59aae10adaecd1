"""The what-if page's widgets: one control per knob, the KPI cards and the page's styles.

Each function lays out one piece with NiceGUI and reports what the trainer moved through the
``moved`` callback; ``page`` arranges them and decides what a move sets off.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from nicegui import events, ui

from sim.app.cards import Card
from sim.app.knobs import NO_SURGE, TRIGGER_TEXT, Knob


def control(knob: Knob, value: object, moved: Callable[[Knob, object], None]) -> None:
    """The widget for one knob, tagged with its field path (``data-path``) for tests and tooltips."""
    tag = f'data-path="{knob.path}"'
    with ui.column().classes("w-full gap-0 knob"):
        if knob.kind == "count":
            ui.number(knob.label, value=as_float(value), min=knob.low, max=knob.high, step=1, format="%.0f").props(
                f"dense {tag} suffix=agents"
            ).classes("w-full").on_value_change(lambda e: moved(knob, e.value))
        elif knob.kind in ("number", "duration"):
            ui.number(knob.label, value=as_float(value), min=knob.low, max=knob.high, step=knob.step).props(
                f'dense {tag} suffix="{knob.unit}"'
            ).classes("w-full").on_value_change(lambda e: moved(knob, e.value))
        elif knob.kind in ("share", "percent"):
            shown = ui.label().classes("text-sm")
            render = _share_text if knob.kind == "share" else _percent_text

            def slid(event: events.ValueChangeEventArguments) -> None:
                shown.set_text(f"{knob.label}: {render(event.value)}")
                moved(knob, event.value)

            shown.set_text(f"{knob.label}: {render(value)}")
            ui.slider(min=knob.low, max=knob.high, step=knob.step, value=as_float(value), on_change=slid).props(
                f"{tag} label"
            )
        elif knob.kind == "choice":
            ui.label(knob.label).classes("text-sm")
            ui.toggle(list(knob.options), value=value, on_change=lambda e: moved(knob, e.value)).props(tag)
        elif knob.kind == "switch":
            ui.switch(knob.label, value=bool(value), on_change=lambda e: moved(knob, e.value)).props(tag)
        elif knob.kind == "surge":
            surge(knob, value, moved)
        else:
            triggers(knob, value, moved)
        if knob.help:
            ui.label(knob.help).classes("hint")


def triggers(knob: Knob, value: object, moved: Callable[[Knob, object], None]) -> None:
    """A checkbox per escalation trigger that can act on this desk, with what it does."""
    on = set(value) if isinstance(value, (tuple, list, set)) else set()
    ui.label("escalation triggers").classes("text-sm")

    def flip(name: str, checked: bool) -> None:
        on.add(name) if checked else on.discard(name)
        moved(knob, tuple(t for t in knob.options if t in on))

    for name in knob.options:
        ui.checkbox(
            f"{name}: {TRIGGER_TEXT.get(name, '')}",
            value=name in on,
            on_change=lambda e, name=name: flip(name, bool(e.value)),
        ).props(f'dense data-path="{knob.path}.{name}"').classes("text-sm")


def surge(knob: Knob, value: object, moved: Callable[[Knob, object], None]) -> None:
    """An extra one-day surge: which day (or none) and by how much the channel's rate is multiplied."""
    day, multiplier = value if isinstance(value, tuple) else (NO_SURGE, 2.0)
    days = {NO_SURGE: "no extra surge", **dict(enumerate(knob.options))}
    state = {"day": day, "multiplier": multiplier}

    def changed(key: str, new: object) -> None:
        if new is not None:
            state[key] = new
            moved(knob, (state["day"], state["multiplier"]))

    ui.label(knob.label).classes("text-sm")
    with ui.row().classes("w-full no-wrap gap-2"):
        ui.select(days, value=day, on_change=lambda e: changed("day", e.value)).props(
            f'dense data-path="{knob.path}.day"'
        ).classes("grow")
        ui.number(value=as_float(multiplier), min=knob.low, max=knob.high, step=knob.step).props(
            f'dense suffix="×" data-path="{knob.path}.multiplier"'
        ).classes("w-20").on_value_change(lambda e: changed("multiplier", e.value))


def card_element(card: Card, base: str) -> None:
    """One KPI card: base and variant values, the paired difference with its interval, marked when significant."""
    verdict = card.verdict or "same"
    attributes = f'data-kpi="{card.kpi}" data-diff="{card.diff!r}" data-significant="{str(card.significant).lower()}"'
    mark = {"better": "▲ better", "worse": "▼ worse", "changed": "● changed", "same": "no clear difference"}[verdict]
    ui.html(
        f"""<div class="card {verdict}" {attributes}>
        <div class="kpi">{html.escape(card.label)}</div>
        <div class="values"><span title="{html.escape(base)}">{html.escape(card.base)}</span> →
        <b>{html.escape(card.variant)}</b></div>
        <div class="diff">{html.escape(card.difference)} <span class="ci">{html.escape(card.interval)}</span></div>
        <div class="mark">{mark}</div></div>""",
        sanitize=False,
    )


def as_float(value: object) -> float:
    """A knob's numeric value for a number field or slider."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {value!r}")


def _share_text(value: object) -> str:
    return f"{100 * float(value):.0f} %" if isinstance(value, (int, float)) else ""


def _percent_text(value: object) -> str:
    return f"{float(value):.0f} % of today's volume" if isinstance(value, (int, float)) else ""


CSS = """
.controls { width: 380px; min-width: 340px; }
.results { min-width: 0; }
.section { font-weight: 700; font-size: 1rem; }
.hint { font-size: 0.75rem; color: #64748b; }
.problem { white-space: pre-wrap; overflow-wrap: anywhere; color: #b91c1c; font-family: monospace; font-size: 0.85rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px; width: 100%; }
.cards .card { border: 1px solid #cbd5e1; border-left: 6px solid #cbd5e1; border-radius: 6px; padding: 8px 10px;
  background: white; height: 100%; }
.cards .card.better { border-left-color: #0072b2; background: #eef6fc; }
.cards .card.worse { border-left-color: #d55e00; background: #fdf1ea; }
.cards .card.changed { border-left-color: #7b3294; }
.cards .kpi { font-size: 0.8rem; color: #334155; min-height: 2.2em; }
.cards .values { font-size: 1.05rem; }
.cards .diff { font-size: 0.95rem; font-weight: 600; }
.cards .ci { font-weight: 400; color: #475569; font-size: 0.8rem; }
.cards .mark { font-size: 0.75rem; color: #475569; }
.cards .better .mark { color: #0072b2; font-weight: 700; }
.cards .worse .mark { color: #d55e00; font-weight: 700; }
.upload .q-uploader__list, .upload .q-uploader__subtitle { display: none; }
.command pre, .command code { white-space: pre-wrap; word-break: break-all; }
.picture { width: 100%; max-width: 1200px; }
.replay { width: 100%; height: 72vh; min-height: 520px; border: 1px solid #cbd5e1; border-radius: 6px; }
"""
