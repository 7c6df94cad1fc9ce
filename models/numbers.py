"""Numbers in the CSV files capplan writes: plain decimals at full precision, noise cleaned to 0.

Every table the CLI and the service write goes through `write_csv`: floats are written in
positional notation (never `1.08946e+08`) with the shortest digits that read back as exactly the
same float (`numpy.format_float_positional(unique=True)`), so files stay exact where they are read
back (a result folder's allocations.csv can be evaluated again), and values within `NOISE` of zero
(solver round-off such as 7e-15 patients) are written as 0.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

#: Absolute values below this are numerical noise in every result table (patients, days, SEK, km).
NOISE = 1e-9


def plain(value: float) -> str:
    """`value` as a plain decimal that reads back as exactly the same float: 1.08946e8 → `108946000`."""
    return np.format_float_positional(float(value), unique=True, trim="-")


def clean_noise(frame: pd.DataFrame, noise: float = NOISE) -> pd.DataFrame:
    """A copy of `frame` with float values within `noise` of zero set to 0 (and -0.0 to 0)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            values = out[column].to_numpy(dtype=float, copy=True)
            values[np.abs(values) < noise] = 0.0
            out[column] = values
    return out


def to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of `frame` (no index), numbers as `write_csv` writes them."""
    buffer = io.StringIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, target: str | os.PathLike | io.TextIOBase) -> None:
    """Write `frame` as CSV (no index, `\\n` line ends): plain decimals at full precision, noise as 0."""
    clean_noise(frame).to_csv(target, index=False, lineterminator="\n", float_format=plain)
