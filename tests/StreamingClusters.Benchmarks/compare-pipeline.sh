#!/usr/bin/env bash
# Whole-run comparison with scikit-learn (issue 5): the in-process pipeline (library API, Parallelism
# 1 and 2) against MiniBatchKMeans(n_clusters=64, batch_size=1024).partial_fit over the same in-memory
# points, and the worker process end to end (CSV file -> final snapshot) against pandas.read_csv +
# partial_fit over the same file. Ours and theirs run alternately, round after round, on the same
# machine in the same run; the best round of each counts. Wall clock throughout (whole runs use
# every core they are given; the machine is shared, so compare ratios, not absolute figures).
#
#   tests/StreamingClusters.Benchmarks/compare-pipeline.sh [--rounds R] [--points N] [--csv-points M] [--csv-only] [--avx2]
#
# --avx2: each round also runs our side on its AVX2 path (DOTNET_EnableAVX512=0: no Vector512, 16 vector
# registers, as on a CPU without AVX-512), alternating with the default path, so that both kinds of
# machine are measured in the same run; the summary gives each against the peers.
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
# peers also run once per round on one thread with each OPENBLAS_CORETYPE this CPU can run (from
# /proc/cpuinfo: SkylakeX with AVX-512, Haswell and Zen with AVX2; see install-peers.sh) and the best of
# all their configurations counts; the kernel threadpoolctl reports is printed. A peer that fails is left
# out (the run goes on to the CSV comparison).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

rounds=3
points=4000000
csv_points=1000000
csv_only=0
avx2=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --points) points="$2"; shift 2 ;;
        --csv-points) csv_points="$2"; shift 2 ;;
        --csv-only) csv_only=1; shift ;;
        --avx2) avx2=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

source "$here/install-peers.sh"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build "$root/StreamingClusters.sln" -c Release --nologo -v quiet >/dev/null
bench=(dotnet "$here/bin/Release/net10.0/StreamingClusters.Benchmarks.dll" pipeline)
worker=(dotnet "$root/src/StreamingClusters.Worker/bin/Release/net10.0/StreamingClusters.Worker.dll")
# The peers' environment: OpenBLAS left to detect the CPU unless a kernel is named after these options.
blas=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
peer=("${blas[@]}" "$PY" "$here/compare_pipeline.py")
coretypes=("${blas_avx512_coretypes[@]}" "${blas_avx2_coretypes[@]}")
echo "# OpenBLAS kernels tried besides the detected one: ${coretypes[*]:-none}"
kinds=(default)
[ "$avx2" = 1 ] && kinds+=(avx2)
# ours_env KIND: the environment of our side for a kind of machine.
ours_env() { if [ "$1" = avx2 ]; then echo "${dotnet_avx2_env[@]}"; fi; }

out="$(mktemp -d)"
echo "# results in $out"
[ "$csv_only" = 1 ] && points=$csv_points
"${bench[@]}" --write-data "$out/blobs.f32" --points "$points"
"${peer[@]}" write-csv "$out/blobs.f32" "$out/blobs.csv" "$csv_points"
csv_mb=$("$PY" -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$out/blobs.csv")
echo "# CSV: $csv_points x 16, $csv_mb MB"

now() { date +%s.%N; }
for round in $(seq "$rounds"); do
    echo "# round $round of $rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
    # In memory: ours (Parallelism 1 and 2, one round each; each kind of machine in turn), scikit-learn
    # (default threads, one thread, one thread with each kernel named).
    if [ "$csv_only" = 0 ]; then
    for kind in "${kinds[@]}"; do
        tag=""
        [ "$kind" = avx2 ] && tag="avx2-"
        env $(ours_env "$kind") "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 1 --no-latency \
            | sed "s/^# round/# ($kind) round/; s/RESULT pipeline-/RESULT ${tag}pipeline-/" | tee -a "$out/ours.txt" | grep '^# (.*) round'
        env $(ours_env "$kind") taskset -c 0 "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 1 --no-latency --parallelism 1 \
            | sed "s/^# round 1 parallelism 1/# ($kind) one core (taskset -c 0), parallelism 1/; s/RESULT pipeline-/RESULT ${tag}pipeline-1core-/" \
            | tee -a "$out/ours.txt" | grep '^# (.*) one core'
    done
    run_peer "${peer[@]}" partial-fit "$out/blobs.f32" "$points" | tee -a "$out/sklearn.txt" | grep -v '^RESULT' || true
    "${blas[@]}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" "$here/compare_pipeline.py" partial-fit "$out/blobs.f32" "$points" \
        | sed 's/sklearn-points-per-s/sklearn-1t-points-per-s/' | tee -a "$out/sklearn.txt" | grep -v '^RESULT' || true
    # OpenBLAS's kernels named outright, one thread: on CPUs its detection does not know it falls back
    # to a generic kernel, so these are the peer's other candidates for its best configuration.
    for coretype in "${coretypes[@]}"; do
        "${blas[@]}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_CORETYPE="$coretype" "$PY" "$here/compare_pipeline.py" partial-fit "$out/blobs.f32" "$points" \
            | sed "s/sklearn-points-per-s/sklearn-$coretype-points-per-s/" | tee -a "$out/sklearn.txt" | grep -v '^RESULT' || true
    done
    fi
    # CSV to snapshot: the worker process end to end (each kind), then pandas + partial_fit (default
    # threads, one thread, one thread with each kernel named), each timed in-process (without Python's
    # start and imports) and as a whole process.
    for kind in "${kinds[@]}"; do
        tag=""
        [ "$kind" = avx2 ] && tag="avx2-"
        start=$(now)
        env $(ours_env "$kind") "${worker[@]}" --input "$out/blobs.csv" --clusters 64 --quiet --snapshot-out "$out/snapshot.json" \
            --config "$root/config/benchmark.json" >"$out/worker-$kind-$round.txt" 2>&1
        end=$(now)
        echo "RESULT ${tag}worker-csv-seconds $(echo "$end - $start" | bc -l)" | tee -a "$out/ours.txt"
    done
    for threads in "default threads" "1 thread" "${coretypes[@]/#/1 thread, }"; do
        limit=("${blas[@]}")
        [ "$threads" != "default threads" ] && limit+=(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)
        case "$threads" in "1 thread, "*) limit+=(OPENBLAS_CORETYPE="${threads#1 thread, }") ;; esac
        start=$(now)
        status=0
        "${limit[@]}" "$PY" "$here/compare_pipeline.py" csv "$out/blobs.csv" | sed "s/^# pandas/# ($threads) pandas/" | tee -a "$out/pandas.txt" | grep -v '^RESULT' || status=$?
        end=$(now)
        if [ "$status" = 0 ]; then
            echo "RESULT pandas-process-seconds $(echo "$end - $start" | bc -l)" >>"$out/pandas.txt"
        else
            echo "# ($threads) pandas + partial_fit failed, left out"
        fi
    done
