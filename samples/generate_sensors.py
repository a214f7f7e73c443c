#!/usr/bin/env python3
"""Generates samples/sensors.csv: a seeded, sensor-like stream for StreamingClusters.

A machine moves between five operating modes (idle, warm-up, full load, cooling, overload). Each
mode is a cluster of six readings whose centre drifts slowly over the run, as wear and the seasons
move real plants. About one row in a thousand is broken the way real feeds break (a missing field,
an ERR token, NaN, a torn line), so the run also shows dead-lettering.

    python3 samples/generate_sensors.py [rows] [seed] > samples/sensors.csv
"""
import math
import random
import sys

COLUMNS = ["timestamp", "temperature", "pressure", "vibration", "current", "flow", "rpm", "machine"]

# Centre of each mode at the start of the run, and how far it drifts by the end (per reading).
MODES = {
    "idle":     ([21.0, 1.00, 0.05, 0.4, 0.0, 0.0], [1.5, 0.02, 0.01, 0.05, 0.0, 0.0]),
    "warm-up":  ([45.0, 2.50, 0.40, 6.0, 12.0, 900.0], [3.0, 0.10, 0.05, 0.5, 1.0, 40.0]),
    "full":     ([78.0, 6.00, 1.20, 18.0, 42.0, 2900.0], [4.0, -0.30, 0.30, 1.0, -3.0, -60.0]),
    "cooling":  ([55.0, 1.80, 0.20, 2.5, 5.0, 300.0], [-2.0, 0.05, 0.02, 0.2, 0.5, 10.0]),
    "overload": ([96.0, 7.80, 2.60, 27.0, 51.0, 3300.0], [2.0, 0.20, 0.50, 1.5, 2.0, 80.0]),
}
SPREAD = [1.2, 0.12, 0.08, 0.6, 1.5, 45.0]
# Mode transitions: where a machine goes next, with weights, and how long it stays (rows).
NEXT = {
    "idle": (["warm-up"], [1]),
    "warm-up": (["full", "idle"], [9, 1]),
    "full": (["cooling", "overload"], [6, 4]),
    "overload": (["cooling"], [1]),
    "cooling": (["idle", "warm-up"], [6, 4]),
}
STAY = {"idle": 300, "warm-up": 120, "full": 600, "cooling": 200, "overload": 150}


def broken(rng, fields):
    kind = rng.randrange(4)
    if kind == 0:
        fields[rng.randrange(1, 7)] = ""
    elif kind == 1:
        fields[rng.randrange(1, 7)] = "ERR"
    elif kind == 2:
        fields[rng.randrange(1, 7)] = "NaN"
    else:
        line = ",".join(fields)
        return line[: rng.randrange(5, len(line) - 5)]
    return ",".join(fields)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    out = sys.stdout
    out.write(",".join(COLUMNS) + "\n")
    mode, left = "idle", STAY["idle"]
    t0 = 1_767_225_600  # 2026-01-01T00:00:00Z, one reading a second
    for i in range(rows):
        if left == 0:
            names, weights = NEXT[mode]
            mode = rng.choices(names, weights)[0]
            left = max(10, int(rng.expovariate(1.0 / STAY[mode])))
        left -= 1
        progress = i / rows
        centre, drift = MODES[mode]
        values = []
        for j in range(6):
            v = centre[j] + drift[j] * progress + rng.gauss(0.0, SPREAD[j] * (0.6 + 0.4 * math.sin(i / 5000.0 + j) ** 2))
            values.append(max(0.0, v) if j != 0 else v)
        fields = [str(t0 + i)] + [f"{v:.4g}" for v in values] + ["press-07"]
        line = broken(rng, fields) if rng.random() < 0.001 else ",".join(fields)
        out.write(line + "\n")


if __name__ == "__main__":
    main()
