"""The page every report shares: the Jinja2 templates, the report's file name, and pictures embedded as PNG."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sim.core.atomic import write_text
from sim.core.version import __version__
from sim.reports.figures import DPI, png_bytes, save_figure
from sim.reports.sections import Picture

REPORT = "report.html"
PLOTS = "plots"
SHARP_DPI = 1.5 * DPI
"""Embedded pictures carry 1.5 pixels per displayed pixel, to stay sharp on projectors and high-density screens."""


def environment() -> Environment:
    """The Jinja2 environment of the bundled templates (autoescaped, strict about missing values)."""
    return Environment(
        loader=PackageLoader("sim.reports", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, context: dict, path: Path) -> Path:
    """Render ``template`` with ``context`` (plus when and by which version) into ``path``, atomically."""
    generated = dt.datetime.now().isoformat(timespec="seconds").replace("T", " ")
    page = environment().get_template(template).render(**context, generated=generated, version=__version__)
    write_text(path, page)
    return path


def embed(pictures: list[Picture], folder: Path | None) -> list[dict]:
    """Each picture saved as PNG and SVG under ``folder/plots/`` and returned with its PNG as base64.

    With ``folder`` None nothing is saved: the pictures live in the page only.
    """
    if folder is not None:
        (folder / PLOTS).mkdir(exist_ok=True)
        for old in (folder / PLOTS).glob("[0-9][0-9]-*.*"):
            old.unlink()  # an earlier report's pictures
    out = []
    for number, picture in enumerate(pictures, start=1):
        png = (
            png_bytes(picture.figure, SHARP_DPI)
            if folder is None
            else save_figure(picture.figure, folder / PLOTS / f"{number:02d}-{picture.key}", SHARP_DPI)
        )
        out.append(
            {
                "key": picture.key,
                "title": picture.title,
                "guide": picture.guide,
                "width": round(picture.figure.get_figwidth() * DPI),
                "png": base64.b64encode(png).decode("ascii"),
            }
        )
    return out
