"""Batch k-means' objective on the data the repair's figures use (issue 16).

compare_repair.py DATA D K: scikit-learn KMeans(k, k-means++, n_init=3, random_state=0) on the float32
file `StreamingClusters.Benchmarks repair blobs DATA` wrote (row-major, d = D); prints the mean squared
distance over all points.

compare_repair.py --write-fashion-mnist DATA: writes Fashion-MNIST (Debian's dataset-fashion-mnist,
/usr/share/datasets/fashion-mnist: the 60,000 training and 10,000 test images in their files' order,
pixels / 255) to DATA as float32 rows of 784, for `repair file DATA 784 10`; then run the first form
with D = 784, K = 10.
"""
import gzip
import sys
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def write_fashion_mnist(path):
    parts = []
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        with gzip.open(f"{FASHION}/{name}", "rb") as f:
            raw = f.read()
        # IDX: magic, count, rows, columns (big-endian int32), then the pixels.
        count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
        parts.append(np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * cols))
    x = (np.concatenate(parts).astype(np.float32) / 255).astype(np.float32)
    x.tofile(path)
    print(f"# wrote {x.shape[0]} x {x.shape[1]} float32 to {path}")


if sys.argv[1] == "--write-fashion-mnist":
    write_fashion_mnist(sys.argv[2])
    sys.exit(0)

from sklearn.cluster import KMeans  # noqa: E402 (only the objective needs scikit-learn)

path, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(path, dtype=np.float32).reshape(-1, d)
start = time.perf_counter()
km = KMeans(n_clusters=k, init="k-means++", n_init=3, random_state=0).fit(x)
print(f"# KMeans on {len(x)} x {d}, k = {k}: {time.perf_counter() - start:.1f} s, {km.n_iter_} iterations")
print(f"RESULT sklearn-objective {km.inertia_ / len(x):.6g}")
