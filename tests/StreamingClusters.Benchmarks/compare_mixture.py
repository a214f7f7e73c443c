"""The Gaussian mixture against scikit-learn (issue 19). Debian's python: /usr/bin/python3 with python3-sklearn.

compare_mixture.py quality [--n 200000] [--seeds 0,1,2,3,4]
    Overlapping mixtures (d = 8, six components, means within a few spreads of each other, per-axis spreads
    differing 5x, priors 0.35 .. 0.05). For each data seed: one streaming pass of ours (`StreamingClusters.Benchmarks
    mixture fit`, the library's pipeline, GaussianMixture then KMeans with the same settings) against scikit-learn's
    GaussianMixture(covariance_type="diag", n_init=3, random_state=0) fitted in batch on the same points. Every model's
    mean log-likelihood is taken by scikit-learn's score() on all the points (ours loaded into a GaussianMixture);
    ARIs are against the generating components. K-means is read as a mixture (each cluster's mean, variances and
    share of the points) for its likelihood.

compare_mixture.py estep [--n 65536] [--rounds 3] [--seconds 1] [--centres 5]
    d = 16, k = 64: one set of points and one mixture (scikit-learn, 20 EM iterations on the points), then in
    alternate rounds ours (`mixture estep`: the soft E-step with its statistics, scoring only, the Vector256 and
    scalar layouts, and the hard E-step on the means) and GaussianMixture.predict_proba on the same points; both
    pinned to one core (taskset -c 0) with one BLAS/OpenMP thread, timed by the CPU clock, best of the rounds.
    Ours runs again with DOTNET_EnableAVX512=0 (the Vector256 path as the default; on .NET 10 the older
    DOTNET_EnableAVX512F=0 leaves Vector512 accelerated).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

HERE = os.path.dirname(os.path.abspath(__file__))
OURS = ["dotnet", os.path.join(HERE, "bin/Release/net10.0/StreamingClusters.Benchmarks.dll"), "mixture"]
ONE_CORE = ["taskset", "-c", "0"]
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def overlapping(seed, n, d=8, k=6):
    rng = np.random.default_rng(seed)
    priors = np.array([0.35, 0.25, 0.15, 0.12, 0.08, 0.05])
    spreads = rng.uniform(0.4, 2.0, size=(k, d))  # per-axis standard deviations, up to 5x apart
    means = rng.normal(0, 1.0, size=(k, d))  # within a few spreads of each other
    labels = rng.choice(k, size=n, p=priors)
    x = (means[labels] + spreads[labels] * rng.standard_normal((n, d))).astype(np.float32)
    return x, labels, means, spreads ** 2, priors


def as_mixture(means, variances, priors):
    gm = GaussianMixture(len(priors), covariance_type="diag")
    gm.weights_ = np.asarray(priors, dtype=float)
    gm.means_ = np.asarray(means, dtype=float)
    gm.covariances_ = np.asarray(variances, dtype=float)
    gm.precisions_cholesky_ = 1 / np.sqrt(gm.covariances_)
    return gm


def results(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("RESULT "):
            parts = line.split()
            out[parts[1]] = float(parts[-1])
    return out


def quality(args):
    print(f"# uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        x, truth, means, variances, priors = overlapping(seed, args.n)
        x64 = x.astype(np.float64)
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "points.f32")
            x.tofile(data)
            run = subprocess.run(OURS + ["fit", data, "8", "6", os.path.join(tmp, "out"), "--seed", str(seed)], capture_output=True, text=True, check=True)
            ours_figures = results(run.stdout)
            fitted = json.load(open(os.path.join(tmp, "out.json")))
            ours_labels = np.fromfile(os.path.join(tmp, "out.gmm-labels"), dtype=np.int32)
            kmeans_labels = np.fromfile(os.path.join(tmp, "out.kmeans-labels"), dtype=np.int32)
        start = time.perf_counter()
        sk = GaussianMixture(6, covariance_type="diag", n_init=3, random_state=0).fit(x64)
        sk_seconds = time.perf_counter() - start
        ours = as_mixture(fitted["means"], fitted["variances"], fitted["priors"])
        true_model = as_mixture(means, variances, priors)
        km_means = np.array([x64[kmeans_labels == c].mean(axis=0) for c in range(6)])
        km_vars = np.array([x64[kmeans_labels == c].var(axis=0) + 1e-6 for c in range(6)])
        km_priors = np.bincount(kmeans_labels, minlength=6) / len(x64)
        kmeans = as_mixture(km_means, km_vars, km_priors)
        row = {
            "seed": seed,
            "truth_ll": true_model.score(x64),
            "bayes_ari": adjusted_rand_score(truth, true_model.predict(x64)),
            "sk_ll": sk.score(x64),
            "sk_ari": adjusted_rand_score(truth, sk.predict(x64)),
            "ours_ll": ours.score(x64),
            "ours_ari": adjusted_rand_score(truth, ours_labels),
            "ours_vs_sk_ari": adjusted_rand_score(sk.predict(x64), ours_labels),
            "km_ll": kmeans.score(x64),
            "km_ari": adjusted_rand_score(truth, kmeans_labels),
            "ours_pass_s": ours_figures["gmm-pass-seconds"],
            "km_pass_s": ours_figures["kmeans-pass-seconds"],
            "sk_fit_s": sk_seconds,
            "sk_converged": sk.converged_,
        }
        rows.append(row)
        print(
            f"seed {seed}: ll/point truth {row['truth_ll']:.4f}  sklearn {row['sk_ll']:.4f}  ours {row['ours_ll']:.4f} "
            f"(ours - sklearn {row['ours_ll'] - row['sk_ll']:+.4f})  k-means as a mixture {row['km_ll']:.4f} | "
            f"ARI bayes {row['bayes_ari']:.4f}  sklearn {row['sk_ari']:.4f}  ours {row['ours_ari']:.4f} "
            f"(ours - sklearn {row['ours_ari'] - row['sk_ari']:+.4f}, ours vs sklearn {row['ours_vs_sk_ari']:.4f})  k-means {row['km_ari']:.4f} | "
            f"ours pass {row['ours_pass_s']:.2f} s, k-means pass {row['km_pass_s']:.2f} s, sklearn fit {row['sk_fit_s']:.2f} s (converged {row['sk_converged']})",
            flush=True)
    print("RESULT worst-ll-gap " + f"{min(r['ours_ll'] - r['sk_ll'] for r in rows):+.4f}")
    print("RESULT worst-ari-gap " + f"{min(r['ours_ari'] - r['sk_ari'] for r in rows):+.4f}")
    print("RESULT mean-kmeans-ari-deficit " + f"{np.mean([r['km_ari'] - r['sk_ari'] for r in rows]):+.4f}")
    print("RESULT mean-kmeans-ll-deficit " + f"{np.mean([r['km_ll'] - r['sk_ll'] for r in rows]):+.4f}")
    print(f"# uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def time_predict_proba(gm, x, seconds):
    gm.predict_proba(x)
    best = 0.0
    for _ in range(7):
        start = time.process_time()
        calls = 0
        while True:
            gm.predict_proba(x)
            calls += 1
            elapsed = time.process_time() - start
            if elapsed >= seconds / 7:
                break
        best = max(best, calls * len(x) / elapsed)
    return best


def estep(args):
    d, k = 16, 64
    rng = np.random.default_rng(19)
    centres = rng.uniform(-args.centres, args.centres, size=(k, d))
    spreads = rng.uniform(0.5, 2.5, size=(k, d))
    labels = rng.integers(0, k, size=args.n)
    x = (centres[labels] + spreads[labels] * rng.standard_normal((args.n, d))).astype(np.float32)
    x64 = x.astype(np.float64)
    gm = GaussianMixture(k, covariance_type="diag", max_iter=20, random_state=0).fit(x64)
    proba = gm.predict_proba(x64)
    print(f"# {args.n} points, d = {d}, k = {k}, centres in [-{args.centres:g}, {args.centres:g}]; responsibilities >= 2^-24 per point: {np.mean(np.sum(proba >= 2.0 ** -24, axis=1)):.2f}, "
          f"max responsibility mean {np.mean(proba.max(axis=1)):.3f}; sklearn mean log-likelihood {gm.score(x64):.6f}")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "points.f32")
        params = os.path.join(tmp, "params.json")
        x.tofile(data)
        json.dump({"means": gm.means_.tolist(), "variances": gm.covariances_.tolist(), "priors": gm.weights_.tolist()}, open(params, "w"))
        best = {}
        for round_ in range(args.rounds):
            print(f"# round {round_ + 1} of {args.rounds}; uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}", flush=True)
            for label, extra in (("", {}), ("avx512-off ", {"DOTNET_EnableAVX512": "0"})):
                run = subprocess.run(ONE_CORE + OURS + ["estep", data, params, str(d), str(k), "--seconds", str(args.seconds * 5)],
                                     capture_output=True, text=True, check=True, env={**os.environ, **ONE_THREAD, **extra})
                for line in run.stdout.splitlines():
                    if line.startswith("#") and round_ == 0:
                        print(f"# {label}{line[2:]}")
                for name, value in results(run.stdout).items():
                    best[label + name] = max(best.get(label + name, float("-inf")), value)
            code = ("import sys, json, numpy as np, pickle; sys.path.insert(0, %r); import compare_mixture as m; "
                    "gm = pickle.load(open(%r, 'rb')); x = np.fromfile(%r, dtype=np.float32).reshape(-1, %d).astype(np.float64); "
                    "print('RESULT sklearn-predict-proba-points-per-s', m.time_predict_proba(gm, x, %f))") % (HERE, os.path.join(tmp, "gm.pkl"), data, d, args.seconds * 2)
            import pickle
            pickle.dump(gm, open(os.path.join(tmp, "gm.pkl"), "wb"))
            run = subprocess.run(ONE_CORE + [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **ONE_THREAD})
            for name, value in results(run.stdout).items():
                best[name] = max(best.get(name, float("-inf")), value)
    for name, value in sorted(best.items()):
        print(f"RESULT {name} {value:.6g}")
    if "sklearn-predict-proba-points-per-s" in best:
        for name in ("soft-estep-points-per-s", "soft-score-points-per-s", "avx512-off soft-estep-points-per-s"):
            if name in best:
                print(f"RESULT ratio {name} / sklearn-predict-proba {best[name] / best['sklearn-predict-proba-points-per-s']:.2f}")
        print(f"RESULT ratio hard-estep / soft-estep {best['hard-estep-points-per-s'] / best['soft-estep-points-per-s']:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["quality", "estep"])
    parser.add_argument("--n", type=int)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--centres", type=float, default=5.0, help="estep: centres uniform in [-C, C]^16 (spreads 0.5 .. 2.5); smaller C, more overlap")
    args = parser.parse_args()
    if args.mode == "quality":
        args.n = args.n or 200_000
        quality(args)
    else:
        args.n = args.n or 65_536
        estep(args)


if __name__ == "__main__":
    main()
