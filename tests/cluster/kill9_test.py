"""kill -9 test of fpnode: no acknowledged add is ever lost.

Several concurrent clients send adds (each with a unique amount) to many counters through the
ingress route and record every add answered 200. fpnode is SIGKILLed mid-stream, restarted on
the same data dir, and, through the admin API, every counter must hold at least the sum of
its acknowledged adds and exactly the sum of the adds whose events are in its journal; every
acknowledged add's event must be in the journal. Then a clean stop and `fp replay verify`.

usage: kill9_test.py FPNODE FP SOURCE_DIR   (stdlib only; run with /usr/bin/python3)
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

FPNODE, FP, SRC = sys.argv[1:4]
CLIENTS, COUNTERS, KILL_AFTER_ACKS = 8, 40, 1500
failed = False


def report(ok, what):
    global failed
    print(("ok   - " if ok else "FAIL - ") + what, flush=True)
    failed = failed or not ok


def start(profile, data, log):
    ports = os.path.join(data, "fpnode.ports.json")
    if os.path.exists(ports):
        os.remove(ports)
    proc = subprocess.Popen([FPNODE, "--profile", profile, "--data", data], stdout=log, stderr=log)
    for _ in range(400):
        try:
            with open(ports) as f:
                p = json.load(f)
            if p["pid"] == proc.pid:
                return proc, p["admin"], p["ingress"]
        except (OSError, ValueError):
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit("fpnode did not start (see its log)")


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, body


def client(port, index, next_id, lock, acked, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        with lock:
            next_id[0] += 1
            amount = next_id[0]
        key = "k%03d" % ((amount * 7 + index) % COUNTERS)
        body = json.dumps({"op": "add", "amount": amount, "at": "2026-01-01T00:00:00Z"})
        try:
            conn.request("POST", "/v1/testkit/counters/" + key, body,
                         {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            return  # the node is gone: this add may or may not be durable
        if r.status == 200:
            with lock:
                acked.setdefault(key, set()).add(amount)


def journal_amounts(port, key):
    amounts, start = [], 1
    while start is not None:
        pid = urllib.parse.quote("counter/" + key, safe="")
        status, body = get(port, "/admin/journal/%s?from=%d&limit=1000" % (pid, start))
        if status == 404:
            return amounts
        amounts += [e["payload"][1] for e in body["events"]]
        start = body["next_from"]
    return amounts


def main():
    work = tempfile.mkdtemp(prefix="fp_kill9_")
    data = os.path.join(work, "data")
    profile = os.path.join(work, "node.yaml")
    with open(os.path.join(SRC, "config/profiles/local_parity.yaml")) as f:
        text = re.sub(r"port: 847[01]", "port: 0", f.read())
        text = re.sub(r"(?m)^  planes: .*$", "  planes: [testkit]", text)  # the counters it drives
        text = text.replace("snapshot_every: 100", "snapshot_every: 10")  # recover via snapshots
    with open(profile, "w") as f:
        f.write(text)
    log = open(os.path.join(work, "node.log"), "ab")

    node, admin, ingress = start(profile, data, log)
    lock, stop, next_id, acked = threading.Lock(), threading.Event(), [0], {}
    threads = [threading.Thread(target=client, args=(ingress, i, next_id, lock, acked, stop))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        with lock:
            n = sum(len(v) for v in acked.values())
        if n >= KILL_AFTER_ACKS:
            break
        time.sleep(0.01)
    node.send_signal(signal.SIGKILL)
    node.wait()
    stop.set()
    for t in threads:
        t.join()
    with lock:
        sent = next_id[0]
        acks = sum(len(v) for v in acked.values())
    report(acks >= KILL_AFTER_ACKS, "%d adds acknowledged of %d sent before kill -9" % (acks, sent))

    node, admin, ingress = start(profile, data, log)
    report(True, "fpnode restarts on the killed node's data dir")
    lost, wrong, in_journal = [], [], 0
    for i in range(COUNTERS):
        key = "k%03d" % i
        amounts = journal_amounts(admin, key)
        in_journal += len(amounts)
        status, body = get(admin, "/admin/entities/counter/" + key)
        value = body["state"]["value"] if status == 200 else 0
        acked_here = acked.get(key, set())
        lost += sorted(acked_here - set(amounts))
        if value != sum(amounts) or value < sum(acked_here) or len(set(amounts)) != len(amounts):
            wrong.append((key, value, sum(amounts), sum(acked_here)))
    report(not lost, "every acknowledged add is in its counter's journal (lost: %s)" % lost[:10])
    report(not wrong, "every counter = the sum of its journaled adds >= its acknowledged adds "
           "(wrong: %s)" % wrong[:5])
    report(in_journal >= acks, "%d adds journaled, %d acknowledged" % (in_journal, acks))
    status, body = get(admin, "/admin/entities/counter?limit=1000")
    total = sum(body["counts"].values())
    report(status == 200 and total == COUNTERS,
           "admin/entities counts all %d counters after the restart (%s)" % (COUNTERS, body["counts"]))

    node.send_signal(signal.SIGTERM)
    report(node.wait(timeout=30) == 0, "SIGTERM after recovery exits 0")
    verify = subprocess.run([FP, "replay", "verify", "--data", data], capture_output=True, text=True)
    report(verify.returncode == 0, "fp replay verify passes after kill -9 and restart: " +
           verify.stdout.strip().replace("\n", "; "))
    if not failed:
        subprocess.run(["rm", "-rf", work])
    else:
        print("kept " + work + " for inspection")
    sys.exit(1 if failed else 0)


main()