done

echo
echo "## summary (best round of each; ratios ours / theirs)"
"$PY" - "$out" "$csv_mb" "${blas_avx2_coretypes[*]}" <<'PYTHON'
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
peers = {}
for label, value in re.findall(r"RESULT sklearn-(?:(\S+)-)?points-per-s (\S+)", lines):
    peers[label or "default"] = max(peers.get(label or "default", 0.0), float(value))
names = {"default": "default threads", "1t": "one thread"}
avx2_kernels = set(sys.argv[3].split()) if len(sys.argv) > 3 else set()
def peer_best(keep=lambda label: True):
    chosen = {k: v for k, v in peers.items() if keep(k)}
    if not chosen:
        return float("nan"), "none"
    label = max(chosen, key=chosen.get)
    return chosen[label], names.get(label, f"one thread, OPENBLAS_CORETYPE={label}")
skb, skn = peer_best()
w = best(r"RESULT worker-csv-seconds (\S+)", min)
wa = best(r"RESULT avx2-worker-csv-seconds (\S+)", min)
pd = best(r"RESULT pandas-csv-seconds (\S+)", min)
pdp = best(r"RESULT pandas-process-seconds (\S+)", min)
if not csv_only:
    print(f"pipeline in-process, Parallelism 1: {p1/1e6:.2f}M points/s; Parallelism 2: {p2/1e6:.2f}M points/s; 1->2 cores {p2/p1:.2f}x")
    print(f"  steady state (after the seeded model is published: k-means++ and Lloyd on the first 8192 points): P=1 {s1/1e6:.2f}M, P=2 {s2/1e6:.2f}M points/s; 1->2 cores {s2/s1:.2f}x")
    print(f"  the whole process on one core (taskset -c 0, Parallelism 1): {c1/1e6:.2f}M points/s, steady {cs1/1e6:.2f}M; one core -> two (Parallelism 2): {p2/c1:.2f}x whole run, {s2/cs1:.2f}x steady")
    print("sklearn MiniBatchKMeans.partial_fit: " + ", ".join(f"{names.get(k, 'one thread, ' + k)} {v/1e6:.3f}M points/s" for k, v in peers.items()))
    print(f"ratio pipeline P=2 / sklearn's best configuration ({skn}): {p2/skb:.1f}x whole run, {s2/skb:.1f}x steady; pipeline P=1 / sklearn one thread: {p1/peers.get('1t', float('nan')):.1f}x whole run")
    a2 = best(r"RESULT avx2-pipeline-points-per-s p=2 round=\d+ (\S+)")
    if a2 == a2:
        a1 = best(r"RESULT avx2-pipeline-points-per-s p=1 round=\d+ (\S+)")
        as2 = best(r"RESULT avx2-pipeline-steady-points-per-s p=2 round=\d+ (\S+)")
        ac1 = best(r"RESULT avx2-pipeline-1core-points-per-s p=1 round=\d+ (\S+)")
        ska, ska_name = peer_best(lambda label: label in avx2_kernels)
        print(f"our AVX2 path (DOTNET_EnableAVX512=0): Parallelism 1 {a1/1e6:.2f}M, Parallelism 2 {a2/1e6:.2f}M points/s (steady {as2/1e6:.2f}M), one core {ac1/1e6:.2f}M")
        print(f"  ratio AVX2 path P=2 / sklearn's best configuration ({skn}): {a2/skb:.1f}x whole run; / sklearn's best on an AVX2 BLAS kernel ({ska_name}): {a2/ska:.1f}x")
print(f"CSV to snapshot ({mb:.1f} MB): worker process {w:.2f} s = {mb/w:.1f} MB/s; pandas.read_csv + partial_fit (best threads) {pd:.2f} s in-process = {mb/pd:.1f} MB/s, {pdp:.2f} s as a process")
print(f"  ratio worker process / pandas+partial_fit process: {pdp/w:.1f}x; worker process / pandas+partial_fit in-process only: {pd/w:.1f}x")
if wa == wa:
    print(f"  our AVX2 path (DOTNET_EnableAVX512=0): worker process {wa:.2f} s = {mb/wa:.1f} MB/s; ratio to pandas+partial_fit process {pdp/wa:.1f}x")
PYTHON
