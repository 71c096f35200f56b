#!/usr/bin/env bash
# The local-parity flow end to end on the embedded bus, as `make demo` runs it (tools/demo.sh):
# fp world -> fpnode (sr, ig, wsp) -> fp sr run -> READY -> WSP streams 4 outputs (cap 200,
# 5% re-sent) -> IG -> EB. tools/demo.sh already fails unless, per topic, WSP's distinct events
# == admitted + quarantined, POSTs == admitted + duplicate + quarantined, IG received == POSTs,
# every admitted event is on its topic exactly once on the partition murmur2(key) picks, and no
# publish is left ambiguous (tests/e2e/ingress_check.py). Here, after the node stopped, the
# object store is read back: one ADMIT receipt per admitted event, one DUPLICATE receipt per
# duplicate, each carrying the fields seed 002 lists plus policy_rev and service_release_id.
#
# Usage: ingress_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: ingress_test.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: ingress_test.sh BUILD_DIR SOURCE_DIR}
WORK=$(mktemp -d /tmp/ingress_e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

DEMO_SPEEDUP=100000 DEMO_RESEND_BP=500 bash "$SRC/tools/demo.sh" "$BUILD" "$WORK/demo" 11 \
  >"$WORK/demo.out" 2>"$WORK/demo.err" || {
  echo "not ok - the local-parity flow failed:"; sed 's/^/    /' "$WORK/demo.err" "$WORK/demo.out"; exit 1; }
echo "ok   - world -> SR -> READY -> WSP -> IG -> EB: per-topic counts and bus records check out"
sed 's/^/    /' "$WORK/demo.out"

/usr/bin/python3 - "$BUILD/tools/fp/fp" "$WORK/demo" <<'EOF'
import json, subprocess, sys
fp, demo = sys.argv[1], sys.argv[2]
data = demo + "/node"
prid = json.load(open(demo + "/sr_run.json"))["platform_run_id"]
rows = [json.loads(l) for l in open(demo + "/summary.jsonl")]
admitted = {r["event_class"]: r["admitted"] for r in rows}
duplicate = {r["event_class"]: r["duplicate"] for r in rows}
ls = subprocess.run([fp, "objects", "ls", f"fraud-platform/{prid}/ig/receipts/", "--data", data,
                     "--json"], check=True, capture_output=True, text=True).stdout.splitlines()
refs = [json.loads(l)["ref"] for l in ls]
bodies = []
for i in range(0, len(refs), 2000):
    out = subprocess.run([fp, "objects", "cat", *refs[i:i + 2000], "--data", data], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    bodies += [json.loads(b) for b in out] if len(refs[i:i + 2000]) > 1 else [json.loads(out[0])]
by = {}
tuples = {}
problems = []
need = {"platform_run_id", "scenario_run_id", "event_class", "payload_hash", "admitted_at_utc",
        "eb_ref", "policy_rev", "service_release_id", "decision", "receipt_id"}
for ref, r in zip(({"ref": x} for x in refs), bodies):
    key = (r.get("decision"), r.get("event_class"))
    by[key] = by.get(key, 0) + 1
    missing = need - set(r)
    if missing and r.get("decision") == "ADMIT":
        problems.append(f"{ref['ref']}: missing {sorted(missing)}")
    if r.get("platform_run_id") != prid:
        problems.append(f"{ref['ref']}: platform_run_id {r.get('platform_run_id')}")
    if not ref["ref"].endswith("/" + r.get("receipt_id", "?") + ".json"):
        problems.append(f"{ref['ref']}: receipt_id {r.get('receipt_id')} is not its name")
    if r.get("decision") == "ADMIT":
        t = (r["event_class"], r.get("event_id"))
        tuples[t] = tuples.get(t, 0) + 1
for cls, n in admitted.items():
    if by.get(("ADMIT", cls), 0) != n:
        problems.append(f"{cls}: {by.get(('ADMIT', cls), 0)} ADMIT receipts, {n} admitted")
    if by.get(("DUPLICATE", cls), 0) != duplicate[cls]:
        problems.append(f"{cls}: {by.get(('DUPLICATE', cls), 0)} DUPLICATE receipts, "
                        f"{duplicate[cls]} duplicates")
twice = [t for t, n in tuples.items() if n != 1]
if twice:
    problems.append(f"{len(twice)} tuples with more than one ADMIT receipt")
if sum(duplicate.values()) == 0:
    problems.append("the re-send knob produced no duplicates")
for p in problems[:20]:
    print("not ok - " + p)
if problems:
    sys.exit(1)
print(f"ok   - {sum(admitted.values())} ADMIT receipts, one per admitted event; "
      f"{sum(duplicate.values())} DUPLICATE receipts, one per duplicate; fields as seed 002 lists")
EOF
