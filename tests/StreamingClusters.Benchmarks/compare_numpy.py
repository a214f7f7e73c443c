"""numpy / scikit-learn side of compare-numpy.sh, and the report that sets both sides side by side.

measure: the best numpy formulation of the hard E-step (norms precomputed, one BLAS product
X @ (-2 C^T) into a preallocated buffer, norms added in place, argmin) on the shapes of issue 5, and
scikit-learn's MiniBatchKMeans.partial_fit (batch 1024, d = 16, k = 64); prints RESULT lines in the
format of the .NET quick runner. --clock cpu times with the thread's CPU clock (for one BLAS thread,
like the .NET runner), --clock wall with wall time (for several BLAS threads).

report: reads RESULT lines of several rounds, keeps the best of each figure, prints the table.
"""
import argparse
import re
import sys
import time

SHAPES = [(2, 8), (2, 64), (16, 8), (16, 64), (128, 8), (128, 64), (784, 8), (784, 64)]


def rate(body, seconds, clock, rounds=7):
    """Calls body for about seconds (in rounds) and gives the best calls per second of a round."""
    now = time.thread_time if clock == "cpu" else time.perf_counter
    body()
    best = 0.0
    for _ in range(rounds):
        start = now()
        calls = 0
        while True:
            body()
            calls += 1
            elapsed = now() - start
            if elapsed >= seconds / rounds:
                break
        best = max(best, calls / elapsed)
    return best


