#!/usr/bin/python3
"""Reads a run's IG receipts back from a stopped node's object store and holds them against
the per-topic summary ingress_check.py printed.

Usage: receipts_check.py FP DATA_DIR PLATFORM_RUN_ID SUMMARY_JSONL [--after-restart]

Checks: every ADMIT receipt carries the fields seed 002 lists plus policy_rev and
service_release_id; each receipt is stored under its own receipt_id; one ADMIT receipt per
admitted tuple; per event class, ADMIT receipts == the events on the topic. Without
--after-restart (whose IG counters started again) also: DUPLICATE receipts == IG's duplicates,
and the re-send knob produced some. Exit 1 with the problems on stdout.
"""

import json
import subprocess
import sys

NEED = {"platform_run_id", "scenario_run_id", "event_class", "payload_hash", "admitted_at_utc",
        "eb_ref", "policy_rev", "service_release_id", "decision", "receipt_id"}


def receipts(fp, data, prid):
    """(ref, receipt) of every receipt of the run, read in chunks of 2000 objects."""
    ls = subprocess.run([fp, "objects", "ls", f"fraud-platform/{prid}/ig/receipts/", "--data",
                         data, "--json"], check=True, capture_output=True, text=True).stdout
    refs = [json.loads(l)["ref"] for l in ls.splitlines()]
    out = []
    for i in range(0, len(refs), 2000):
        chunk = refs[i:i + 2000]
        text = subprocess.run([fp, "objects", "cat", *chunk, "--data", data], check=True,
                              capture_output=True, text=True).stdout
        bodies = text.splitlines() if len(chunk) > 1 else [text]
        out += zip(chunk, (json.loads(b) for b in bodies))
    return out


def main():
    args = sys.argv[1:]
    after_restart = "--after-restart" in args
    args = [a for a in args if a != "--after-restart"]
    if len(args) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    fp, data, prid, summary = args
    rows = [json.loads(l) for l in open(summary) if l.strip()]
    on_topic = {r["event_class"]: r["on_topic"] for r in rows}
    duplicate = {r["event_class"]: r["duplicate"] for r in rows}
    by, tuples, problems = {}, {}, []
    for ref, r in receipts(fp, data, prid):
        key = (r.get("decision"), r.get("event_class"))
        by[key] = by.get(key, 0) + 1
        missing = NEED - set(r)
        if missing and r.get("decision") == "ADMIT":
            problems.append(f"{ref}: missing {sorted(missing)}")
        if r.get("platform_run_id") != prid:
            problems.append(f"{ref}: platform_run_id {r.get('platform_run_id')}")
        if not ref.endswith("/" + r.get("receipt_id", "?") + ".json"):
            problems.append(f"{ref}: receipt_id {r.get('receipt_id')} is not its name")
        if r.get("decision") == "ADMIT":
            t = (r["event_class"], r.get("event_id"))
            tuples[t] = tuples.get(t, 0) + 1
    for cls, n in on_topic.items():
        if by.get(("ADMIT", cls), 0) != n:
            problems.append(f"{cls}: {by.get(('ADMIT', cls), 0)} ADMIT receipts, {n} on the topic")
        if not after_restart and by.get(("DUPLICATE", cls), 0) != duplicate[cls]:
            problems.append(f"{cls}: {by.get(('DUPLICATE', cls), 0)} DUPLICATE receipts, "
                            f"{duplicate[cls]} duplicates")
    twice = [t for t, n in tuples.items() if n != 1]
    if twice:
        problems.append(f"{len(twice)} tuples with more than one ADMIT receipt")
    if sum(on_topic.values()) == 0:
        problems.append("nothing was admitted")
    if not after_restart and sum(duplicate.values()) == 0:
        problems.append("the re-send knob produced no duplicates")
    for p in problems[:20]:
        print("not ok - " + p)
    if problems:
        return 1
    dup = "" if after_restart else (f"; {sum(duplicate.values())} DUPLICATE receipts, "
                                    "one per duplicate")
    print(f"ok   - {sum(on_topic.values())} ADMIT receipts, one per admitted event{dup}; "
          "fields as seed 002 lists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
