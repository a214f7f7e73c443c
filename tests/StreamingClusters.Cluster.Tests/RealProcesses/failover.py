#!/usr/bin/env python3
"""Three workers in cluster mode on one Redis, points posted to all three; one silo is killed with SIGKILL.

    python3 tests/StreamingClusters.Cluster.Tests/RealProcesses/failover.py REDIS_PORT host|ingest

'host' kills the silo that holds the model (the one that logged "Model 'line-1' activated"), 'ingest'
one that only takes points. Prints the points acknowledged (200s) and the model's pointsApplied, which
must be equal, and the longest wait between two answers of a surviving silo after the kill. Build first:
dotnet build src/StreamingClusters.Worker -c Release. Run from the repository root; logs go to /tmp.
"""
import atexit, json, os, random, signal, subprocess, sys, threading, time, urllib.request

ROOT = os.getcwd()
WORKER = os.path.join(ROOT, "src/StreamingClusters.Worker/bin/Release/net10.0/StreamingClusters.Worker.dll")
REDIS_PORT = int(sys.argv[1])
VICTIM = sys.argv[2]
BASE = REDIS_PORT % 100

redis = subprocess.Popen(["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
procs = {}


def log_path(i):
    return f"/tmp/cluster-failover-w{i}-{VICTIM}.log"


def start(i):
    procs[i] = subprocess.Popen(
        ["dotnet", WORKER, "--urls", f"http://127.0.0.1:56{BASE:02d}{i}", "--cluster-redis", f"127.0.0.1:{REDIS_PORT}",
         "--silo-port", str(12000 + BASE * 10 + i), "--gateway-port", str(31000 + BASE * 10 + i), "--dimensions", "2", "--clusters", "3"],
        cwd=ROOT, stdout=open(log_path(i), "w"), stderr=subprocess.STDOUT)


def cleanup():
    for p in procs.values():
        if p.poll() is None:
            p.kill()
    if redis.poll() is None:
        redis.terminate()


atexit.register(cleanup)


def call(i, path, data=None, method=None, ctype="text/csv; header=absent"):
    req = urllib.request.Request(f"http://127.0.0.1:56{BASE:02d}{i}{path}", data=data, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=90) as r:
        return json.loads(r.read())


for i in (1, 2, 3):
    start(i)
for i in (1, 2, 3):
    for _ in range(240):
        try:
            call(i, "/models")
            break
        except Exception:
            time.sleep(0.5)
call(1, "/models/line-1", json.dumps({"Clusters": 3, "Dimensions": 2, "Seeding": {"BufferSize": 300}}).encode(), "PUT", "application/json")

random.seed(1)


def body(n):
    rows = []
    for _ in range(n):
        c = random.randrange(3)
        rows.append(f"{c * 10 + random.random():.4f},{c * 5 + random.random():.4f}\n")
    return "".join(rows).encode()


acked = {1: 0, 2: 0, 3: 0}
failed = {1: 0, 2: 0, 3: 0}
answers = []
lock = threading.Lock()
stop = False


def feeder(i):
    last = time.time()
    while not stop:
        try:
            r = call(i, "/models/line-1/points", body(100))
            now = time.time()
            with lock:
                acked[i] += r["accepted"]
                answers.append((now - last, now))
            last = now
        except Exception:
            with lock:
                failed[i] += 1
            if procs[i].poll() is not None:
                return
            time.sleep(0.05)


threads = [threading.Thread(target=feeder, args=(i,)) for i in (1, 2, 3)]
for t in threads:
    t.start()
time.sleep(4)
holds = [i for i in (1, 2, 3) if "Model 'line-1' activated" in open(log_path(i)).read()]
victim = holds[0] if VICTIM == "host" else next(i for i in (1, 2, 3) if i not in holds)
killed = time.time()
os.kill(procs[victim].pid, signal.SIGKILL)
time.sleep(8)
stop = True
for t in threads:
    t.join()
survivor = next(i for i in (1, 2, 3) if i != victim)
model = call(survivor, "/models/line-1")
print(json.dumps({
    "killed": VICTIM, "acknowledged": sum(acked.values()), "pointsApplied": model["pointsApplied"],
    "postsWithoutAnswer": failed, "longestWaitAfterKill_s": round(max((g for g, t in answers if t > killed), default=0), 2),
    "version": model["version"]}))
