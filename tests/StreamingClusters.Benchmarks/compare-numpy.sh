#!/usr/bin/env bash
# Compares the hard E-step with numpy (BLAS product + argmin, norms precomputed) on the shapes of
# issue 5, and mini-batch k-means with scikit-learn's MiniBatchKMeans.partial_fit (batch 1024,
# d = 16, k = 64). Ours and theirs run in alternate rounds; the best of each figure over the rounds
# counts, and the ratios set figures of the same rounds side by side.
#
#   tests/StreamingClusters.Benchmarks/compare-numpy.sh [--rounds R] [--seconds S] [--avx2]
#
# Single core: every process is pinned with taskset -c 0, BLAS and OpenMP limited to one thread,
# and both sides timed by their thread's CPU clock (the machine is shared; preemption by other
# processes does not count). numpy also runs once more with its default threads, timed by the wall
# clock, for reference.
#
# Our figures are given against the FMA peak measured in the same process at the widest vector width
# the machine accelerates (Vector512, else Vector256, else Vector128), and against the peak at the
# width the kernels took.
#
# OpenBLAS: the runs unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (env -u) and print the kernel
# that threadpoolctl reports. Debian's OpenBLAS 0.3.21 does not know every recent CPU and may fall
# back to its generic Prescott (SSE3) kernel; numpy is then also measured with each OPENBLAS_CORETYPE
# this CPU can run (from /proc/cpuinfo: SkylakeX with AVX-512, Haswell and Zen with AVX2; see
# install-peers.sh), and the best of them is what we compare with. A peer that fails is left out.
#
# --avx2: our side on its AVX2 path (DOTNET_EnableAVX512=0: no Vector512, 16 vector registers, as on
# a CPU without AVX-512). The report then sets it against numpy's AVX2 kernels only (Haswell, Zen),
# and against the best of every kernel, which on an AVX-512 CPU includes OpenBLAS's AVX-512 one.
set -euo pipefail
cd "$(dirname "$0")"

rounds=3
seconds=1
avx2=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --avx2) avx2=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

source ./install-peers.sh

dotnet build -c Release --nologo -v quiet StreamingClusters.Benchmarks.csproj >/dev/null
ours=(dotnet bin/Release/net10.0/StreamingClusters.Benchmarks.dll --quick --seconds "$seconds" --minibatch)
[ "$avx2" = 1 ] && ours=(env "${dotnet_avx2_env[@]}" "${ours[@]}")
unset_blas=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
numpy=("$PY" compare_numpy.py measure --seconds "$seconds" --sklearn)
one_thread=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c 0)
coretypes=("${blas_avx512_coretypes[@]}" "${blas_avx2_coretypes[@]}")

out="$(mktemp -d)"
echo "# results in $out"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); OpenBLAS kernels tried besides the detected one: ${coretypes[*]:-none}; ours on $([ "$avx2" = 1 ] && echo "the AVX2 path (${dotnet_avx2_env[*]})" || echo "the widest path")"
for round in $(seq "$rounds"); do
    echo "# round $round of $rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
    "${one_thread[@]}" "${ours[@]}" | tee -a "$out/ours.txt" | grep -c RESULT >/dev/null
    run_peer "${one_thread[@]}" "${unset_blas[@]}" "${numpy[@]}" --clock cpu >>"$out/numpy-detected.txt"
    for coretype in "${coretypes[@]}"; do
        run_peer "${one_thread[@]}" "${unset_blas[@]}" OPENBLAS_CORETYPE="$coretype" "${numpy[@]}" --clock cpu >>"$out/numpy-$coretype.txt"
    done
    run_peer "${unset_blas[@]}" "${numpy[@]}" --clock wall >>"$out/numpy-all-threads.txt"
done

echo
for file in numpy-detected "${coretypes[@]/#/numpy-}" numpy-all-threads; do
    [ -f "$out/$file.txt" ] || continue
    echo "# $file: $(grep -m1 'internal_api=openblas' "$out/$file.txt" | sed 's/^# threadpool: //')"
done

# The better single-thread numpy of several kernels, figure by figure: best.py OUT NAME FILE...
best() {
    "$PY" - "$@" <<'PYTHON'
import os, re, sys
out, name, files = sys.argv[1], sys.argv[2], sys.argv[3:]
best = {}
for path in files:
    if not os.path.exists(path):
        continue
    for line in open(path):
        m = re.match(r"RESULT (\S+) d=(\d+) k=(\d+) (\S+)", line)
        if m:
            key = m.group(1, 2, 3)
            best[key] = max(best.get(key, 0.0), float(m.group(4)))
with open(f"{out}/{name}.txt", "w") as f:
    for (what, d, k), v in best.items():
        f.write(f"RESULT {what} d={d} k={k} {v:.6g}\n")
PYTHON
}
all_files=("$out/numpy-detected.txt")
for coretype in "${coretypes[@]}"; do all_files+=("$out/numpy-$coretype.txt"); done
best "$out" numpy-best "${all_files[@]}"

echo
echo "## against numpy with the kernel OpenBLAS detects (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)"
"$PY" compare_numpy.py report "$out/ours.txt" "$out/numpy-detected.txt" "$out/numpy-all-threads.txt"
if [ "${#blas_avx2_coretypes[@]}" -gt 0 ]; then
    avx2_files=()
    for coretype in "${blas_avx2_coretypes[@]}"; do avx2_files+=("$out/numpy-$coretype.txt"); done
    best "$out" numpy-best-avx2 "${avx2_files[@]}"
    echo
    echo "## against the best single-thread numpy of OpenBLAS's AVX2 kernels (${blas_avx2_coretypes[*]}, figure by figure)"
    "$PY" compare_numpy.py report "$out/ours.txt" "$out/numpy-best-avx2.txt" "$out/numpy-all-threads.txt"
fi
echo
echo "## against the best single-thread numpy of every kernel (detected ${coretypes[*]}, figure by figure)"
"$PY" compare_numpy.py report "$out/ours.txt" "$out/numpy-best.txt" "$out/numpy-all-threads.txt"
