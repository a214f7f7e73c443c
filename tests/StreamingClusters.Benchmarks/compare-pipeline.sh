#!/usr/bin/env bash
# Whole-run comparison with scikit-learn (issue 5): the in-process pipeline (library API, Parallelism
# 1 and 2) against MiniBatchKMeans(n_clusters=64, batch_size=1024).partial_fit over the same in-memory
# points, and the worker process end to end (CSV file -> final snapshot) against pandas.read_csv +
# partial_fit over the same file. Ours and theirs run alternately, round after round, on the same
# machine in the same run; the best round of each counts. Wall clock throughout (whole runs use
# every core they are given; the machine is shared, so compare ratios, not absolute figures).
#
#   tests/StreamingClusters.Benchmarks/compare-pipeline.sh [--rounds R] [--points N] [--csv-points M] [--csv-only]
#
# --csv-only runs only the CSV-to-snapshot comparison (the worker process against pandas + partial_fit).
# "1 -> 2 cores" is given twice: Parallelism 1 against 2 with the whole machine (the writer already has
# a core of its own at Parallelism 1), and the whole process held to one core (taskset -c 0,
# Parallelism 1) against the whole process on two (Parallelism 2).
# The peers run with default threads and with one; the best of each counts (on a busy 2-core machine
# OpenBLAS's default threads can be many times slower than one).
#
# Data: blobs, d = 16, k = 64 centres uniform in [-10, 10]^16, unit-variance normal noise, seed 12345,
# generated once by `StreamingClusters.Benchmarks pipeline --write-data` as float32; both sides read
# that file (the CSV is written from it too).
# OpenBLAS: scikit-learn runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (env -u); Debian's
# OpenBLAS 0.3.21 may then pick its generic Prescott kernel on this CPU (see compare-numpy.sh), so the
# peers also run once per round on one thread with OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernel) and
# the best of all their configurations counts; the kernel threadpoolctl reports is printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

rounds=3
points=4000000
csv_points=1000000
csv_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --points) points="$2"; shift 2 ;;
        --csv-points) csv_points="$2"; shift 2 ;;
        --csv-only) csv_only=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

source "$here/install-peers.sh"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build "$root/StreamingClusters.sln" -c Release --nologo -v quiet >/dev/null
bench=(dotnet "$here/bin/Release/net10.0/StreamingClusters.Benchmarks.dll" pipeline)
worker=(dotnet "$root/src/StreamingClusters.Worker/bin/Release/net10.0/StreamingClusters.Worker.dll")
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$here/compare_pipeline.py")
peer_skx=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX "$PY" "$here/compare_pipeline.py")

out="$(mktemp -d)"
echo "# results in $out"
[ "$csv_only" = 1 ] && points=$csv_points
"${bench[@]}" --write-data "$out/blobs.f32" --points "$points"
"${peer[@]}" write-csv "$out/blobs.f32" "$out/blobs.csv" "$csv_points"
csv_mb=$("$PY" -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$out/blobs.csv")
echo "# CSV: $csv_points x 16, $csv_mb MB"

now() { date +%s.%N; }
for round in $(seq "$rounds"); do
    echo "# round $round of $rounds"
    # In memory: ours (Parallelism 1 and 2, one round each), scikit-learn (default threads, then one).
    if [ "$csv_only" = 0 ]; then
    "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 1 --no-latency | tee -a "$out/ours.txt" | grep '^# round'
    taskset -c 0 "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 1 --no-latency --parallelism 1 \
        | sed 's/^# round 1 parallelism 1/# one core (taskset -c 0), parallelism 1/; s/RESULT pipeline-/RESULT pipeline-1core-/' \
        | tee -a "$out/ours.txt" | grep '^# one core'
    "${peer[@]}" partial-fit "$out/blobs.f32" "$points" | tee -a "$out/sklearn.txt" | grep -v '^RESULT'
    env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "${peer[@]}" partial-fit "$out/blobs.f32" "$points" \
        | sed 's/sklearn-points-per-s/sklearn-1t-points-per-s/' | tee -a "$out/sklearn.txt" | grep -v '^RESULT'
    # OpenBLAS's AVX-512 kernel named outright, one thread: on CPUs its detection does not know it falls
    # back to a generic kernel, so this is the peer's other candidate for its best configuration.
    env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "${peer_skx[@]}" partial-fit "$out/blobs.f32" "$points" \
        | sed 's/sklearn-points-per-s/sklearn-skx-points-per-s/' | tee -a "$out/sklearn.txt" | grep -v '^RESULT'
    fi
    # CSV to snapshot: the worker process end to end, then pandas + partial_fit (default threads, then
    # one), each timed in-process (without Python's start and imports) and as a whole process.
    start=$(now)
    "${worker[@]}" --input "$out/blobs.csv" --clusters 64 --quiet --snapshot-out "$out/snapshot.json" \
        --config "$root/config/benchmark.json" >"$out/worker-$round.txt" 2>&1
    end=$(now)
    echo "RESULT worker-csv-seconds $(echo "$end - $start" | bc -l)" | tee -a "$out/ours.txt"
    for threads in "default threads" "1 thread" "1 thread, SkylakeX"; do
        limit=()
        runner=("${peer[@]}")
        [ "$threads" = "1 thread" ] && limit=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)
        [ "$threads" = "1 thread, SkylakeX" ] && limit=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1) && runner=("${peer_skx[@]}")
        start=$(now)
        "${limit[@]}" "${runner[@]}" csv "$out/blobs.csv" | sed "s/^# pandas/# ($threads) pandas/" | tee -a "$out/pandas.txt" | grep -v '^RESULT'
        end=$(now)
        echo "RESULT pandas-process-seconds $(echo "$end - $start" | bc -l)" >>"$out/pandas.txt"
    done
