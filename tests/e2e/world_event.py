"""An event of a sealed world's run, as WSP sends it to IG (DESIGN.md §6 event_id).

usage: world_event.py OUT WORLD OUTPUT LINE MF PH PRID SRID SEED [EDIT]

Writes to OUT the envelope of line LINE of OUTPUT's part-00000.jsonl under WORLD (outputs
s3_event_stream_with_fraud_6B and arrival_events_5B), for platform run PRID and scenario run
SRID. EDIT, if given, is Python run on the envelope `e` before it is written (a test's bad
input); a str left in `e` is written as it is.
"""
import hashlib
import json
import struct
import sys

KEYS = {"s3_event_stream_with_fraud_6B": ["flow_id", "event_seq"],
        "arrival_events_5B": ["merchant_id", "arrival_seq"]}


def H(*parts):
    h = hashlib.sha256()
    for p in parts:
        b = p.encode()
        h.update(struct.pack(">Q", len(b)) + b)
    return h.hexdigest()


def event(world, output, line, mf, ph, prid, srid, seed):
    row = json.loads(open(f"{world}/outputs/{output}/part-00000.jsonl").readlines()[int(line)])
    return {"event_id": H(mf, output, *[str(row[k]) for k in KEYS[output]]), "event_type": output,
            "schema_version": "v1", "ts_utc": row["ts_utc"], "platform_run_id": prid,
            "scenario_run_id": srid, "scenario_id": "baseline_v1", "manifest_fingerprint": mf,
            "parameter_hash": ph, "seed": int(seed), "payload": row}


if __name__ == "__main__":
    out, world, output, line, mf, ph, prid, srid, seed = sys.argv[1:10]
    edit = sys.argv[10] if len(sys.argv) > 10 else ""
    e = event(world, output, line, mf, ph, prid, srid, seed)
    if edit:
        exec(edit)
    open(out, "w").write(json.dumps(e) if not isinstance(e, str) else e)
