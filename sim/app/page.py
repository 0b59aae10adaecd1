"""The what-if page (NiceGUI): pick a scenario, move knobs, see the variant against the base as it runs.

Every change to a knob schedules a run of the variant against the base on the same customers;
the run goes to a worker thread (the simulation itself to worker processes), a progress bar
follows it, and a change made while it runs starts one more run when it ends, with the latest
knobs. The page only lays out and wires controls: the knobs come from ``knobs``, their widgets
from ``widgets``, the run from ``whatif``, the cards from ``cards`` and the pictures from
``sim.reports.plots_whatif``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nicegui import events, run, ui

from sim.app.cards import kpi_cards
from sim.app.export import variant_yaml, write_answer_report
from sim.app.knobs import Knob
from sim.app.session import Choice, Session, choices, replay_days
from sim.app.whatif import Answer, Question, RunCache, ask
from sim.app.widgets import CSS, card_element, control
from sim.experiments.executors import Executor
from sim.experiments.replications import ReplicationError
from sim.reports.plots_whatif import ScreenPicture, whatif_pictures
from sim.reports.replay import default_day
from sim.scenario.errors import ScenarioError

DEBOUNCE = 0.6
"""Seconds after the last change before a run starts (a slider dragged across runs once)."""
UPLOADS = "uploads"
KEPT_ANSWERS = 4
"""Tabs whose last answer the replay can serve; an older tab runs again to replay (answers hold every table)."""


@dataclass
class Workbench:
    """What every tab shares: the worker pool, the runs kept, where results go, and the answers the replay serves."""

    executor: Executor
    out: Path
    cache: RunCache = field(default_factory=RunCache)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: OrderedDict[str, Answer] = field(default_factory=OrderedDict)

    def keep(self, token: str, answer: Answer) -> None:
        """Keep a tab's latest answer for its replay; only the most recent tabs' (each holds full tables)."""
        self.answers[token] = answer
        self.answers.move_to_end(token)
        while len(self.answers) > KEPT_ANSWERS:
            self.answers.popitem(last=False)

    def ask(self, question: Question, tick: Callable[[], None]) -> tuple[Answer, list[ScreenPicture]]:
        """Run a question (one at a time on the shared pool) and draw its pictures."""
        with self.lock:
            answer = ask(question, self.executor, self.cache, tick)
        return answer, whatif_pictures(answer.runs, answer.comparison.scenarios[answer.base])


class WhatIfPage:
    """One tab: its session, its controls and its results panel."""

    def __init__(self, bench: Workbench, start: Choice) -> None:
        self.bench = bench
        self.token = uuid.uuid4().hex
        self.choices = {choice.key: choice for choice in choices()}
        self.session: Session | None = None
        self.answer: Answer | None = None
        self.done = 0
        self.total = 1
        self.running = False
        self.again = False
        self.changed_at = 0.0
        self.start = start

    # ---- layout -------------------------------------------------------------------------------

    def build(self) -> None:
        """The header, the controls on the left and the results on the right."""
        ui.add_css(CSS)
        with ui.header().classes("items-center bg-slate-800 text-white"):
            ui.label("escalation-sim · what-if").classes("text-xl font-bold")
            self.title = ui.label().classes("text-lg ml-4")
        with ui.row().classes("w-full no-wrap items-start gap-4"):
            with ui.column().classes("controls gap-2"):
                self.build_picker()
                self.knob_area = ui.column().classes("w-full gap-2")
            with ui.column().classes("results grow gap-3"):
                self.build_status()
                self.cards = ui.element("div").classes("cards")
                self.build_tabs()
        self.load(self.start)
        ui.timer(0.25, self.poll)

    def build_picker(self) -> None:
        """Choose a demo or bundled scenario, or upload a YAML file."""
        with ui.card().classes("w-full"):
            ui.label("Scenario").classes("section")
            options = {key: choice.label for key, choice in self.choices.items()}
            self.picker = ui.select(options, value=self.start.key, on_change=self.picked).classes("w-full")
            self.picker.props('data-testid="picker"')
            ui.upload(label="or upload a scenario YAML", auto_upload=True, on_upload=self.uploaded).props(
                'accept=".yaml,.yml" flat bordered hide-upload-btn data-testid="upload"'
            ).classes("w-full upload")
            self.problem = ui.label().classes("problem").props('data-testid="problem"')
            self.problem.set_visibility(False)

    def build_status(self) -> None:
        """What is simulated, the run's progress, what the variant changes and the equivalent command."""
        with ui.card().classes("w-full"):
            self.note = ui.label().classes("text-sm text-slate-600")
            self.horizon = ui.label().classes("text-sm").props('data-testid="horizon"')
            with ui.row().classes("w-full items-center no-wrap"):
                self.progress = ui.linear_progress(value=0, show_value=False).props("instant-feedback").classes("grow")
                self.status = ui.label("").classes("text-sm whitespace-nowrap").props('data-testid="status"')
            self.changes = ui.label().classes("text-sm").props('data-testid="changes"')
            self.command = ui.code("", language="bash").classes("w-full text-xs command")
            self.error = ui.label().classes("problem").props('data-testid="error"')
            self.error.set_visibility(False)

    def build_tabs(self) -> None:
        """Flow diagrams, waits, backlog, the replay and the exports, a tab each."""
        with ui.tabs().classes("w-full") as tabs:
            names = ["Escalation flow", "Waits", "Backlog", "Replay", "Export"]
            tab = {name: ui.tab(name).props(f'data-testid="tab-{name.split()[0].lower()}"') for name in names}
        with ui.tab_panels(tabs, value=tab["Escalation flow"]).classes("w-full"):
            with ui.tab_panel(tab["Escalation flow"]):
                self.flows = ui.row().classes("w-full no-wrap gap-2")
            with ui.tab_panel(tab["Waits"]):
                self.waits = ui.image().classes("picture")
            with ui.tab_panel(tab["Backlog"]):
                self.backlog = ui.image().classes("picture")
            with ui.tab_panel(tab["Replay"]):
                self.build_replay()
            with ui.tab_panel(tab["Export"]):
                self.build_export()

    def build_replay(self) -> None:
        """One simulated day of the first replication, base or variant, animated."""
        with ui.row().classes("items-center gap-4"):
            self.replay_label = ui.toggle(["variant", "base"], value="variant", on_change=self.show_replay)
            self.replay_day = ui.select({}, label="day", on_change=self.show_replay).classes("w-56")
        self.replay = ui.element("iframe").classes("replay").props('data-testid="replay"')

    def build_export(self) -> None:
        """Download the variant as a scenario file, or write the comparison's HTML report."""
        with ui.row().classes("gap-4"):
            ui.button("Variant as scenario YAML", icon="download", on_click=self.download_yaml)
            ui.button("Comparison report (HTML)", icon="description", on_click=self.download_report)
        self.export_note = ui.label().classes("text-sm text-slate-600")

    # ---- loading a scenario and its knobs -----------------------------------------------------

    def picked(self, event: events.ValueChangeEventArguments) -> None:
        """A demo or bundled scenario was chosen."""
        if event.value in self.choices:
            self.load(self.choices[event.value])

    async def uploaded(self, event: events.UploadEventArguments) -> None:
        """An uploaded YAML file: saved under the results folder, checked, then loaded like a bundled one."""
        name = Path(event.file.name).name or "uploaded.yaml"
        folder = self.bench.out / "app" / UPLOADS / self.token
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(await event.file.read())
        self.load(Choice(f"upload:{name}", f"Uploaded: {name}", path))

    def load(self, choice: Choice) -> None:
        """Start a session on ``choice`` and build its knobs; a scenario that does not load shows why, in the page."""
        try:
            session = Session.start(choice)
        except ScenarioError as exc:
            self.show_problem(str(exc).replace(str(choice.path), choice.path.name))  # the name the user uploaded
            return
        self.show_problem("")
        self.session = session
        self.title.set_text(session.scenario.name)
        self.note.set_text(session.note or session.scenario.description)
        self.build_knobs()
        self.changed()

    def show_problem(self, text: str) -> None:
        """The scenario's problems (file, field path, what is allowed), or nothing."""
        self.problem.set_text(text)
        self.problem.set_visibility(bool(text))

    def build_knobs(self) -> None:
        """The run settings, then a section per knob group, each control bound to one field."""
        session = self.session
        assert session is not None
        self.knob_area.clear()
        with self.knob_area:
            with ui.card().classes("w-full"):
                ui.label("Run").classes("section")
                with ui.row().classes("w-full no-wrap gap-2"):
                    self.setting("replications", session.replications, 2, 50, 1, "runs")
                    self.setting("days", session.days, 0.25, max(session.full_days, 1) * 4, 0.25, "days")
                    self.setting("seed", session.seed, 0, 10**9, 1, "")
                with ui.row().classes("gap-2"):
                    ui.button("Run", icon="play_arrow", on_click=self.changed).props('data-testid="run"')
                    ui.button("Reset knobs", icon="restart_alt", on_click=self.reset).props("flat")
            groups: dict[str, list[Knob]] = {}
            for knob in session.knobs:
                groups.setdefault(knob.group, []).append(knob)
            for group, knobs in groups.items():
                with ui.expansion(group, value=group in ("Staffing", "Escalation")).classes("w-full knob-group"):
                    for knob in knobs:
                        control(knob, session.values[knob.path], self.knob_moved)

    def setting(self, name: str, value: float, low: float, high: float, step: float, suffix: str) -> None:
        """A run setting (replications, simulated days, seed) as a number field."""

        def changed(event: events.ValueChangeEventArguments) -> None:
            if event.value is None or self.session is None:
                return
            number = float(event.value)
            if name == "days":
                self.session.days = number
            elif name == "replications":
                self.session.replications = int(number)
            else:
                self.session.seed = int(number)
            self.changed()

        ui.number(name, value=value, min=low, max=high, step=step, suffix=suffix, on_change=changed).props(
            f'dense data-testid="setting-{name}"'
        ).classes("grow")

    def knob_moved(self, knob: Knob, value: object) -> None:
        """A control moved: remember its value and schedule a run."""
        if self.session is not None and value is not None:
            self.session.values[knob.path] = value
            self.changed()

    def reset(self) -> None:
        """Every knob back to the scenario's (or the demo's) values."""
        if self.session is not None:
            self.session.reset()
            self.build_knobs()
            self.changed()

    # ---- running ------------------------------------------------------------------------------

    def changed(self) -> None:
        """Something changed: run after a short pause, once the current run (if any) is done."""
        self.changed_at = time.monotonic()
        self.again = True
        if self.session is not None:
            question = self.session.question()
            self.horizon.set_text(self.session.horizon_note())
            self.changes.set_text(
                "Variant changes: " + (", ".join(question.variant) if question.variant else "nothing yet (move a knob)")
            )
            self.command.set_content(question.command())

    async def poll(self) -> None:
        """Progress of the run in hand; start the next run once the knobs have rested."""
        self.progress.set_value(self.done / max(self.total, 1))
        if self.running or not self.again or self.session is None:
            return
        if time.monotonic() - self.changed_at < DEBOUNCE:
            return
        self.again = False
        await self.run_question()

    async def run_question(self) -> None:
        """Ask the session's question in a worker thread and show the answer (or what went wrong)."""
        assert self.session is not None
        try:
            question = self.session.question()
            question.scenarios()  # a bad value shows its message now, before any worker starts
        except ScenarioError as exc:
            self.show_error(str(exc))
            return
        self.running, self.done = True, 0
        self.total = 2 * question.replications
        self.status.set_text(f"running {self.total} replications…")
        self.status.props('data-state="running"')
        started = time.perf_counter()
        try:
            result = await run.io_bound(self.bench.ask, question, self.tick)
        except (ScenarioError, ReplicationError, ValueError) as exc:
            self.show_error(str(exc))
            return
        finally:
            self.running = False
        if result is None:  # the app is shutting down
            return
        answer, pictures = result
        self.show_error("")
        self.show(answer, pictures, time.perf_counter() - started)

    def tick(self) -> None:
        """One replication finished (called from the worker thread)."""
        self.done += 1

    def show_error(self, text: str) -> None:
        """A run that could not start or finish: its message instead of results."""
        self.error.set_text(text)
        self.error.set_visibility(bool(text))
        if text:
            self.status.set_text("not run: see the message below")
            self.status.props('data-state="error"')

    # ---- results ------------------------------------------------------------------------------

    def show(self, answer: Answer, pictures: list[ScreenPicture], elapsed: float) -> None:
        """KPI cards, pictures and the replay of a finished answer."""
        assert self.session is not None
        self.answer = answer
        self.bench.keep(self.token, answer)
        reused = " (base reused)" if answer.reused_base else ""
        self.status.set_text(
            f"{answer.question.replications} replications each, seed {answer.question.seed}: {elapsed:.1f}s{reused}"
        )
        self.status.props('data-state="done"')
        self.progress.set_value(1)
        self.cards.clear()
        with self.cards:
            for card in kpi_cards(answer.comparison.table, self.session.featured):
                card_element(card, answer.base)
        by_key = {picture.key: picture for picture in pictures}
        self.flows.clear()
        with self.flows:
            for label in answer.runs:
                if (flow := by_key.get(f"flow:{label}")) is not None:
                    with ui.column().classes("grow gap-0 items-center"):
                        ui.label(label).classes("section")
                        ui.image(flow.source).classes("picture")
        self.waits.set_source(by_key["waits"].source)
        self.backlog.set_source(by_key["backlog"].source)
        self.replay_days()

    def replay_days(self) -> None:
        """The days the replay can show, defaulting to the first full day after the warm-up."""
        assert self.answer is not None
        scenario = self.answer.comparison.scenarios[self.answer.base]
        days = replay_days(scenario)
        current = self.replay_day.value if self.replay_day.value in days else default_day(scenario)
        self.replay_day.set_options(days, value=current)
        self.show_replay()

    def show_replay(self) -> None:
        """Point the replay frame at the chosen day and run."""
        if self.answer is None or self.replay_day.value is None:
            return
        label = self.answer.base if self.replay_label.value == "base" else "variant"
        stamp = int(time.time() * 1000)
        self.replay.props(f'src="/replay/{self.token}?label={label}&day={self.replay_day.value}&t={stamp}"')

    # ---- exports ------------------------------------------------------------------------------

    def download_yaml(self) -> None:
        """The variant, as a scenario file that ``run_sim.py run`` simulates exactly."""
        if self.session is None:
            return
        question = self.session.question()
        name = f"{self.session.scenario.name}_variant.yaml"
        ui.download(variant_yaml(question).encode("utf-8"), name, "application/x-yaml")

    async def download_report(self) -> None:
        """Write the comparison folder and its report under the results folder, then download the report."""
        if self.answer is None:
            ui.notify("Run first: the report shows the last answer.")
            return
        self.export_note.set_text("writing the report…")
        report = await run.io_bound(write_answer_report, self.answer, self.bench.out)
        if report is None:  # the app is shutting down
            return
        self.export_note.set_text(f"Written to {report.parent} (the report and every table).")
        ui.download(report.read_bytes(), "comparison.html", "text/html")
