#!/usr/bin/env bash
# End-to-end test of the Scenario Runner: `fp world generate` seals small worlds, `fpnode`
# runs the sr plane on a copy of local_parity.yaml, `fp sr run` asks for runs. Checks READY on
# the control topic (its offsets through GET /admin/bus), the re-run no-op, the refusal of a
# world without a gate PASS and of a bad API key (nothing written, no READY), then the ledger
# in the object store after the node stopped (`fp objects ls/cat`).
#
# usage: sr_test.sh FP FPNODE
set -uo pipefail

FP=${1:?usage: sr_test.sh FP FPNODE}
FPNODE=${2:?usage: sr_test.sh FP FPNODE}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d)
DATA=$WORK/data
ORACLE=$WORK/oracle
NODE_PID=
cleanup() {
  [[ -n $NODE_PID ]] && kill "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "$0")/tap.sh"
control_high() { # the control topic's next offset, from the admin API
  "$PY" - "$ADMIN" <<'PYEOF'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/admin/bus" % sys.argv[1]))
t = [t for t in d["topics"] if t["name"] == "fp.bus.control.v1"][0]
print(sum(p["high"] for p in t["offsets"]))
PYEOF
}

# -- worlds: seed 7 sealed; seed 8 without its gate receipt (no PASS) ----------------------
expect_rc 0 "fp world generate --seed 7" \
  "$FP" world generate --seed 7 --flows 60 --merchants 3 --out "$ORACLE"
expect_rc 0 "fp world generate --seed 8" \
  "$FP" world generate --seed 8 --flows 60 --merchants 3 --out "$ORACLE"
W8=$(field "$WORK/out" 'd["world"]')
rm "$W8/gate_receipt.json"

# -- the node: planes [sr], free ports, absolute policy paths ------------------------------
sed -e 's/port: 847[01]/port: 0/' \
    -e 's/^  planes: .*/  planes: [sr]/' \
    -e "s#oracle_root: data/oracle_root#oracle_root: $ORACLE#" \
    -e "s#\.\./platform/#$ROOT/config/platform/#" \
    -e "s#\.\./\.\./schemas/#$ROOT/schemas/#" \
    "$ROOT/config/profiles/local_parity.yaml" >"$WORK/profile.yaml"
check "the profile copy runs the sr plane" grep -q 'planes: \[sr\]' "$WORK/profile.yaml"
FP_INGEST_API_KEYS=sr-e2e-key-one-0001,sr-e2e-key-two-0002 "$FPNODE" --profile "$WORK/profile.yaml" --data "$DATA" \
  >"$WORK/node.out" 2>&1 &
NODE_PID=$!
for _ in $(seq 150); do [[ -s $DATA/fpnode.ports.json ]] && break; sleep 0.1; done
if ! grep -q 'planes \[sr\]' "$WORK/node.out"; then
  fail "fpnode starts with the sr plane"; sed 's/^/    /' "$WORK/node.out"
  exit 1
fi
pass "fpnode starts with the sr plane"
ADMIN=$(field "$DATA/fpnode.ports.json" 'd["admin"]')
NODE=http://127.0.0.1:$(field "$DATA/fpnode.ports.json" 'd["ingress"]')
H0=$(control_high)
PRID=platform_20260201T224449Z
export FP_SR_API_KEY=sr-e2e-key-two-0002

# -- a run: READY once ----------------------------------------------------------------------
expect_rc 0 "fp sr run: a new run" "$FP" sr run --node "$NODE" --seed 7 --start 2026-02-01T22:44:49Z
cp "$WORK/out" "$WORK/run1.json"
check "the run is READY and emitted by this call" \
  test "$(field "$WORK/run1.json" 'd["status"], d["emitted"], d["no_op"]')" = "READY True False"
check "its platform_run_id comes from the start" test "$(field "$WORK/run1.json" 'd["platform_run_id"]')" = "$PRID"
check "READY is the next record on the control topic" \
  test "$(field "$WORK/run1.json" 'd["ready"]["topic"], d["ready"]["offset"]')" = "fp.bus.control.v1 $H0"
check "the control topic grew by one" test "$(control_high)" = "$((H0 + 1))"
SRID=$(field "$WORK/run1.json" 'd["scenario_run_id"]')
MSGID=$(field "$WORK/run1.json" 'd["message_id"]')

check "the ids recompute independently (run_config_digest, scenario_run_id, message_id) and READY obeys its schema" \
  "$PY" - "$ROOT" "$WORK/run1.json" <<'PYEOF'
import hashlib, json, struct, sys, jsonschema
root, reply = sys.argv[1], json.load(open(sys.argv[2]))
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
def H(*parts):
    h = hashlib.sha256()
    for p in parts:
        b = p.encode(); h.update(struct.pack(">Q", len(b))); h.update(b)
    return h.hexdigest()
outputs = ["s3_event_stream_with_fraud_6B", "arrival_events_5B", "s1_arrival_entities_6B",
           "s3_flow_anchor_with_fraud_6B"]
rcd = hashlib.sha256(canon({"traffic_delivery_mode": "IG_PUSH", "outputs": outputs}).encode()).hexdigest()
assert reply["run_config_digest"] == rcd, "run_config_digest"
srid = H("fp.sr.scenario_run_id.v1", reply["manifest_fingerprint"], reply["parameter_hash"],
         reply["scenario_id"], str(reply["seed"]), rcd)
assert reply["scenario_run_id"] == srid, "scenario_run_id"
assert reply["message_id"] == H("fp.sr.ready.v1", reply["platform_run_id"], srid, reply["plan_hash"]), "message_id"
ready = {k: reply[k] for k in ["message_id", "platform_run_id", "scenario_run_id", "scenario_id",
         "manifest_fingerprint", "parameter_hash", "seed", "plan_hash", "run_config_digest"]}
ready.update(kind="READY", schema_version="ready.v1", traffic_delivery_mode="IG_PUSH",
             run_facts_view=reply["run_facts_view"])
schema = json.load(open(root + "/schemas/contracts/ready.schema.json"))
jsonschema.Draft202012Validator(schema).validate(ready)
PYEOF

# -- re-runs: no-ops with the same ids, no second READY -------------------------------------
expect_rc 0 "fp sr run: a retry by platform_run_id" \
  "$FP" sr run --node "$NODE" --seed 7 --platform-run-id "$PRID"
check "the retry is a no-op" test "$(field "$WORK/out" 'd["no_op"], d["emitted"]')" = "True False"
check "the retry has the same ids" \
  test "$(field "$WORK/out" 'd["scenario_run_id"], d["message_id"]')" = "$SRID $MSGID"
expect_rc 0 "fp sr run: the same start again" \
  "$FP" sr run --node "$NODE" --seed 7 --start 2026-02-01T22:44:49Z
check "the same start again is a no-op" test "$(field "$WORK/out" 'd["no_op"]')" = "True"
check "no second READY" test "$(control_high)" = "$((H0 + 1))"

# -- refusals: nothing written, no READY ----------------------------------------------------
expect_rc 1 "fp sr run: a world without a gate PASS is refused" \
  "$FP" sr run --node "$NODE" --seed 8 --start 2026-03-01T00:00:00Z
check "the refusal says why" grep -q 'gate_refused.*no PASS, no READY' "$WORK/err"
expect_rc 1 "fp sr run: no such world" \
  "$FP" sr run --node "$NODE" --seed 9 --start 2026-03-01T00:00:00Z
check "the refusal names the selection" grep -q 'world_not_found.*seed=9' "$WORK/err"
FP_SR_API_KEY=wrong-key-but-long-enough expect_rc 1 "fp sr run: a bad API key" \
  "$FP" sr run --node "$NODE" --seed 7 --start 2026-03-01T00:00:01Z
check "a bad API key is a 401" grep -q '401 unauthorized' "$WORK/err"
check "the key is not echoed" bash -c "! grep -q wrong-key '$WORK/err'"
expect_rc 1 "fp sr run: no API key at all" \
  env -u FP_SR_API_KEY "$FP" sr run --node "$NODE" --seed 7 --start 2026-03-01T00:00:01Z
printf 'sr-e2e-key-one-0001\n' >"$WORK/key"
expect_rc 1 "fp sr run: drift (the same platform_run_id, another scenario)" \
  "$FP" sr run --node "$NODE" --seed 7 --scenario-id other --platform-run-id "$PRID" \
  --api-key-file "$WORK/key"
check "no READY for any refusal" test "$(control_high)" = "$((H0 + 1))"

# -- usage errors ---------------------------------------------------------------------------
expect_rc 2 "fp sr run: --platform-run-id and --start together" \
  "$FP" sr run --node "$NODE" --seed 7 --platform-run-id "$PRID" --start 2026-02-01T22:44:49Z
expect_rc 2 "fp sr run: --seed is required" "$FP" sr run --node "$NODE"
expect_rc 2 "fp sr run: a bad --start" "$FP" sr run --node "$NODE" --seed 7 --start yesterday
check "the usage error names the option" grep -q -- '--start' "$WORK/err"
expect_rc 2 "fp sr run: a bad --parameter-hash" \
  "$FP" sr run --node "$NODE" --seed 7 --parameter-hash xyz

# -- the start from the clock, read once: a new run, the active pointer moves ---------------
expect_rc 0 "fp sr run: the start defaults to the clock" "$FP" sr run --node "$NODE" --seed 7
NEW=$(sed -n 's/.*platform_run_id \(platform_[0-9TZ]*\).*/\1/p' "$WORK/err")
check "the chosen platform_run_id is printed ($NEW)" test -n "$NEW"
check "the reply carries it" test "$(field "$WORK/out" 'd["platform_run_id"]')" = "$NEW"
check "a new run is a second READY" test "$(control_high)" = "$((H0 + 2))"
expect_rc 0 "fp sr status: the active run" "$FP" sr status --node "$NODE"
check "the active pointer is the newest run" \
  test "$(field "$WORK/out" 'd["active"]["platform_run_id"], d["activations"]')" = "$NEW 2"
expect_rc 0 "fp sr status ID" "$FP" sr status --node "$NODE" "$PRID"
check "the first run is READY" test "$(field "$WORK/out" 'd["status"]')" = "READY"
expect_rc 1 "fp sr status of an unknown run" "$FP" sr status --node "$NODE" platform_20200101T000000Z

"$PY" - "$ADMIN" >"$WORK/metrics" <<'PYEOF'
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode())
PYEOF
check "metrics: two READY emitted" grep -q '^fp_sr_ready_emitted_total 2$' "$WORK/metrics"
check "metrics: one gate refusal" grep -q '^fp_sr_runs_refused_total{reason="gate_refused"} 1$' "$WORK/metrics"
check "metrics: one unauthorized request" grep -q '^fp_sr_requests_unauthorized_total 1$' "$WORK/metrics"

