"""Write the Reference pages of the site at build time (mkdocs-gen-files runs this script).

The pages come from the code (``sim.reference_pages.PAGES``): the scenario schema, the KPI registry,
the argparse parser and the facade's docstrings, so they cannot drift from it.
"""

import sys
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `sim`, not another installed copy

from sim.reference_pages import PAGES  # noqa: E402

for path, page in PAGES.items():
    with mkdocs_gen_files.open(path, "w") as f:
        f.write(page())
    mkdocs_gen_files.set_edit_path(path, "docs/gen_reference.py")