def measure(args):
    import numpy as np
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        print("# threadpool: " + ", ".join(f"{key}={pool.get(key)}" for key in
              ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")))
    rng = np.random.default_rng(12345)
    n = args.points
    for d, k in SHAPES:
        x = rng.uniform(-1, 1, size=(n, d)).astype(np.float32)
        c = rng.uniform(-1, 1, size=(k, d)).astype(np.float32)
        norms = (c.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
        minus_two_ct = np.ascontiguousarray((-2.0 * c.T).astype(np.float32))
        scores = np.empty((n, k), dtype=np.float32)
        labels = np.empty(n, dtype=np.intp)

        def step():
            np.matmul(x, minus_two_ct, out=scores)
            np.add(scores, norms, out=scores)
            np.argmin(scores, axis=1, out=labels)

        print(f"RESULT numpy-points-per-s d={d} k={k} {n * rate(step, args.seconds, args.clock):.6g}", flush=True)

    if args.sklearn:
        from sklearn.cluster import MiniBatchKMeans
        import warnings

        d, k, batch, batches = 16, 64, 1024, 64
        data = rng.uniform(-1, 1, size=(batch * batches, d)).astype(np.float32)
        kmeans = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kmeans.partial_fit(data[:batch])
            state = {"next": 1}

            def fit_step():
                i = state["next"]
                state["next"] = (i + 1) % batches
                kmeans.partial_fit(data[i * batch:(i + 1) * batch])

            print(f"RESULT sklearn-minibatch-points-per-s d={d} k={k} {batch * rate(fit_step, args.seconds, args.clock):.6g}", flush=True)


def read(path):
    best = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            m = re.match(r"RESULT (\S+) d=(\d+) k=(\d+) (\S+)", line)
            if m:
                key = (m.group(1), int(m.group(2)), int(m.group(3)))
                best[key] = max(best.get(key, 0.0), float(m.group(4)))
    return best


def report(args):
    ours = read(args.ours)
    numpy1 = read(args.numpy_single)
    numpy_all = read(args.numpy_all) if args.numpy_all else {}
    peak = max(v for (what, _, _), v in ours.items() if what == "fma-peak-gflops")
    lanes = int(max((v for (what, _, _), v in ours.items() if what == "fma-peak-lanes"), default=16))
    widths = {16: "Vector512", 8: "Vector256", 4: "Vector128", 1: "scalar"}

    def fmt(v):
        return "-" if v is None else (f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k")

    print(f"FMA peak at the widest accelerated width ({widths.get(lanes, lanes)}, one core): {peak:.1f} GFLOP/s")
    kernel_widths = sorted({int(v) for (what, _, _), v in ours.items() if what == "kernel-lanes"}, reverse=True)
    for kl in kernel_widths:
        kp = max((v for (what, d, k), v in ours.items() if what == "fma-peak-kernel-width-gflops"
                  and ours.get(("kernel-lanes", d, k)) == kl), default=None)
        print(f"kernels on {widths.get(kl, kl)}" + (f"; FMA peak at that width {kp:.1f} GFLOP/s" if kp and kl > 1 else ""))
    print("points/s, one core (numpy: one BLAS thread); ratios are ours / numpy of the same run;"
          " % peak against the widest width's peak, % width against the peak at the kernel's own width (each the best of the run)")
    header = ("d", "k", "kernel", "E-step", "scalar", "% peak", "% width", "numpy 1T", "kernel/np", "E-step/np", "numpy 2T", "kernel/np2T")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for d, k in SHAPES:
        kernel = ours.get(("kernel-points-per-s", d, k))
        estep = ours.get(("estep-points-per-s", d, k))
        scalar = ours.get(("scalar-points-per-s", d, k))
        np1 = numpy1.get(("numpy-points-per-s", d, k))
        np2 = numpy_all.get(("numpy-points-per-s", d, k))
        lanes_here = ours.get(("kernel-lanes", d, k))
        width_peak = max((v for (what, dd, kk), v in ours.items() if what == "fma-peak-kernel-width-gflops"
                          and ours.get(("kernel-lanes", dd, kk)) == lanes_here), default=None)
        fraction = kernel * 2 * d * k / (peak * 1e9) if kernel else None
        width_fraction = kernel * 2 * d * k / (width_peak * 1e9) if kernel and width_peak else None
        na = "" if d * k >= 1024 else " (n/a)"
        row = (str(d), str(k), fmt(kernel), fmt(estep), fmt(scalar),
               "-" if fraction is None else f"{100 * fraction:.0f}%{na}",
               "-" if width_fraction is None else f"{100 * width_fraction:.0f}%{na}",
               fmt(np1),
               f"{kernel / np1:.2f}x" if kernel and np1 else "-",
               f"{estep / np1:.2f}x" if estep and np1 else "-",
               fmt(np2),
               f"{kernel / np2:.2f}x" if kernel and np2 else "-")
        print("| " + " | ".join(row) + " |")
    print()
    print("read ceiling: a plain vector sum (widest width) over the same points (the kernel reads each point once)")
    print("| d | k | points MB | read GB/s | ceiling points/s | kernel | kernel/ceiling | kernel % peak | ceiling % peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d, k in SHAPES:
        kernel = ours.get(("kernel-points-per-s", d, k))
        ceiling = ours.get(("read-ceiling-points-per-s", d, k))
        if not kernel or not ceiling:
            continue
        print(f"| {d} | {k} | {4096 * d * 4 / 2**20:.1f} | {ceiling * d * 4 / 1e9:.1f} | {fmt(ceiling)} | {fmt(kernel)} | "
              f"{100 * kernel / ceiling:.0f}% | {100 * kernel * 2 * d * k / (peak * 1e9):.0f}% | "
              f"{100 * ceiling * 2 * d * k / (peak * 1e9):.0f}% |")
    ours_mb = ours.get(("minibatch-points-per-s", 16, 64))
    sk1 = numpy1.get(("sklearn-minibatch-points-per-s", 16, 64))
    sk2 = numpy_all.get(("sklearn-minibatch-points-per-s", 16, 64))
    if ours_mb and sk1:
        print(f"mini-batch k-means, batch 1024, d=16, k=64, E-step + M-step: ours {fmt(ours_mb)} points/s, "
              f"sklearn MiniBatchKMeans.partial_fit {fmt(sk1)} (one thread) -> {ours_mb / sk1:.1f}x"
              + (f"; sklearn default threads {fmt(sk2)} -> {ours_mb / sk2:.1f}x" if sk2 else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--seconds", type=float, default=1.0)
    m.add_argument("--points", type=int, default=4096)
    m.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    m.add_argument("--sklearn", action="store_true")
    r = sub.add_parser("report")
    r.add_argument("ours")
    r.add_argument("numpy_single")
    r.add_argument("numpy_all", nargs="?")
    args = parser.parse_args()
    if args.command == "measure":
        measure(args)
    else:
        report(args)


if __name__ == "__main__":
    sys.exit(main())