kill -TERM "$NODE_PID"
wait "$NODE_PID"
RC=$?
NODE_PID=
check "fpnode exits 0 on SIGTERM" test "$RC" = 0

# -- the ledger, read from the stopped node's data dir --------------------------------------
SR=fraud-platform/$PRID/sr
expect_rc 0 "fp objects ls the run's ledger" "$FP" objects ls "$SR/" --data "$DATA"
check "the ledger: plan, view, 4 records, 2 statuses" test "$(wc -l <"$WORK/out")" = 8
for f in run_plan.json run_facts_view.json run_record/000004.json run_status/000002.json; do
  check "the ledger has $f" grep -q "$SR/$f" "$WORK/out"
done
expect_rc 0 "fp objects cat run_facts_view.json" "$FP" objects cat "$SR/run_facts_view.json" --data "$DATA"
cp "$WORK/out" "$WORK/view.json"
check "run_facts_view's sha256 is the one READY carries" \
  test "$(sha256sum "$WORK/view.json" | cut -d' ' -f1)" = "$(field "$WORK/run1.json" 'd["run_facts_view"]["sha256"]')"
check "run_facts_view obeys its JSON Schema, names both run ids, and its plan_hash recomputes" "$PY" - "$ROOT" "$WORK/view.json" "$SRID" <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1] + "/schemas/contracts/run_facts_view.schema.json"))
view = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(schema).validate(view)
assert view["platform_run_id"] == "platform_20260201T224449Z"
assert view["scenario_run_id"] == sys.argv[3]
assert [o["output_id"] for o in view["outputs"]][0] == "s3_event_stream_with_fraud_6B"
import hashlib
plan = {"manifest_fingerprint": view["manifest_fingerprint"],
        "traffic_delivery_mode": view["traffic_delivery_mode"],
        "outputs": [{k: o[k] for k in ["output_id", "role", "digest", "rows", "event_type",
                                       "schema_version"]} for o in view["outputs"]]}
text = json.dumps(plan, sort_keys=True, separators=(",", ":"))
assert view["plan_hash"] == hashlib.sha256(text.encode()).hexdigest(), "plan_hash"
PYEOF
expect_rc 0 "fp objects cat the READY_EMITTED record" \
  "$FP" objects cat "$SR/run_record/000004.json" --data "$DATA"
check "READY_EMITTED records the message_id and offset" \
  test "$(field "$WORK/out" 'd["kind"], d["message_id"], d["offset"]')" = "READY_EMITTED $MSGID $H0"
expect_rc 0 "fp objects ls: nothing for refused runs" \
  "$FP" objects ls fraud-platform/platform_20260301T000000Z/ --data "$DATA"
check "nothing under the refused run ids" test ! -s "$WORK/out"
expect_rc 0 "fp objects ls: nothing for the unauthorized run" \
  "$FP" objects ls fraud-platform/platform_20260301T000001Z/ --data "$DATA"
check "nothing under the 401 run id" test ! -s "$WORK/out"

if [[ $FAILED != 0 ]]; then
  echo "sr_test: FAILED"
  exit 1
fi
echo "sr_test: all passed"
