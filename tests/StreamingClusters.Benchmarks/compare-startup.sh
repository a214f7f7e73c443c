#!/usr/bin/env bash
# The worker's start-up, as a user runs it: a published build (dotnet publish -c Release), its
# executable started directly, on an empty CSV (start, find no record, stop: the time to be ready to
# read a first record, and to leave) and on a 1,000-row CSV (-- clusters 4, --quiet, a snapshot
# written). Wall clock from the shell's fork to the process's exit, and user + system CPU, over N runs
# that alternate between the builds given; prints the median and the best of each.
#
#   tests/StreamingClusters.Benchmarks/compare-startup.sh [--runs 20] [--baseline PUBLISHED_DIR] [--avx2]
#
# --baseline DIR: a second published build (e.g. of another commit) run in alternation with this one.
# --avx2: the runs with DOTNET_EnableAVX512=0 (see install-peers.sh).
# Runs from the repository root, as the other scripts do, so appsettings.json is the repository's.
# `dotnet run` is not a start-up measurement: it builds and starts the SDK first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

runs=20
baseline=""
avx2=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        --avx2) avx2=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

out="$(mktemp -d)"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# results in $out"
dotnet publish "$root/src/StreamingClusters.Worker" -c Release -o "$out/publish" --nologo -v quiet >/dev/null
: >"$out/empty.csv"
/usr/bin/python3 - "$out/rows1000.csv" <<'PYTHON'
import random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    for _ in range(1000):
        f.write(",".join(f"{random.gauss(0, 1):.4f}" for _ in range(16)) + "\n")
PYTHON

builds=("$out/publish")
[ -n "$baseline" ] && builds+=("$baseline")
environment=()
[ "$avx2" = 1 ] && environment=(DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0)

cd "$root"
for run in $(seq "$runs"); do
    for b in "${!builds[@]}"; do
        for input in empty rows1000; do
            start=$(date +%s%N)
            /usr/bin/time -f "%U %S" -o "$out/cpu" env "${environment[@]}" "${builds[$b]}/StreamingClusters.Worker" \
                --input "$out/$input.csv" --clusters 4 --quiet --snapshot-out "$out/snapshot.json" >/dev/null 2>&1 || true
            end=$(date +%s%N)
            echo "$b $input $(( (end - start) / 1000 )) $(tail -1 "$out/cpu")" >>"$out/runs.txt"
        done
    done
done

/usr/bin/python3 - "$out/runs.txt" "${builds[@]}" <<'PYTHON'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for b, build in enumerate(sys.argv[2:]):
    for input in ("empty", "rows1000"):
        wall = [int(r[2]) / 1e6 for r in rows if r[0] == str(b) and r[1] == input]
        cpu = [float(r[3]) + float(r[4]) for r in rows if r[0] == str(b) and r[1] == input]
        print(f"RESULT startup-{input}-seconds build={b} median {statistics.median(wall):.3f} best {min(wall):.3f}"
              f" cpu-median {statistics.median(cpu):.3f} cpu-best {min(cpu):.3f} runs {len(wall)}  # {build}")
PYTHON
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
