"""scikit-learn / pandas side of compare-pipeline.sh (issue 5, whole-run figures).

partial-fit DATA: MiniBatchKMeans(n_clusters=64, batch_size=1024).partial_fit over the float32 file
  written by `StreamingClusters.Benchmarks pipeline --write-data` (row-major, d = 16), one call per
  batch of 1024, timed by the wall clock from the first call to the last; prints RESULT lines.
write-csv DATA OUT N: the first N points of DATA as a CSV with a header (x0..x15).
csv FILE: pandas.read_csv(FILE) + partial_fit in batches of 1024, wall clock, end to end in-process.
"""
import sys
import time

import numpy as np


def model():
    from sklearn.cluster import MiniBatchKMeans
    return MiniBatchKMeans(n_clusters=64, batch_size=1024, random_state=0, n_init=3)


def fit_batches(km, x):
    for start in range(0, len(x), 1024):
        km.partial_fit(x[start:start + 1024])


def partial_fit(path, points):
    x = np.fromfile(path, dtype=np.float32).reshape(-1, 16)[:points]
    x = np.ascontiguousarray(x)
    from threadpoolctl import threadpool_info
    for pool in threadpool_info():
        print("# threadpool: " + ", ".join(f"{k}={pool.get(k)}" for k in ("internal_api", "version", "architecture", "num_threads")))
    fit_batches(model(), x[:100 * 1024])  # warm-up, not timed
    km = model()
    start = time.perf_counter()
    fit_batches(km, x)
    seconds = time.perf_counter() - start
    print(f"# sklearn partial_fit: {len(x)} points in {seconds:.3f} s = {len(x) / seconds / 1e6:.3f}M points/s, inertia of last batch n/a")
    print(f"RESULT sklearn-points-per-s {len(x) / seconds:.6g}", flush=True)


def write_csv(path, out, points):
    x = np.fromfile(path, dtype=np.float32).reshape(-1, 16)[:points]
    np.savetxt(out, x, fmt="%.6g", delimiter=",", header=",".join(f"x{j}" for j in range(16)), comments="")


def csv(path):
    import os
    import pandas as pd
    start = time.perf_counter()
    x = pd.read_csv(path, dtype=np.float32).to_numpy()
    read = time.perf_counter() - start
    fit_batches(model(), x)
    seconds = time.perf_counter() - start
    mb = os.path.getsize(path) / 1e6
    print(f"# pandas.read_csv {read:.2f} s + partial_fit {seconds - read:.2f} s = {seconds:.2f} s for {len(x)} points, {mb / seconds:.1f} MB/s")
    print(f"RESULT pandas-csv-seconds {seconds:.4f} read={read:.4f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "partial-fit":
        partial_fit(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "write-csv":
        write_csv(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "csv":
        csv(sys.argv[2])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
