"""Sphinx configuration: MyST Markdown pages, the Furo theme, and reference pages generated at build time.

``python -m sphinx -W --keep-going -b html docs site`` builds the site; every warning (a broken
link, a missing anchor, a docstring that does not parse) fails it. The reference pages under
``docs/reference/generated/`` are written by ``docs/generate.py`` before each build from the
schema, the KPI registry and the argument parser, so they cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # the project's own `sim`, whatever is installed
sys.path.insert(0, str(DOCS))

from generate import write_reference  # noqa: E402

from sim.core.version import __version__  # noqa: E402

project = "escalation-sim"
author = "the escalation-sim authors"
release = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx_copybutton"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline"]
html_theme = "furo"
html_title = f"escalation-sim {release}"
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
copybutton_prompt_text = "$ "

write_reference(DOCS / "reference" / "generated")
