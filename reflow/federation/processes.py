"""The command line that starts a node (or a benchmark's side of one) in its own process.

``-P``: the child imports the package installed in this interpreter's environment, never a
``reflow/`` that happens to sit in its working directory. Run from the project root, a plain
``python -m`` put the pure-Python source tree first on the path, and ``./dev bench replicate``
measured it instead of the compiled build it was to measure.
"""

from __future__ import annotations

import sys


def python_module(module: str, *args: str) -> list[str]:
    """``python -m module args…`` with this interpreter, isolated from the working directory."""
    return [sys.executable, "-P", "-m", module, *args]
