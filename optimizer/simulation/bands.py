"""P10/P50/P90 bands over draws: simulation_bands.csv in long format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.simulation.counts import METRICS

#: Columns of simulation_bands.csv: one row per level, member, week and metric.
BAND_COLUMNS = ["level", "key", "week", "metric", "p10", "p50", "p90", "mean", "draws"]


def bands(outcomes: list[pd.DataFrame]) -> pd.DataFrame:
    """Percentiles (linear interpolation, numpy's default) of every metric over the draws' outcomes.

    A row missing from a draw (e.g. a procedure nobody waits for at the end of that draw's weeks)
    counts as zero in that draw.
    """
    if not outcomes:
        raise ValueError("no draws to summarise")
    keys = ["level", "key", "week"]
    index = pd.MultiIndex.from_frame(pd.concat([outcome[keys] for outcome in outcomes]).drop_duplicates())
    index = index.sort_values()
    first = index.to_frame(index=False)
    aligned = [outcome.set_index(keys).reindex(index, fill_value=0.0) for outcome in outcomes]
    parts = []
    for metric in METRICS:
        values = np.stack([outcome[metric].to_numpy(dtype=float) for outcome in aligned])  # draw × row
        p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=0)
        parts.append(
            first.assign(metric=metric, p10=p10, p50=p50, p90=p90, mean=values.mean(axis=0), draws=len(outcomes))
        )
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["level", "key", "metric", "week"], ignore_index=True)[BAND_COLUMNS]
