#!/usr/bin/env bash
# One core against two for the in-process pipeline (issue 5, "1 -> 2 cores"), in alternating pairs:
# the whole process held to one core (taskset -c 0, Parallelism 1), then the whole process on every core
# (Parallelism 2), the same binary and data, N times. Each process runs 2 rounds after its warm-up and
# counts its best. Prints every pair, then the best and the median of each side and their ratios.
# Each pair also runs two one-core processes at once, one held to each core, started together on the same
# work: two pipelines that share nothing but the machine. Their sum over one core alone is the most any
# single pipeline could gain from the second core here, since one pipeline must hand each batch between
# its threads and two independent ones never do.
# On a shared host one figure can swing by half from one minute to the next; alternating many pairs and
# reading best and median together is what makes the ratio mean something.
#
#   tests/StreamingClusters.Benchmarks/compare-cores.sh [--pairs 10] [--points 4000000]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

pairs=10
points=4000000
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) pairs="$2"; shift 2 ;;
        --points) points="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build "$root/StreamingClusters.sln" -c Release --nologo -v quiet >/dev/null
bench=(dotnet "$here/bin/Release/net10.0/StreamingClusters.Benchmarks.dll" pipeline)
out="$(mktemp -d)"
"${bench[@]}" --write-data "$out/blobs.f32" --points "$points" >/dev/null

# Best "whole steady" of one process's rounds, in M points/s.
best() {
    grep -E '^# round [0-9]+ parallelism [0-9]+: [0-9]+ points' \
        | sed -E 's/.*= ([0-9.]+)M points\/s.*steady state after it ([0-9.]+)M.*/\1 \2/' \
        | sort -n | tail -1
}

: > "$out/pairs.txt"
for pair in $(seq "$pairs"); do
    one=$(taskset -c 0 "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 2 --no-latency --parallelism 1 | best)
    two=$("${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 2 --no-latency --parallelism 2 | best)
    taskset -c 0 "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 2 --no-latency --parallelism 1 > "$out/core0.txt" &
    taskset -c 1 "${bench[@]}" --data "$out/blobs.f32" --points "$points" --rounds 2 --no-latency --parallelism 1 > "$out/core1.txt"
    wait
    apart=$(paste -d' ' <(best < "$out/core0.txt") <(best < "$out/core1.txt") | awk '{ printf "%.2f %.2f", $1 + $3, $2 + $4 }')
    echo "$one $two $apart" >> "$out/pairs.txt"
    echo "# pair $pair (load $(cut -d' ' -f1 /proc/loadavg)): one core $one, two cores $two, two one-core processes at once $apart (M points/s, whole run and after seeding)"
done

python3 - "$out/pairs.txt" <<'EOF'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
one_whole, one_steady, two_whole, two_steady, apart_whole, apart_steady = zip(*rows)
def line(name, values):
    return f"{name}: best {max(values):.2f}M, median {statistics.median(values):.2f}M"
print("## summary (M points/s; each entry the best of a process's 2 rounds)")
print(line("one core, whole run", one_whole) + "; " + line("after seeding", one_steady))
print(line("two cores, whole run", two_whole) + "; " + line("after seeding", two_steady))
print(line("two one-core processes at once (sum), whole run", apart_whole) + "; " + line("after seeding", apart_steady))
print(f"1 -> 2 cores: best / best {max(two_whole) / max(one_whole):.2f}x whole run, {max(two_steady) / max(one_steady):.2f}x after seeding; "
      f"median / median {statistics.median(two_whole) / statistics.median(one_whole):.2f}x, {statistics.median(two_steady) / statistics.median(one_steady):.2f}x")
print(f"what the second core gives two pipelines that share nothing: best / best {max(apart_whole) / max(one_whole):.2f}x whole run, {max(apart_steady) / max(one_steady):.2f}x after seeding; "
      f"median / median {statistics.median(apart_whole) / statistics.median(one_whole):.2f}x, {statistics.median(apart_steady) / statistics.median(one_steady):.2f}x")
print(f"within each pair (the three runs minutes apart at most), median of the ratios, whole run: two cores / one core "
      f"{statistics.median(t / o for t, o in zip(two_whole, one_whole)):.2f}x, two one-core processes / one core "
      f"{statistics.median(a / o for a, o in zip(apart_whole, one_whole)):.2f}x")
print(f"one pipeline's share of that bound (median / median, whole run): {statistics.median(two_whole) / statistics.median(apart_whole):.2f}")
print(f"RESULT cores-1to2 best {max(two_whole) / max(one_whole):.3f} steady {max(two_steady) / max(one_steady):.3f}")
EOF
rm -rf "$out"
