"""Logging without patient data: no request bodies, no exception messages that might quote data.

The service logs ids of datasets, scenarios and runs, stages, timings and status codes. Exception
messages are withheld from the log (`safe_traceback`): a message of pandas or the solver could quote
a value from a file, and a value could be a patient id. Structured problems go to the client only.
"""

from __future__ import annotations

import sys
import traceback


def safe_traceback() -> str:
    """The current exception's stack and type, without its message."""
    exc_type, _exc, tb = sys.exc_info()
    stack = "".join(traceback.format_tb(tb)) if tb is not None else ""
    return f"{stack}{exc_type.__name__ if exc_type else 'Exception'} (message withheld)"
