#!/usr/bin/env bash
# The local-parity flow on the dev profile's Kafka backend: fp world -> fpnode (sr, ig, wsp)
# against `fp devbroker` (librdkafka's mock cluster, topics pre-created from the dev profile)
# -> fp sr run -> READY -> WSP streams 4 outputs (cap 100, 5% re-sent) -> IG -> the brokers.
# The same checks as e2e_ingress (tests/e2e/ingress_check.py): per topic, WSP's distinct events
# == admitted + quarantined, POSTs == admitted + duplicate + quarantined, IG received == POSTs,
# every admitted event is on its topic exactly once on the partition murmur2(key) picks, no
# publish left ambiguous; then, after the node stopped, one ADMIT receipt per admitted event and
# one DUPLICATE receipt per duplicate in the object store. The cap keeps each partition far
# under the mock cluster's 5 MiB retention (DESIGN.md §10).
#
# Usage: ingress_kafka_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: ingress_kafka_test.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: ingress_kafka_test.sh BUILD_DIR SOURCE_DIR}
FP=$BUILD/tools/fp/fp
FPNODE=$BUILD/cluster/fpnode
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/ingress_kafka_e2e.XXXXXX)
DATA=$WORK/node
SEED=11
CAP=100
NODE_PID=
BROKER_PID=
cleanup() {
  [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null
  if [[ -n $BROKER_PID ]]; then
    kill -TERM "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$SRC/tests/e2e/kafka_node_lib.sh"

# -- secrets: generated per run, passed through the environment only --------------------------
key=k-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
TOKEN=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export FP_INGEST_API_KEYS=$key FP_WSP_API_KEY=$key FP_SR_API_KEY=$key FP_ADMIN_TOKEN=$TOKEN

# -- the brokers: the mock cluster with the dev profile's topics -------------------------------
source "$SRC/tests/bus/devbroker_lib.sh"
start_devbroker 1 "$SRC/config/profiles/dev.yaml" || die "fp devbroker did not start"
FP_BUS_BOOTSTRAP=$(cat "$WORK/bootstrap")
export FP_BUS_BOOTSTRAP

# -- the sealed world ------------------------------------------------------------------------
"$FP" world generate --seed "$SEED" --out "$WORK/oracle_root" >"$WORK/world.json" ||
  die "fp world generate failed"

# -- the node: the dev profile, planes sr, ig, wsp ---------------------------------------------
dev_profile "$WORK/dev.yaml" \
    -e 's|^  planes: .*|  planes: [sr, ig, wsp]|' \
    -e 's|^    resend_bp: 0 |    resend_bp: 500 |' \
    -e 's|^    speedup: 600 |    speedup: 100000 |' \
    -e "s|^    cap_per_output: 0 |    cap_per_output: $CAP |"
for want in "planes: \[sr, ig, wsp\]" "resend_bp: 500" "speedup: 100000" "cap_per_output: $CAP"; do
  grep -q "$want" "$WORK/dev.yaml" || die "the dev profile no longer has the line the test edits to '$want'"
done
start_node "$WORK/dev.yaml"
grep -q "; bus kafka at $FP_BUS_BOOTSTRAP; " "$WORK/node.out" ||
  die "fpnode did not log the Kafka bus it joined"
echo "ok   - fpnode runs the dev profile (planes sr, ig, wsp) on the Kafka bus at fp devbroker"

# -- SR: the run -------------------------------------------------------------------------------
"$FP" sr run --node "$INGRESS" --seed "$SEED" >"$WORK/sr_run.json" 2>"$WORK/sr_run.err" ||
  { cat "$WORK/sr_run.err"; die "fp sr run failed"; }
PRID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["platform_run_id"])' \
  "$WORK/sr_run.json")
echo "ok   - fp sr run: $PRID READY"

# -- WSP -> IG -> EB: wait for WSP to finish streaming the run (bounded; asserts no speed) -----
"$PY" - "$ADMIN" "$PRID" "$TOKEN" <<'PYEOF' || die "WSP did not finish the run"
import json, sys, time, urllib.request
url, prid, token = sys.argv[1], sys.argv[2], sys.argv[3]
deadline = time.monotonic() + 200
last = None
while time.monotonic() < deadline:
    req = urllib.request.Request(url + "/admin/wsp/runs",
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        runs = [x for x in json.loads(r.read())["runs"] if x["platform_run_id"] == prid]
    run = next((x for x in runs if x["state"] != "duplicate"), None)
    last = run
    if run is not None:
        if run["state"] == "refused":
            sys.exit(f"WSP refused the run: {run['reason']}")
        stopped = [o for o in run["outputs"] if o["state"] == "stopped"]
        if stopped:
            sys.exit("; ".join(f"WSP stopped {o['output_id']}: {o['reason']}" for o in stopped))
        if run["state"] == "finished":
            sys.exit(0)
    time.sleep(0.2)
sys.exit(f"the run is not finished: {json.dumps(last)}")
PYEOF
echo "ok   - WSP streamed the run's 4 outputs to IG"

"$PY" "$SRC/tests/e2e/ingress_check.py" "$ADMIN" "$PRID" --cap "$CAP" --token "$TOKEN" \
  >"$WORK/summary.jsonl" 2>"$WORK/check.err" || {
  sed 's/^/    /' "$WORK/check.err" "$WORK/summary.jsonl"; die "the run's checks failed"; }
echo "ok   - per-topic counts and the brokers' records check out (each admitted event once, on its murmur2 partition)"
sed 's/^/    /' "$WORK/summary.jsonl"

kill -TERM "$NODE_PID"
rc=0
wait "$NODE_PID" || rc=$?
NODE_PID=
[[ $rc == 0 ]] || die "fpnode did not stop cleanly (exit $rc)"
echo "ok   - fpnode stops cleanly on the Kafka bus"
! grep -qF "$TOKEN" "$WORK/node.out" "$WORK/node.err" || die "the admin token appears in fpnode's output"
! grep -qF "$key" "$WORK/node.out" "$WORK/node.err" || die "the API key appears in fpnode's output"

# -- receipts, read back from the object store after the node stopped ------------------------
"$PY" "$SRC/tests/e2e/receipts_check.py" "$FP" "$DATA" "$PRID" "$WORK/summary.jsonl" ||
  die "receipts do not match"
