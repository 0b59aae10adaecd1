"""Start the what-if app: the worker pool, the page at ``/`` and the replay at ``/replay/<tab>``.

The worker processes are started before NiceGUI starts its threads, so that on Linux they fork
from a single-threaded process (cheap, and safe). The replay is its own self-contained page,
served per tab from the tab's last answer, so that it can be projected full screen or saved.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import HTMLResponse
from nicegui import app, ui

from sim.app.page import WhatIfPage, Workbench
from sim.app.session import Choice, choices
from sim.experiments.executors import available_cores, make_executor
from sim.scenario.loader import load_scenario

TITLE = "escalation-sim what-if"
DEFAULT = "demo:handoff"
"""What the page opens on without a scenario: a demo, so the first run already shows a difference."""


def start_choice(scenario: str | None) -> Choice:
    """The bundled choice for ``scenario`` (a path), a choice for another file, or the default demo."""
    bundled = {choice.key: choice for choice in choices()}
    if scenario is None:
        return bundled[DEFAULT]
    path = Path(scenario)
    load_scenario(path)  # a scenario that does not load stops here, with its message
    for choice in bundled.values():
        if choice.key.startswith("scenario:") and choice.path.resolve() == path.resolve():
            return choice
    return Choice(f"file:{path}", f"File: {path.name}", path)


def serve(
    scenario: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int | None = None,
    out: str | Path = "results",
    show: bool = True,
) -> None:
    """Serve the app until Ctrl-C; ``show`` opens it in the browser."""
    start = start_choice(scenario)
    executor = make_executor("local", workers or available_cores())
    bench = Workbench(executor, Path(out))

    @ui.page("/", title=TITLE)
    def index() -> None:
        WhatIfPage(bench, start).build()

    @app.get("/replay/{token}", response_class=HTMLResponse)
    def replay(token: str, label: str = "variant", day: int = 0) -> HTMLResponse:
        return HTMLResponse(replay_page(bench, token, label, day))

    app.on_shutdown(executor.close)
    ui.run(host=host, port=port, title=TITLE, reload=False, show=show, show_welcome_message=True)


def replay_page(bench: Workbench, token: str, label: str, day: int) -> str:
    """The replay of ``day`` of the first replication of the tab's last answer (``label``: base or variant)."""
    from sim.reports.replay import replay_data, replay_html

    answer = bench.answers.get(token)
    if answer is None or label not in answer.runs:
        raise HTTPException(404, "no answer yet: run the comparison first")
    result = answer.runs[label]
    try:
        data = replay_data(result, day)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return replay_html(data, f"{label}: {result.scenario.name}")
