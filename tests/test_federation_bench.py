"""The replication benchmark's own measurements.

Specification: the peak memory B reports is its own process's, never inherited from the process
that started it (Linux's ru_maxrss carries the parent's high-water mark across exec, so a bench
holding a large workload made B look as large as itself).
"""

from __future__ import annotations

import subprocess
import sys


def test_peak_rss_is_the_process_own_not_its_parents() -> None:
    ballast = bytearray(600 * 2**20)
    for i in range(0, len(ballast), 4096):  # touch every page: resident, not just reserved
        ballast[i] = 1
    code = "from reflow.federation.bench import peak_rss_mib; print(peak_rss_mib())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    child = float(out.stdout)
    assert 0 < child < 400, child  # the child imports reflow (~100 MiB), not our 600 MiB
    del ballast
