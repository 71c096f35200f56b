#!/usr/bin/python3
"""Checks a finished local-parity run end to end through a live node's admin API.

Usage: ingress_check.py ADMIN_URL PLATFORM_RUN_ID [--cap N] [--token T] [--bus-only]
                        [--expect OUTPUT_ID=N]...

Reads the admitted topics record by record (GET /admin/bus/topics/T/records), decodes each
record's envelope (versioned msgpack array) and checks, per topic:
  - every record of the run carries a distinct event_id (each admitted event exactly once);
  - the record's key is the partitioning profile's key (merchant_id for context topics,
    flow_id for traffic) and its partition is murmur2(key) % partitions (the Java clients'
    partitioner);
  - the fp.event_id / fp.platform_run_id / fp.event_class headers match the envelope;
and against the node's counters (GET /metrics, GET /admin/wsp/runs):
  - WSP distinct sent == IG admitted + quarantined, POSTs == admitted + duplicate + quarantined;
  - records on the topic == admitted; publish_ambiguous == 0;
  - with --cap N: N distinct events sent per output.
--bus-only (after a node restart, whose counters started again) skips the counter equalities;
--expect OUTPUT_ID=N requires N distinct events of the run on that output's topic.
Prints a JSON summary per topic on stdout; exit 1 with the failed checks on stderr.
"""

import base64
import json
import sys
import urllib.error
import urllib.request

import msgpack

TOPICS = {
    "fp.bus.traffic.fraud.v1": ("traffic_fraud", "flow_id", "s3_event_stream_with_fraud_6B"),
    "fp.bus.context.arrival_events.v1": ("context_arrival", "merchant_id", "arrival_events_5B"),
    "fp.bus.context.arrival_entities.v1": ("context_arrival_entities", "merchant_id",
                                           "s1_arrival_entities_6B"),
    "fp.bus.context.flow_anchor.fraud.v1": ("context_flow_fraud", "merchant_id",
                                            "s3_flow_anchor_with_fraud_6B"),
}


def murmur2(data: bytes) -> int:
    """The Java clients' murmur2 (librdkafka's rd_kafka_msg_partitioner_murmur2)."""
    m = 0x5BD1E995
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = data[4 * n4:]
    if len(rest) >= 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def partition_for(key: str, partitions: int) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class Node:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def get(self, path):
        req = urllib.request.Request(self.url + path)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def json(self, path):
        return json.loads(self.get(path))


