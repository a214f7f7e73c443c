#!/usr/bin/env bash
# Compares the hard E-step with numpy (BLAS product + argmin, norms precomputed) on the shapes of
# issue 5, and mini-batch k-means with scikit-learn's MiniBatchKMeans.partial_fit (batch 1024,
# d = 16, k = 64). Ours and theirs run in alternate rounds; the best of each figure over the rounds
# counts, and the ratios set figures of the same rounds side by side.
#
#   tests/StreamingClusters.Benchmarks/compare-numpy.sh [--rounds R] [--seconds S]
#
# Single core: every process is pinned with taskset -c 0, BLAS and OpenMP limited to one thread,
# and both sides timed by their thread's CPU clock (the machine is shared; preemption by other
# processes does not count). numpy also runs once more with its default threads, timed by the wall
# clock, for reference.
#
# OpenBLAS: the runs unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (env -u) and print the kernel
# that threadpoolctl reports. Debian's OpenBLAS 0.3.21 does not know every recent CPU and may fall
# back to its generic Prescott (SSE3) kernel; numpy is then also measured with
# OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernel), and the better of the two is what we compare with.
set -euo pipefail
cd "$(dirname "$0")"

rounds=3
seconds=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

source ./install-peers.sh

dotnet build -c Release --nologo -v quiet StreamingClusters.Benchmarks.csproj >/dev/null
ours=(dotnet bin/Release/net10.0/StreamingClusters.Benchmarks.dll --quick --seconds "$seconds" --minibatch)
unset_blas=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
numpy=("$PY" compare_numpy.py measure --seconds "$seconds" --sklearn)
one_thread=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c 0)

out="$(mktemp -d)"
echo "# results in $out"
for round in $(seq "$rounds"); do
    echo "# round $round of $rounds"
    "${one_thread[@]}" "${ours[@]}" | tee -a "$out/ours.txt" | grep -c RESULT >/dev/null
    "${one_thread[@]}" "${unset_blas[@]}" "${numpy[@]}" --clock cpu >>"$out/numpy-detected.txt"
    "${one_thread[@]}" "${unset_blas[@]}" OPENBLAS_CORETYPE=SkylakeX "${numpy[@]}" --clock cpu >>"$out/numpy-skylakex.txt"
    "${unset_blas[@]}" "${numpy[@]}" --clock wall >>"$out/numpy-all-threads.txt"
done

echo
for file in numpy-detected numpy-skylakex numpy-all-threads; do
    echo "# $file: $(grep -m1 'internal_api=openblas' "$out/$file.txt" | sed 's/^# threadpool: //')"
done

# The better single-thread numpy of the two kernels, figure by figure.
"$PY" - "$out" <<'PYTHON'
import re, sys
out = sys.argv[1]
best = {}
for name in ("numpy-detected", "numpy-skylakex"):
    for line in open(f"{out}/{name}.txt"):
        m = re.match(r"RESULT (\S+) d=(\d+) k=(\d+) (\S+)", line)
        if m:
            key = m.group(1, 2, 3)
            best[key] = max(best.get(key, 0.0), float(m.group(4)))
with open(f"{out}/numpy-best.txt", "w") as f:
    for (what, d, k), v in best.items():
        f.write(f"RESULT {what} d={d} k={k} {v:.6g}\n")
PYTHON

echo
echo "## against numpy with the kernel OpenBLAS detects (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)"
"$PY" compare_numpy.py report "$out/ours.txt" "$out/numpy-detected.txt" "$out/numpy-all-threads.txt"
echo
echo "## against the best single-thread numpy (detected or SkylakeX kernel, figure by figure)"
"$PY" compare_numpy.py report "$out/ours.txt" "$out/numpy-best.txt" "$out/numpy-all-threads.txt"
