"""Making highspy models: the settings every HiGHS solve in capplan shares.

Both solve paths (column generation in `optimizer.colgen`, the Pyomo path in `optimizer.solve`)
get their `highspy.Highs` here: silent, with the scenario's thread count. highspy ≥ 1.16 prints a
copyright banner to standard output when the first model of a process is made, before any option
can be set; it would land in the middle of `capplan`'s own output, so that first model is made
with standard output pointed at /dev/null for the moment it takes.
"""

from __future__ import annotations

import os
import sys
import threading

import highspy

from models.scenario import SolveSettings

_banner_lock = threading.Lock()
_banner_shown = False


def new_highs(settings: SolveSettings | None = None) -> highspy.Highs:
    """A silent highspy model, with `settings.threads` if the scenario sets it."""
    h = _first_quietly()
    h.setOptionValue("output_flag", False)
    if settings is not None and settings.threads is not None:
        # HiGHS sizes its scheduler once per calling thread, and a later solve asking for another
        # size fails, so every solve in a process must ask the same
        h.setOptionValue("threads", settings.threads)
    return h


def _first_quietly() -> highspy.Highs:
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    with _banner_lock:
        if _banner_shown:
            return highspy.Highs()
        try:
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):  # no file descriptor 1 (a detached process): nothing to hide
            _banner_shown = True
            return highspy.Highs()
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_shown = True
        return h