def parse_metrics(text):
    """{name: [(labels dict, value)]} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in name_labels:
            name, rest = name_labels.split("{", 1)
            for part in rest.rstrip("}").split(","):
                if part:
                    k, v = part.split("=", 1)
                    labels[k] = json.loads(v)
        else:
            name = name_labels
        out.setdefault(name, []).append((labels, float(value)))
    return out


def metric_sum(metrics, name, **want):
    total = 0
    for labels, value in metrics.get(name, []):
        if all(labels.get(k) == v for k, v in want.items()):
            total += value
    return int(total)


def read_page(node, topic, partition, start, tries=3):
    """One page of records; a 503 (the node's bus read timed out) is tried again."""
    path = f"/admin/bus/topics/{topic}/records?partition={partition}&from={start}&limit=1000"
    for attempt in range(tries):
        try:
            return node.json(path)
        except urllib.error.HTTPError as e:
            if e.code != 503 or attempt + 1 == tries:
                raise


def read_topic(node, topic, partitions):
    """Every record of every partition of `topic`: (partition, offset, key, headers, value)."""
    records = []
    for p in partitions:
        start = p["low"]
        while start < p["high"]:
            page = read_page(node, topic, p["partition"], start)
            for r in page["records"]:
                value = (base64.b64decode(r["value_base64"]) if "value_base64" in r
                         else r["value"].encode())
                headers = {h["key"]: h["value"] for h in r["headers"]}
                records.append((p["partition"], r["offset"], r["key"], headers, value))
            if page["next_from"] is None or page["next_from"] <= start:
                raise SystemExit(f"{topic}[{p['partition']}]: no records from offset {start}, "
                                 f"below the partition's high {p['high']}")
            start = page["next_from"]
    return records


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, prid = args[0], args[1]
    cap = None
    token = None
    bus_only = False
    expect = {}
    rest = args[2:]
    while rest:
        opt = rest.pop(0)
        if opt == "--cap":
            cap = int(rest.pop(0))
        elif opt == "--token":
            token = rest.pop(0)
        elif opt == "--bus-only":
            bus_only = True
        elif opt == "--expect":
            out_id, n = rest.pop(0).split("=", 1)
            expect[out_id] = int(n)
        else:
            print(f"ingress_check.py: unknown option {opt}", file=sys.stderr)
            return 2
    node = Node(url, token)
    problems = []
    bus = node.json("/admin/bus")
    topics = {t["name"]: t for t in bus["topics"]}
    metrics = parse_metrics(node.get("/metrics").decode())
    summary = {}
    for topic, (event_class, key_field, output_id) in TOPICS.items():
        if topic not in topics:
            problems.append(f"{topic}: not on the bus")
            continue
        nparts = topics[topic]["partitions"]
        seen = set()
        on_topic = 0
        for part, offset, key, headers, value in read_topic(node, topic, topics[topic]["offsets"]):
            env = msgpack.unpackb(value, raw=False)
            # [1, event_id, event_type, schema_version, ts_utc, emitted_at_utc, platform_run_id,
            #  scenario_run_id, scenario_id, manifest_fingerprint, parameter_hash, seed, payload]
            if env[0] != 1 or len(env) != 13:
                problems.append(f"{topic}[{part}]@{offset}: not an envelope v1 array")
                continue
            if env[6] != prid:
                continue
            on_topic += 1
            event_id = env[1]
            where = f"{topic}[{part}]@{offset} ({event_id[:12]}...)"
            if event_id in seen:
                problems.append(f"{where}: event admitted twice")
            seen.add(event_id)
            payload = json.loads(env[12] if isinstance(env[12], str) else env[12].decode())
            if key != payload.get(key_field):
                problems.append(f"{where}: key {key!r} is not payload.{key_field} "
                                f"{payload.get(key_field)!r}")
            if part != partition_for(key, nparts):
                problems.append(f"{where}: on partition {part}, murmur2 says "
                                f"{partition_for(key, nparts)}")
            if headers.get("fp.event_id") != event_id:
                problems.append(f"{where}: fp.event_id header {headers.get('fp.event_id')!r}")
            if headers.get("fp.event_class") != event_class:
                problems.append(f"{where}: fp.event_class header {headers.get('fp.event_class')!r}")
            if env[2] != output_id:
                problems.append(f"{where}: event_type {env[2]!r}")
        lbl = {"platform_run_id": prid, "event_class": event_class}
        admitted = metric_sum(metrics, "fp_ig_admitted_total", **lbl)
        duplicate = metric_sum(metrics, "fp_ig_duplicate_total", **lbl)
        quarantined = metric_sum(metrics, "fp_ig_quarantined_total", **lbl)
        received = metric_sum(metrics, "fp_ig_received_total", **lbl)
        ambiguous = metric_sum(metrics, "fp_ig_publish_ambiguous_total", platform_run_id=prid)
        unresolved = metric_sum(metrics, "fp_ig_publish_ambiguous_open")
        wl = {"platform_run_id": prid, "output_id": output_id}
        sent = metric_sum(metrics, "fp_wsp_sent_total", **wl)
        posts = metric_sum(metrics, "fp_wsp_posts_total", **wl)
        row = {"topic": topic, "event_class": event_class, "wsp_sent": sent, "wsp_posts": posts,
               "ig_received": received, "admitted": admitted, "duplicate": duplicate,
               "quarantined": quarantined, "on_topic": on_topic,
               "publish_ambiguous_seen": ambiguous, "publish_ambiguous_open": unresolved}
        summary[topic] = row
        if output_id in expect and on_topic != expect[output_id]:
            problems.append(f"{topic}: {on_topic} distinct events of the run on the topic, "
                            f"expected {expect[output_id]}")
        if unresolved != 0:
            problems.append(f"{topic}: {unresolved} publishes still ambiguous")
        if bus_only:
            continue
        if on_topic != admitted:
            problems.append(f"{topic}: {on_topic} records of the run on the topic, IG admitted "
                            f"{admitted}")
        if sent != admitted + quarantined:
            problems.append(f"{topic}: WSP sent {sent} distinct events, IG admitted {admitted} + "
                            f"quarantined {quarantined}")
        if posts != admitted + duplicate + quarantined:
            problems.append(f"{topic}: WSP made {posts} POSTs, IG answered admitted {admitted} + "
                            f"duplicate {duplicate} + quarantined {quarantined}")
        if received != posts:
            problems.append(f"{topic}: IG received {received} events, WSP made {posts} POSTs")
        if cap is not None and sent != cap:
            problems.append(f"{topic}: WSP sent {sent} distinct events, the cap is {cap}")
    for row in summary.values():
        print(json.dumps(row, sort_keys=True))
    for p in problems[:40]:
        print("ingress_check: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
