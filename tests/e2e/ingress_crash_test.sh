#!/usr/bin/env bash
# kill -9 the node in the middle of streaming; restart it; let WSP retry.
#
# A node (planes sr, ig; embedded bus) admits a whole world streamed by a separate
# `fp wsp run --unpaced` (uncapped). While events are being admitted the node is killed with
# SIGKILL twice and restarted on the same data dir and ports; WSP keeps retrying refused
# connections and timeouts with the same event_ids. When WSP has finished:
#   - every distinct event WSP sent is on its topic exactly once (no loss, no double
#     admission), on the partition murmur2(key) picks, with matching headers;
#   - no publish is left ambiguous (fp_ig_publish_ambiguous_open is 0 after reconciliation);
#   - each admitted event has exactly one ADMIT receipt in the object store.
#
# Usage: ingress_crash_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: ingress_crash_test.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: ingress_crash_test.sh BUILD_DIR SOURCE_DIR}
FP="$BUILD/tools/fp/fp"
FPNODE="$BUILD/cluster/fpnode"
WORK=$(mktemp -d /tmp/ingress_crash.XXXXXX)
NODE_PID=""
WSP_PID=""
cleanup() {
  [[ -n "$WSP_PID" ]] && kill -9 "$WSP_PID" 2>/dev/null || true
  [[ -n "$NODE_PID" ]] && kill -9 "$NODE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "not ok - $*"; for f in "$WORK"/node*.log "$WORK/wsp.err"; do [[ -f "$f" ]] && { echo "  --- $f"; tail -20 "$f" | sed 's/^/    /'; }; done; exit 1; }
ok() { echo "ok   - $*"; }

KEY=crash-test-api-key-0123456789
export FP_INGEST_API_KEYS=$KEY FP_WSP_API_KEY=$KEY FP_SR_API_KEY=$KEY
read -r ADMIN INGRESS < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

"$FP" world generate --seed 13 --flows 1000 --out "$WORK/oracle" >/dev/null || fail "fp world generate"
sed -e "s|^  data_dir: .*|  data_dir: $WORK/node|" \
    -e "s|^  oracle_root: .*|  oracle_root: $WORK/oracle|" \
    -e "s|^\(    port: \)8470\b|\1$ADMIN|" -e "s|^\(    port: \)8471\b|\1$INGRESS|" \
    -e 's|^  planes: .*|  planes: [sr, ig]|' \
    -e "s|\.\./\.\./schemas/|$SRC/schemas/|" -e "s|\.\./platform/|$SRC/config/platform/|" \
    "$SRC/config/profiles/local_parity.yaml" >"$WORK/profile.yaml"

start_node() { # start_node N: start fpnode, wait for its ports file
  rm -f "$WORK/node/fpnode.ports.json"
  "$FPNODE" --profile "$WORK/profile.yaml" --data "$WORK/node" >"$WORK/node$1.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 300); do
    [[ -s "$WORK/node/fpnode.ports.json" ]] && return 0
    kill -0 "$NODE_PID" 2>/dev/null || fail "fpnode exited at start $1"
    sleep 0.05
  done
  fail "fpnode start $1 wrote no ports file"
}
admitted_now() { # the node's admitted count (0 when it does not answer)
  curl -sf "http://127.0.0.1:$ADMIN/metrics" 2>/dev/null |
    awk 'index($1, "fp_ig_admitted_total{") == 1 { s += $2 } END { print s + 0 }'
}

start_node 1
PRID=platform_20260101T000000Z
"$FP" sr run --node "http://127.0.0.1:$INGRESS" --seed 13 --platform-run-id "$PRID" \
  >"$WORK/sr.json" 2>"$WORK/sr.err" || fail "fp sr run: $(cat "$WORK/sr.err")"
ok "SR emitted READY for $PRID"

(cd "$SRC" && exec "$FP" wsp run --node "http://127.0.0.1:$ADMIN" --ig "http://127.0.0.1:$INGRESS" \
  --platform-run-id "$PRID" --unpaced --cap 0 --concurrency 4 --oracle-root "$WORK/oracle" \
  --state "$WORK/wsp_state" >"$WORK/wsp.out" 2>"$WORK/wsp.err") &
WSP_PID=$!

# Two kills, each once some more events were admitted since the last start.
for round in 1 2; do
  for _ in $(seq 1 600); do
    [[ $(admitted_now) -ge 500 ]] && break
    kill -0 "$WSP_PID" 2>/dev/null || fail "WSP ended before kill $round (streaming was too quick?)"
    sleep 0.02
  done
  kill -9 "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null || true
  ok "kill -9 $round of the node while WSP streams"
  sleep 0.5
  start_node $((round + 1))
  ok "node restarted on the same data dir and ports"
done

rc=0
wait "$WSP_PID" || rc=$?
WSP_PID=""
[[ $rc -eq 0 ]] || fail "fp wsp run exited $rc"
ok "WSP finished every output after retrying across two node restarts"

# Reconciliation runs at start in the background: wait until nothing is left ambiguous.
for _ in $(seq 1 200); do
  open=$(curl -sf "http://127.0.0.1:$ADMIN/metrics" | awk '$1 == "fp_ig_publish_ambiguous_open" { print $2 }')
  [[ "$open" == "0" ]] && break
  sleep 0.05
done
[[ "$open" == "0" ]] || fail "publishes still ambiguous after the restarts: $open"
ok "no publish left ambiguous"

# What WSP sent, per output, against the bus.
expect=$(/usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(" ".join("--expect %s=%d" % (r["output_id"], r["sent"] - r["quarantined"]) for r in rows))' "$WORK/wsp.out")
[[ -n "$expect" ]] || fail "fp wsp run printed no summary"
retries=$(/usr/bin/python3 -c '
import json, sys
print(sum(json.loads(l)["retries"] for l in open(sys.argv[1]) if l.strip()))' "$WORK/wsp.out")
[[ "$retries" -gt 0 ]] || fail "WSP never retried: the kills did not interrupt streaming"
ok "WSP retried $retries times across the outages, with the same event_ids"
# shellcheck disable=SC2086
/usr/bin/python3 "$SRC/tests/e2e/ingress_check.py" "http://127.0.0.1:$ADMIN" "$PRID" --bus-only \
  $expect >"$WORK/check.out" 2>"$WORK/check.err" ||
  fail "after the crashes: $(cat "$WORK/check.err")"
ok "every event WSP sent is on its topic exactly once, on its murmur2 partition ($expect)"

kill -TERM "$NODE_PID"
wait "$NODE_PID" || fail "fpnode did not stop cleanly"
NODE_PID=""

/usr/bin/python3 "$SRC/tests/e2e/receipts_check.py" "$FP" "$WORK/node" "$PRID" "$WORK/check.out" \
  --after-restart >"$WORK/receipts.out" || fail "receipts: $(cat "$WORK/receipts.out")"
ok "one ADMIT receipt per admitted event after the crashes"
