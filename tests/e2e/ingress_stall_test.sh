#!/usr/bin/env bash
# IG's deadline on the Kafka bus: while the brokers stop answering (`fp devbroker` stopped with
# SIGSTOP), an admission cannot become durable. POST /v1/ingest answers 504 `timeout` at the
# profile's request_timeout_ms, and POST /v1/ingest/batch answers 200 with a 504 row per item
# it could not settle; nothing is lost: once the brokers answer again the publishes complete,
# and resending the same events (same event_id) gets their outcome (DUPLICATE of the admission
# that landed, with its eb_ref), each event on its topic once, no publish left ambiguous.
#
# Usage: ingress_stall_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: ingress_stall_test.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: ingress_stall_test.sh BUILD_DIR SOURCE_DIR}
FP=$BUILD/tools/fp/fp
FPNODE=$BUILD/cluster/fpnode
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/ingress_stall_e2e.XXXXXX)
DATA=$WORK/node
SEED=11
DEADLINE_MS=2500
NODE_PID=
BROKER_PID=
cleanup() {
  [[ -n $BROKER_PID ]] && kill -CONT "$BROKER_PID" 2>/dev/null
  [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null
  if [[ -n $BROKER_PID ]]; then
    kill -TERM "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$SRC/tests/e2e/kafka_node_lib.sh"

key=k-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
TOKEN=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export FP_INGEST_API_KEYS=$key FP_SR_API_KEY=$key FP_ADMIN_TOKEN=$TOKEN

source "$SRC/tests/bus/devbroker_lib.sh"
start_devbroker 1 "$SRC/config/profiles/dev.yaml" || die "fp devbroker did not start"
FP_BUS_BOOTSTRAP=$(cat "$WORK/bootstrap")
export FP_BUS_BOOTSTRAP

"$FP" world generate --seed "$SEED" --flows 40 --merchants 3 --out "$WORK/oracle_root" \
  >"$WORK/world.json" || die "fp world generate failed"
field() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
WORLD=$(field "$WORK/world.json" 'd["world"]')
MF=$(field "$WORK/world.json" 'd["manifest_fingerprint"]')
PH=$(field "$WORK/world.json" 'd["parameter_hash"]')

# The dev profile, planes sr and ig, an ingress deadline of DEADLINE_MS.
dev_profile "$WORK/dev.yaml" \
    -e 's|^  planes: .*|  planes: [sr, ig]|' \
    -e "s|^    request_timeout_ms: 30000  |    request_timeout_ms: $DEADLINE_MS   |"
for want in "planes: \[sr, ig\]" "request_timeout_ms: $DEADLINE_MS .*# an ingress command" \
  "publish_timeout_ms: 10000"; do
  grep -q "$want" "$WORK/dev.yaml" || die "the dev profile no longer has the line the test edits to '$want'"
done
start_node "$WORK/dev.yaml"

"$FP" sr run --node "$INGRESS" --seed "$SEED" >"$WORK/sr_run.json" 2>"$WORK/sr_run.err" ||
  { cat "$WORK/sr_run.err"; die "fp sr run failed"; }
PRID=$(field "$WORK/sr_run.json" 'd["platform_run_id"]')
SRID=$(field "$WORK/sr_run.json" 'd["scenario_run_id"]')
# IG admits a run's events once it has consumed the run's READY.
for _ in $(seq 200); do
  [[ $(curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN/admin/ig/runs") == *"$PRID"* ]] && break
  sleep 0.1
done
[[ $(curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN/admin/ig/runs") == *"$PRID"* ]] ||
  die "IG did not open $PRID within 20 s of READY"
echo "ok   - fpnode (sr, ig) on the Kafka bus at fp devbroker; $PRID READY"

# Events of the run: rows of the sealed world's event stream, as WSP would send them.
for i in 0 1 2 3; do
  "$PY" "$SRC/tests/e2e/world_event.py" "$WORK/e$i.json" "$WORLD" s3_event_stream_with_fraud_6B \
    "$i" "$MF" "$PH" "$PRID" "$SRID" "$SEED" || die "building event $i failed"
done
"$PY" -c 'import json,sys; print(json.dumps([json.load(open(f)) for f in sys.argv[2:]]), file=open(sys.argv[1], "w"))' \
  "$WORK/batch.json" "$WORK/e2.json" "$WORK/e3.json" || die "building the batch failed"

post() { # post PATH BODY_FILE OUT_FILE -> HTTP status
  curl -s -o "$3" -w '%{http_code}' -X POST -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' --data-binary "@$2" --max-time 60 "$INGRESS$1"
}
check() { # check WHAT PYTHON_CONDITION FILE
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3" ||
    { sed 's/^/    /' "$3"; echo; die "$1"; }
}

code=$(post /v1/ingest "$WORK/e0.json" "$WORK/r0.json")
[[ $code == 200 ]] || { cat "$WORK/r0.json"; die "e0: HTTP $code while the brokers answer"; }
check "e0 is ADMITTED" 'd["decision"] == "ADMITTED" and d["eb_ref"]["topic"]' "$WORK/r0.json"
echo "ok   - an event is ADMITTED while the brokers answer"

# -- the brokers stop answering ----------------------------------------------------------------
kill -STOP "$BROKER_PID"
start=$(date +%s%N)
post /v1/ingest "$WORK/e1.json" "$WORK/r1.json" >"$WORK/code1" &
single=$!
code=$(post /v1/ingest/batch "$WORK/batch.json" "$WORK/rb.json")
wait "$single"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
kill -CONT "$BROKER_PID"
[[ $(cat "$WORK/code1") == 504 ]] || { cat "$WORK/r1.json"; die "e1: HTTP $(cat "$WORK/code1"), want 504"; }
check "the 504 names the deadline" 'd["error"]["code"] == "timeout"' "$WORK/r1.json"
echo "ok   - POST /v1/ingest answers 504 timeout while the brokers are stopped"
[[ $code == 200 ]] || { cat "$WORK/rb.json"; die "batch: HTTP $code, want 200"; }
check "each batch item unsettled is a 504 row" \
  '[r["status"] for r in d["results"]] == [504, 504] and all(r["error"]["code"] == "timeout" for r in d["results"])' \
  "$WORK/rb.json"
echo "ok   - POST /v1/ingest/batch answers 200 with a 504 row per unsettled item"
((elapsed_ms >= DEADLINE_MS)) || die "answered after $elapsed_ms ms, before the $DEADLINE_MS ms deadline"
((elapsed_ms < 10000)) || die "answered after $elapsed_ms ms, well past the $DEADLINE_MS ms deadline"
echo "ok   - both answered at the deadline (after $elapsed_ms ms, deadline $DEADLINE_MS ms)"

# -- the brokers answer again: resending gets each event's outcome -------------------------------
for i in 1 2 3; do
  settled=
  for _ in $(seq 60); do
    code=$(post /v1/ingest "$WORK/e$i.json" "$WORK/s$i.json")
    if [[ $code == 200 ]]; then
      settled=1
      break
    fi
    sleep 0.5
  done
  [[ -n $settled ]] || { cat "$WORK/s$i.json"; die "e$i: no 200 within 30 s of the brokers' return (last HTTP $code)"; }
  check "e$i settles once, with its eb_ref" \
    'd["decision"] in ("ADMITTED", "DUPLICATE") and d["eb_ref"]["topic"]' "$WORK/s$i.json"
done
echo "ok   - resending the same events after the stall gets their outcomes"

metric() { curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN/metrics" |
  awk -v m="$1" -v p="$PRID" 'index($0, m "{") == 1 && index($0, p) { s += $NF } END { print s + 0 }'; }
[[ $(metric fp_ig_admitted_total) == 4 ]] || die "admitted $(metric fp_ig_admitted_total), want 4 (each event once)"
open=$(curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN/metrics" |
  awk '/^fp_ig_publish_ambiguous_open/ { s += $NF } END { print s + 0 }')
[[ $open == 0 ]] || die "$open publishes left ambiguous"
echo "ok   - 4 events admitted once each; no publish left ambiguous"

kill -TERM "$NODE_PID"
rc=0
wait "$NODE_PID" || rc=$?
NODE_PID=
[[ $rc == 0 ]] || die "fpnode did not stop cleanly (exit $rc)"
echo "ok   - fpnode stops cleanly"
