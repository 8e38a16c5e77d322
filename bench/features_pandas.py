"""The `full` feature set computed the way the public notebooks do it (pandas groupby/shift/
rolling/ewm on the CSV as read), for `npm run bench:features` to compare against.

Usage: python3 bench/features_pandas.py train.csv
Prints one JSON line: read and feature seconds, peak RSS and the mean of every column (the
TypeScript bench checks its own columns against them).
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

SHIFTS = (1, 2, 3, 4)


def add_features(df):
    g = df.groupby("breath_id")
    df["time_delta"] = g["time_step"].diff().fillna(0)
    df["time_step_cumsum"] = g["time_step"].cumsum()
    df["u_in_cumsum"] = g["u_in"].cumsum()
    df["u_in_cummean"] = df["u_in_cumsum"] / (g.cumcount() + 1)
    df["area"] = (df["time_step"] * df["u_in"]).groupby(df["breath_id"]).cumsum()
    df["area_delta"] = (df["time_delta"] * df["u_in"]).groupby(df["breath_id"]).cumsum()
    for col in ("u_in", "u_out"):
        for k in SHIFTS:
            df[f"{col}_lag{k}"] = g[col].shift(k).fillna(0)
            df[f"{col}_lead{k}"] = g[col].shift(-k).fillna(0)
            df[f"{col}_diff{k}"] = df[col] - df[f"{col}_lag{k}"]
    df["u_in_max"] = g["u_in"].transform("max")
    df["u_in_mean"] = g["u_in"].transform("mean")
    df["u_in_diffmax"] = df["u_in_max"] - df["u_in"]
    df["u_in_diffmean"] = df["u_in_mean"] - df["u_in"]
    df["cross"] = df["u_in"] * df["u_out"]
    df["cross2"] = df["time_step"] * df["u_out"]
    df["u_in_ewm9"] = g["u_in"].ewm(halflife=9).mean().reset_index(level=0, drop=True)
    rolling = g["u_in"].rolling(window=15, min_periods=1)
    for stat in ("sum", "min", "max", "mean"):
        df[f"u_in_rolling15_{stat}"] = getattr(rolling, stat)().reset_index(level=0, drop=True)
    r_c = df["R"].astype(str) + "_" + df["C"].astype(str)
    dummies = [
        pd.get_dummies(df["R"], prefix="R", dtype=np.uint8),
        pd.get_dummies(df["C"], prefix="C", dtype=np.uint8),
        pd.get_dummies(r_c, prefix="R_C", dtype=np.uint8),
    ]
    return pd.concat([df, *dummies], axis=1)


def main():
    path = sys.argv[1]
    started, started_cpu = time.perf_counter(), time.process_time()
    df = pd.read_csv(path)
    read, read_cpu = time.perf_counter(), time.process_time()
    df = add_features(df)
    columns = [c for c in df.columns if c not in ("id", "breath_id", "pressure")]
    n_breaths = df["breath_id"].nunique()
    # The model-ready array the notebooks feed to Keras: [breaths, 80, features] float32.
    values = df[columns].to_numpy(dtype=np.float32).reshape(n_breaths, 80, len(columns))
    done, done_cpu = time.perf_counter(), time.process_time()
    means = {c: float(df[c].astype(np.float64).mean()) for c in columns}
    print(json.dumps({
        "read_s": read - started,
        "read_cpu_s": read_cpu - started_cpu,
        "features_s": done - read,
        "features_cpu_s": done_cpu - read_cpu,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "shape": list(values.shape),
        "means": means,
    }))


if __name__ == "__main__":
    main()
