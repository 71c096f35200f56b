#!/usr/bin/env python3
"""Is the fraud in a generated world learnable, but not trivially?

Generates a world with the real `fp`, joins the context outputs to the traffic and the truth
the way the platform will (merchant_id + arrival_seq -> flow_id), computes past-only features
per flow (device and IP sharing, card and device velocity, hour, merchant risk, new device,
amount), fits a logistic regression (IRLS, pure Python) on the first half in time order and
scores the second half. The AUC must land in [0.75, 0.97]: learnable, never a giveaway.

usage: world_learnability.py FP
"""
import collections
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

RISKY_MCC = {"5818", "5732", "5947", "5944", "4511"}


def rows(world, output):
    for path in sorted(glob.glob(os.path.join(world, "*", output, "part-*.jsonl"))):
        with open(path) as f:
            for line in f:
                yield json.loads(line)


def seconds(ts):  # worlds of a few days: day-of-month arithmetic is enough
    return ((int(ts[8:10]) * 24 + int(ts[11:13])) * 60 + int(ts[14:16])) * 60 + int(ts[17:19])


def features(world):
    amount = {r["flow_id"]: r["amount"] for r in rows(world, "s3_event_stream_with_fraud_6B")
              if r["event_seq"] == 0}
    dev_acc, ip_acc, acc_dev = (collections.defaultdict(set) for _ in range(3))
    card_t, dev_t, acc_amt = (collections.defaultdict(list) for _ in range(3))
    X, Y = [], []
    for a, e, f, t in zip(rows(world, "arrival_events_5B"), rows(world, "s1_arrival_entities_6B"),
                          rows(world, "s3_flow_anchor_with_fraud_6B"),
                          rows(world, "s4_flow_truth_6B")):
        assert (a["merchant_id"], a["arrival_seq"]) == (f["merchant_id"], f["arrival_seq"])
        assert (e["merchant_id"], e["arrival_seq"]) == (f["merchant_id"], f["arrival_seq"])
        assert t["flow_id"] == f["flow_id"]
        now, amt = seconds(a["ts_utc"]), amount[f["flow_id"]]
        dev, acc = e["device_id"], e["account_id"]
        dev_acc[dev].add(acc)
        ip_acc[e["ip_address"]].add(acc)
        new_device = dev not in acc_dev[acc] and len(acc_dev[acc]) > 0
        acc_dev[acc].add(dev)
        card_recent = sum(1 for x in card_t[e["instrument_id"]] if now - x <= 600)
        card_t[e["instrument_id"]].append(now)
        dev_recent = sum(1 for x in dev_t[dev] if now - x <= 600)
        dev_t[dev].append(now)
        past = acc_amt[acc]
        ratio = math.log(amt / (sum(past) / len(past))) if past else 0.0
        first_seen = 0.0 if past else 1.0
        past.append(amt)
        hour = (now // 3600) % 24
        X.append([1.0, math.log1p(len(dev_acc[dev])), math.log1p(len(ip_acc[e["ip_address"]])),
                  min(card_recent, 5), min(dev_recent, 5), 1.0 if hour < 6 else 0.0,
                  1.0 if a["mcc"] in RISKY_MCC else 0.0, 1.0 if new_device else 0.0,
                  math.log(amt) / 5, 1.0 if amt < 5 else 0.0, 1.0 if amt > 1000 else 0.0, ratio,
                  first_seen])
        Y.append(1.0 if t["is_fraud"] else 0.0)
    return X, Y


def solve(A, b):
    m = len(b)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(m):
        p = max(range(c, m), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        for r in range(m):
            if r != c:
                f = M[r][c] / M[c][c]
                for q in range(c, m + 1):
                    M[r][q] -= f * M[c][q]
    return [M[i][m] / M[i][i] for i in range(m)]


def fit(X, Y, iterations=10):
    k = len(X[0])
    w = [0.0] * k
    for _ in range(iterations):
        H = [[1e-3 if i == j else 0.0 for j in range(k)] for i in range(k)]
        g = [0.0] * k
        for x, y in zip(X, Y):
            z = max(-30.0, min(30.0, sum(wi * xi for wi, xi in zip(w, x))))
            p = 1 / (1 + math.exp(-z))
            q = p * (1 - p)
            for i in range(k):
                g[i] += (p - y) * x[i]
                xq = x[i] * q
                for j in range(i, k):
                    H[i][j] += xq * x[j]
        for i in range(k):
            for j in range(i):
                H[i][j] = H[j][i]
        w = [wi - di for wi, di in zip(w, solve(H, g))]
    return w


def auc(scores, labels):
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        rank_sum += (i + 1 + j) / 2 * sum(1 for q in range(i, j) if pairs[q][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def main():
    fp = sys.argv[1]
    with tempfile.TemporaryDirectory() as root:
        out = subprocess.run([fp, "world", "generate", "--seed", "21", "--flows", "40000",
                              "--merchants", "100", "--out", root],
                             check=True, capture_output=True, text=True).stdout
        X, Y = features(json.loads(out)["world"])
    cut = len(X) // 2
    w = fit(X[:cut], Y[:cut])
    score = auc([sum(wi * xi for wi, xi in zip(w, x)) for x in X[cut:]], Y[cut:])
    print(f"flows {len(X)}, fraud rate {sum(Y) / len(Y):.4f}, "
          f"held-out AUC of a logistic regression {score:.4f}")
    if not 0.75 <= score <= 0.97:
        print("FAIL - AUC outside [0.75, 0.97]: fraud is a coin flip or a giveaway")
        return 1
    print("ok   - fraud is learnable but not trivially")
    return 0


if __name__ == "__main__":
    sys.exit(main())
