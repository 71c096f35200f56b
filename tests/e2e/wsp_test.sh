#!/usr/bin/env bash
# End-to-end test of `fp wsp run`: the real binary against a fake node admin API and a fake IG
# (wsp_fake_node.py) over a world the real `fp world generate` wrote: streams the four
# outputs with the cap and the resend drill, a second run is a no-op, a 400 stops one output
# (exit 1 with the reason), bad usage exits 2.
#
# usage: wsp_test.sh FP SOURCE_DIR
set -uo pipefail

FP=${1:?usage: wsp_test.sh FP SOURCE_DIR}
SRC=${2:?usage: wsp_test.sh FP SOURCE_DIR}
PY=/usr/bin/python3
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

source "$(dirname "$0")/tap.sh"

start_fake() { # start_fake [BAD]
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -f "$WORK/ports.json"
  BAD=${1:-0} $PY "$SRC/tests/e2e/wsp_fake_node.py" "$WORK/oracle" "$WORK/gen.json" \
    "$WORK/ports.json" &
  SERVER=$!
  for _ in $(seq 100); do [ -s "$WORK/ports.json" ] && break; sleep 0.1; done
  ADMIN=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$WORK/ports.json")
  IG=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["ig"])' "$WORK/ports.json")
}

wsp() { # wsp STATE_DIR [OPTIONS...]
  local state=$1; shift
  FP_WSP_API_KEY=e2e-key-0123456789abcdef "$FP" wsp run --node "http://127.0.0.1:$ADMIN" \
    --ig "http://127.0.0.1:$IG" --state "$state" --oracle-root "$WORK/oracle" \
    --policy-dir "$SRC/config/platform/wsp" "$@"
}

"$FP" world generate --seed 5 --flows 100 --merchants 3 --span 1h --out "$WORK/oracle" \
  >"$WORK/gen.json" || { echo "FAIL - world generate"; exit 1; }
start_fake 0

wsp "$WORK/state" --cap 20 --speedup 60000 --resend-bp 1000 >"$WORK/run1.out" 2>"$WORK/run1.err"
rc=$?
[ $rc -eq 0 ] && pass "fp wsp run exits 0 when every output finished" ||
  { fail "fp wsp run exit $rc"; cat "$WORK/run1.err"; }
$PY - "$WORK/run1.out" <<'PYEOF' && pass "four outputs done, 20 distinct each, re-sends counted as duplicates" || fail "summaries"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, rows
for r in rows:
    assert r["state"] == "done" and r["sent"] == 20 and r["admitted"] == 20, r
    assert r["duplicate"] == r["resent"] and r["posts"] == 20 + r["resent"], r
PYEOF
sleep 0.5
$PY - "$WORK/ports.json.ig" <<'PYEOF' && pass "IG saw 80 distinct event_ids" || fail "IG counts"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["distinct"] == 80, c
PYEOF

wsp "$WORK/state" --cap 20 >"$WORK/run2.out" 2>"$WORK/run2.err"
rc=$?
[ $rc -eq 0 ] && grep -q "streamed already" "$WORK/run2.err" &&
  pass "the same READY again is a no-op" || fail "second run: exit $rc"

start_fake 1
wsp "$WORK/state2" --cap 10 --unpaced >"$WORK/run3.out" 2>"$WORK/run3.err"
rc=$?
[ $rc -eq 1 ] && grep -q "arrival_events_5B stopped: wsp.rejected: IG answered 400" "$WORK/run3.err" &&
  pass "a 400 stops that output, exit 1 with the reason" || { fail "400: exit $rc"; cat "$WORK/run3.err"; }
[ "$(grep -c '"state":"done"' "$WORK/run3.out")" = 3 ] && pass "the other three outputs finish" ||
  fail "others: $(cat "$WORK/run3.out")"

"$FP" wsp run >/dev/null 2>&1
[ $? -eq 2 ] && pass "missing --node exits 2" || fail "missing --node"
wsp "$WORK/state3" --concurrency 0 >/dev/null 2>&1
[ $? -eq 2 ] && pass "--concurrency 0 exits 2" || fail "--concurrency 0"

exit $FAILED