done

echo
echo "## summary (best round of each; ratios ours / theirs)"
"$PY" - "$out" "$csv_mb" <<'PYTHON'
import re, sys
out, mb = sys.argv[1], float(sys.argv[2])
import os
def text(name):
    return open(f"{out}/{name}").read() if os.path.exists(f"{out}/{name}") else ""
lines = text("ours.txt") + text("sklearn.txt") + text("pandas.txt")
csv_only = "RESULT pipeline-points-per-s" not in lines
def best(pattern, fn=max):
    vals = [float(v) for v in re.findall(pattern, lines)]
    return fn(vals) if vals else float("nan")
p1 = best(r"RESULT pipeline-points-per-s p=1 round=\d+ (\S+)")
p2 = best(r"RESULT pipeline-points-per-s p=2 round=\d+ (\S+)")
s1 = best(r"RESULT pipeline-steady-points-per-s p=1 round=\d+ (\S+)")
s2 = best(r"RESULT pipeline-steady-points-per-s p=2 round=\d+ (\S+)")
c1 = best(r"RESULT pipeline-1core-points-per-s p=1 round=\d+ (\S+)")
cs1 = best(r"RESULT pipeline-1core-steady-points-per-s p=1 round=\d+ (\S+)")
sk = best(r"RESULT sklearn-points-per-s (\S+)")
sk1 = best(r"RESULT sklearn-1t-points-per-s (\S+)")
skx = best(r"RESULT sklearn-skx-points-per-s (\S+)")
w = best(r"RESULT worker-csv-seconds (\S+)", min)
pd = best(r"RESULT pandas-csv-seconds (\S+)", min)
pdp = best(r"RESULT pandas-process-seconds (\S+)", min)
skb = max(sk, sk1, skx)
skn = "default threads" if skb == sk else "one thread" if skb == sk1 else "one thread, SkylakeX kernel"
if not csv_only:
    print(f"pipeline in-process, Parallelism 1: {p1/1e6:.2f}M points/s; Parallelism 2: {p2/1e6:.2f}M points/s; 1->2 cores {p2/p1:.2f}x")
    print(f"  steady state (after the seeded model is published: k-means++ and Lloyd on the first 8192 points): P=1 {s1/1e6:.2f}M, P=2 {s2/1e6:.2f}M points/s; 1->2 cores {s2/s1:.2f}x")
    print(f"  the whole process on one core (taskset -c 0, Parallelism 1): {c1/1e6:.2f}M points/s, steady {cs1/1e6:.2f}M; one core -> two (Parallelism 2): {p2/c1:.2f}x whole run, {s2/cs1:.2f}x steady")
    print(f"sklearn MiniBatchKMeans.partial_fit: default threads {sk/1e6:.3f}M points/s, one thread {sk1/1e6:.3f}M points/s, one thread with OPENBLAS_CORETYPE=SkylakeX {skx/1e6:.3f}M points/s")
    print(f"ratio pipeline P=2 / sklearn's best configuration ({skn}): {p2/skb:.1f}x whole run, {s2/skb:.1f}x steady; pipeline P=1 / sklearn one thread: {p1/sk1:.1f}x whole run, {s1/sk1:.1f}x steady")
print(f"CSV to snapshot ({mb:.1f} MB): worker process {w:.2f} s = {mb/w:.1f} MB/s; pandas.read_csv + partial_fit (best threads) {pd:.2f} s in-process = {mb/pd:.1f} MB/s, {pdp:.2f} s as a process")
print(f"  ratio worker process / pandas+partial_fit process: {pdp/w:.1f}x; worker process / pandas+partial_fit in-process only: {pd/w:.1f}x")
PYTHON
