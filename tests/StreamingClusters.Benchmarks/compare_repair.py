"""Batch k-means' objective on the data `StreamingClusters.Benchmarks repair blobs DATA` wrote (issue 16).

compare_repair.py DATA D K: scikit-learn KMeans(k, k-means++, n_init=3, random_state=0) on the float32
file (row-major, d = D); prints the mean squared distance over all points.
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans

path, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(path, dtype=np.float32).reshape(-1, d)
start = time.perf_counter()
km = KMeans(n_clusters=k, init="k-means++", n_init=3, random_state=0).fit(x)
print(f"# KMeans on {len(x)} x {d}, k = {k}: {time.perf_counter() - start:.1f} s, {km.n_iter_} iterations")
print(f"RESULT sklearn-objective {km.inertia_ / len(x):.6g}")
