"""HiGHS stays silent: nothing of it reaches standard output, where `capplan` prints its own results.

highspy ≥ 1.16 prints a banner when a process makes its first model, at the C level, so this runs
a fresh interpreter and reads its real standard output (pytest's capture would not see it).
"""

from __future__ import annotations

import subprocess
import sys


def test_making_and_solving_models_prints_nothing():
    code = (
        "from optimizer.solvers.highs import new_highs\n"
        "import highspy\n"
        "h = new_highs(); h.run()\n"
        "highspy.Highs()\n"  # later models need no help: the banner comes once per process
        "print('done')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "done\n"
