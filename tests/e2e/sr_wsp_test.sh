#!/usr/bin/env bash
# End to end SR -> WSP inside one node: `fp world generate` seals a world, `fpnode` runs the sr
# and wsp planes, `fp sr run` asks for a run; the wsp plane takes its READY from the control
# topic and streams the four outputs (cap 20) to a fake IG. Checks GET /admin/wsp/runs, the
# group's committed offset, the fake IG's distinct event_ids, and that a restarted node does
# not stream the finished READY again.
#
# usage: sr_wsp_test.sh FP FPNODE
set -uo pipefail

FP=${1:?usage: sr_wsp_test.sh FP FPNODE}
FPNODE=${2:?usage: sr_wsp_test.sh FP FPNODE}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d)
DATA=$WORK/data
ORACLE=$WORK/oracle
NODE_PID=
IG_PID=
KEY=wsp-e2e-key-0123456789
cleanup() {
  [[ -n $NODE_PID ]] && kill "$NODE_PID" 2>/dev/null
  [[ -n $IG_PID ]] && kill "$IG_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "$0")/tap.sh"

"$FP" world generate --seed 7 --flows 60 --merchants 3 --span 1h --out "$ORACLE" >/dev/null ||
  { fail "fp world generate"; exit 1; }

# -- a fake IG: ADMIT new event_ids, DUPLICATE seen ones; counts in $WORK/ig.json -------------
"$PY" - "$WORK" "$KEY" <<'PYEOF' &
import http.server, json, os, sys, threading, time
work, key = sys.argv[1], sys.argv[2]
seen, posts, bad_key, lock = {}, [0], [0], threading.Lock()
class IG(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        e = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            posts[0] += 1
            bad_key[0] += self.headers.get("X-API-Key") != key
            fresh = e["event_id"] not in seen
            seen[e["event_id"]] = e["event_type"]
        body = b'{"decision":"ADMITTED"}' if fresh else b'{"decision":"DUPLICATE"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), IG)
open(work + "/ig.port.tmp", "w").write(str(s.server_address[1]))
os.rename(work + "/ig.port.tmp", work + "/ig.port")
threading.Thread(target=s.serve_forever, daemon=True).start()
while True:
    time.sleep(0.2)
    with lock:
        d = {"posts": posts[0], "distinct": len(seen), "bad_key": bad_key[0]}
    open(work + "/ig.tmp", "w").write(json.dumps(d))
    os.rename(work + "/ig.tmp", work + "/ig.json")
PYEOF
IG_PID=$!
for _ in $(seq 100); do [[ -s $WORK/ig.port ]] && break; sleep 0.1; done
IG_URL=http://127.0.0.1:$(cat "$WORK/ig.port")

# -- the node: planes [sr, wsp], WSP aimed at the fake IG, cap 20, fast pacing --------------
sed -e 's/port: 847[01]/port: 0/' \
    -e 's/^  planes: .*/  planes: [sr, wsp]/' \
    -e "s#oracle_root: data/oracle_root#oracle_root: $ORACLE#" \
    -e "s#ig_url: \"\"#ig_url: \"$IG_URL\"#" \
    -e 's/speedup: 600 /speedup: 1000000 /' \
    -e 's/cap_per_output: 200 /cap_per_output: 20 /' \
    -e "s#\.\./platform/#$ROOT/config/platform/#" \
    -e "s#\.\./\.\./schemas/#$ROOT/schemas/#" \
    "$ROOT/config/profiles/local_parity.yaml" >"$WORK/profile.yaml"
start_node() {
  rm -f "$DATA/fpnode.ports.json"
  FP_INGEST_API_KEYS=$KEY FP_WSP_API_KEY=$KEY "$FPNODE" --profile "$WORK/profile.yaml" \
    --data "$DATA" >>"$WORK/node.out" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 150); do [[ -s $DATA/fpnode.ports.json ]] && break; sleep 0.1; done
  ADMIN=http://127.0.0.1:$(field "$DATA/fpnode.ports.json" 'd["admin"]')
  NODE=http://127.0.0.1:$(field "$DATA/fpnode.ports.json" 'd["ingress"]')
}
start_node
grep -q 'planes \[sr,wsp\]' "$WORK/node.out" && pass "fpnode runs the sr and wsp planes" ||
  { fail "fpnode start"; sed 's/^/    /' "$WORK/node.out"; exit 1; }

FP_SR_API_KEY=$KEY "$FP" sr run --node "$NODE" --seed 7 --start 2026-02-01T22:44:49Z \
  >"$WORK/sr.out" 2>"$WORK/sr.err" && pass "fp sr run emits READY" ||
  { fail "fp sr run"; sed 's/^/    /' "$WORK/sr.err"; }

for _ in $(seq 300); do
  curl -s "$ADMIN/admin/wsp/runs" >"$WORK/runs.json"
  [[ $(field "$WORK/runs.json" '(d["runs"] or [{}])[0].get("state")') == finished ]] && break
  sleep 0.1
done
"$PY" - "$WORK/runs.json" <<'PYEOF' && pass "GET /admin/wsp/runs: finished, 4 outputs done, 20 sent each" ||
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
assert r["state"] == "finished" and r["platform_run_id"] == "platform_20260201T224449Z", r
assert len(r["outputs"]) == 4, r
for o in r["outputs"]:
    assert o["state"] == "done" and o["sent"] == 20 and o["admitted"] == 20, o
PYEOF
  { fail "runs"; cat "$WORK/runs.json"; }
sleep 0.5
"$PY" - "$WORK/ig.json" <<'PYEOF' && pass "IG saw 80 distinct event_ids with the WSP key" || { fail "IG counts"; cat "$WORK/ig.json"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["distinct"] == 80 and d["posts"] == 80 and d["bad_key"] == 0, d
PYEOF
curl -s "$ADMIN/admin/bus/groups/wsp/lag?topic=fp.bus.control.v1" >"$WORK/lag.json"
[[ $(field "$WORK/lag.json" 'd["lag"]') == 0 ]] && pass "the READY's offset is committed" ||
  fail "lag: $(cat "$WORK/lag.json")"
# Saved first: `curl | grep -q` under pipefail fails when grep stops reading before curl ends.
curl -s "$ADMIN/metrics" >"$WORK/metrics.txt"
grep -qF 'fp_wsp_sent_total{platform_run_id="platform_20260201T224449Z",output_id="arrival_events_5B"} 20' \
  "$WORK/metrics.txt" && pass "fp_wsp_sent_total per run and output" || fail "metrics"

# -- restart: the finished READY is not streamed again -------------------------------------
kill -TERM "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=
start_node
sleep 2
FP_SR_API_KEY=$KEY "$FP" sr run --node "$NODE" --seed 7 --start 2026-02-01T22:44:49Z \
  >/dev/null 2>&1
sleep 2
[[ $(field "$WORK/ig.json" 'd["posts"]') == 80 ]] && pass "after a restart and a re-run, nothing is sent again" ||
  fail "posts after restart: $(cat "$WORK/ig.json")"

exit $FAILED
