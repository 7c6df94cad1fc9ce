"""One zero-safe share: numerator / denominator, with a stated value where there is nothing to divide by."""

from __future__ import annotations

import numpy as np
import pandas as pd


def share(numerator, denominator, empty: float = 0.0):
    """numerator / denominator elementwise, `empty` where the denominator is not positive.

    Keeps a Series' index (a Series in gives a Series out); 0 suits tables (utilisation of a hospital
    with no theatre days), NaN suits figures (a blank cell instead of a misleading 0 %).
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)
    if isinstance(numerator, pd.Series):
        return pd.Series(values, index=numerator.index, name=numerator.name)
    return values
