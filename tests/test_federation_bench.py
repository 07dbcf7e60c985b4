"""The replication benchmark's own measurements.

Specification: the peak memory B reports is its own process's, never inherited from the process
that started it (Linux's ru_maxrss carries the parent's high-water mark across exec, so a bench
holding a large workload made B look as large as itself); the nodes it starts run the package
installed in its environment, whatever directory it runs from.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reflow.federation.processes import python_module


def test_peak_rss_is_the_process_own_not_its_parents() -> None:
    ballast = bytearray(600 * 2**20)
    for i in range(0, len(ballast), 4096):  # touch every page: resident, not just reserved
        ballast[i] = 1
    code = "from reflow.federation.bench import peak_rss_mib; print(peak_rss_mib())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    child = float(out.stdout)
    assert 0 < child < 400, child  # the child imports reflow (~100 MiB), not our 600 MiB
    del ballast


def test_node_processes_run_the_installed_package_not_a_source_tree_in_their_directory(
    tmp_path: Path,
) -> None:
    """``./dev bench replicate`` runs from the project root, whose ``reflow/`` is the pure-Python
    source: B's process imported it instead of the compiled build it was to measure."""
    shadow = tmp_path / "reflow"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('the source tree in the cwd')\n")
    out = subprocess.run(
        python_module("reflow.federation.bench"), cwd=tmp_path, capture_output=True, text=True
    )
    assert "the source tree in the cwd" not in out.stderr
    assert "usage: python -m reflow.federation.bench catch-up" in out.stderr
