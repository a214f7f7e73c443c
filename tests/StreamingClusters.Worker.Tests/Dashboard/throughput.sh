#!/usr/bin/env bash
# How much one open page costs the worker: the worker reads a 1M-row CSV (d = 16, 64 blobs) from
# standard input with HTTP on (config/benchmark.json, --urls), once with no browser and once with the
# page open in headless Chromium (Debian's chromium), alternately, round after round. Two more arms
# tell the page's own cost from the browser's: "stream" reads the page's event stream with curl (what
# a page viewed from another machine costs the worker), "blank" runs the browser on about:blank. Each run starts
# the worker, waits for it to listen (and, with a page, for the page to connect), then times from the
# first byte of the CSV's timed part (after the first 20,000 rows have made a model and the browser
# has drawn it and settled) to GET /model reporting every point applied (polled every 20 ms in all arms).
# A harness, not a test: the machine is shared, so compare the arms of the same run.
#
#   tests/StreamingClusters.Worker.Tests/Dashboard/throughput.sh [--rounds R] [--points N] [--interval 100ms] [--arms "none stream blank page"]
#
# --interval is the page's (its default, 100ms) and the stream arm's ?interval=.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rounds=3
points=1000000
interval=100ms
warm=20000
arms="none stream blank page"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --points) points="$2"; shift 2 ;;
        --interval) interval="$2"; shift 2 ;;
        --arms) arms="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build "$root/src/StreamingClusters.Worker" -c Release --nologo -v quiet >/dev/null
worker=(dotnet "$root/src/StreamingClusters.Worker/bin/Release/net10.0/StreamingClusters.Worker.dll")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
csv="$out/blobs.csv"
awk -v n="$points" 'BEGIN {
    srand(12345); d = 16; k = 64
    for (c = 0; c < k; c++) for (j = 0; j < d; j++) centre[c, j] = 20 * rand() - 10
    for (i = 0; i < n; i++) {
        c = int(k * rand()); line = ""
        for (j = 0; j < d; j++) {
            # Box-Muller: unit-variance noise around the centre
            g = sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand())
            line = line (j ? "," : "") sprintf("%.4f", centre[c, j] + g)
        }
        print line
    }
}' > "$csv"
echo "# CSV: $points x 16, $(( $(stat -c %s "$csv") / 1000000 )) MB; the first $warm rows warm up, the rest are timed"
head -n "$warm" "$csv" > "$out/warm.csv"
tail -n +"$((warm + 1))" "$csv" > "$out/timed.csv"

port=$(( 20000 + RANDOM % 20000 ))
url="http://127.0.0.1:$port"
applied() { curl -s "$url/model" | grep -o '"pointsApplied":[0-9]*' | cut -d: -f2; }

cpu() { # CPU seconds (user + system) of the given processes, all their threads
    local pid ticks=0
    for pid in "$@"; do
        ticks=$(( ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
    done
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

run() { # $1: none | stream (the page's stream read by curl) | blank (the browser on about:blank) | page
    local fifo="$out/in.fifo" wpid bpid="" start end w0 w1 b0=0 b1=0
    rm -f "$fifo"; mkfifo "$fifo"
    "${worker[@]}" --config "$root/config/benchmark.json" --input - --urls "$url" --quiet < "$fifo" > /dev/null 2>&1 &
    wpid=$!
    exec 4> "$fifo"
    until curl -s -o /dev/null "$url/healthz"; do sleep 0.05; done
    # A model first, so that the timed part sees a worker (and a page) past their first snapshot.
    cat "$out/warm.csv" >&4
    until [ "$(applied)" = "$warm" ]; do sleep 0.05; done
    if [ "$1" = stream ]; then
        # What one open page asks of the worker, without a browser on this machine: its stream.
        setsid curl -sN "$url/model/stream?interval=$interval" > /dev/null &
        bpid=$!
        until ss -tn state established "( sport = :$port )" | grep -q 127.0.0.1; do sleep 0.05; done
        b0=$(cpu $(ps -o pid= -s "$bpid"))
    elif [ "$1" != none ]; then
        local target="$url/?interval=$interval"
        [ "$1" = blank ] && target=about:blank
        setsid chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking \
            --disable-component-update --no-first-run --disable-sync --window-size=1280,1200 "$target" > /dev/null 2>&1 &
        bpid=$!
        # Connected: the stream's socket is open on the worker's port.
        [ "$1" = page ] && until ss -tn state established "( sport = :$port )" | grep -q 127.0.0.1; do sleep 0.05; done
        # Let the browser settle before the clock starts: its start-up takes seconds of CPU. Settled
        # is a second in which all its processes took less than 50 ms.
        b0=$(cpu $(ps -o pid= -s "$bpid"))
        for _ in $(seq 1 30); do
            sleep 1
            b1=$(cpu $(ps -o pid= -s "$bpid"))
            if awk -v a="$b0" -v b="$b1" 'BEGIN { exit !(b - a < 0.05) }'; then break; fi
            b0=$b1
        done
        b0=$(cpu $(ps -o pid= -s "$bpid"))
    fi
    w0=$(cpu "$wpid")
    start=$(date +%s.%N)
    cat "$out/timed.csv" >&4
    exec 4>&-
    until [ "$(applied)" = "$points" ]; do sleep 0.02; done
    end=$(date +%s.%N)
    w1=$(cpu "$wpid")
    if [ -n "$bpid" ]; then
        b1=$(cpu $(ps -o pid= -s "$bpid"))
        kill -- -"$bpid" 2>/dev/null || true
        wait "$bpid" 2>/dev/null || true
    fi
    kill -TERM "$wpid"; wait "$wpid" 2>/dev/null || true
    awk -v s="$start" -v e="$end" -v n="$((points - warm))" -v arm="$1" -v w="$w0" -v w1="$w1" -v b="$b0" -v b1="$b1" \
        'BEGIN { printf "%-5s %6.3f s  %9.0f points/s  worker CPU %5.2f s  browser CPU %5.2f s\n", arm, e - s, n / (e - s), w1 - w, b1 - b }'
}

for r in $(seq 1 "$rounds"); do
    echo "# round $r"
    for arm in $arms; do
        run "$arm"
    done
done
