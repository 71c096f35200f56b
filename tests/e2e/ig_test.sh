#!/usr/bin/env bash
# End-to-end test of the Ingestion Gate: `fp world generate` seals a small world, `fpnode` runs
# the sr and ig planes on a copy of local_parity.yaml, `fp sr run` emits READY, and curl sends
# real world rows and every kind of bad input to POST /v1/ingest and /v1/ingest/batch. Checks
# the answers, that 400/401/413 write nothing, the receipts in the object store after the
# node stopped, /metrics (fp_ig_*_total with platform_run_id) and /healthz.
#
# usage: ig_test.sh FP FPNODE
set -uo pipefail

FP=${1:?usage: ig_test.sh FP FPNODE}
FPNODE=${2:?usage: ig_test.sh FP FPNODE}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d)
DATA=$WORK/data
ORACLE=$WORK/oracle
KEY=ig-e2e-key-0000000001
NODE_PID=
cleanup() {
  [[ -n $NODE_PID ]] && kill "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "$0")/tap.sh"
# post PATH BODY-FILE [KEY]: the status on the first line of $WORK/resp.status, body in $WORK/resp
post() {
  local key=${3-$KEY}
  curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    ${key:+-H "X-API-Key: $key"} --data-binary "@$2" "$NODE$1"
}
# expect STATUS DESCRIPTION PATH BODY-FILE [KEY] [PY-EXPR-ON-d]
expect() {
  local want=$1 what=$2 path=$3 body=$4 key=${5-$KEY} cond=${6-}
  local got
  got=$(post "$path" "$body" "$key")
  if [[ $got != "$want" ]]; then
    fail "$what: HTTP $got, want $want"; sed 's/^/    /' "$WORK/resp"; echo; return
  fi
  if [[ -n $cond ]] && ! "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($cond) else 1)" "$WORK/resp"; then
    fail "$what: HTTP $got but not ($cond)"; sed 's/^/    /' "$WORK/resp"; echo; return
  fi
  pass "$what (HTTP $got)"
}
admin() { curl -s "http://127.0.0.1:$ADMIN$1"; }

# -- a sealed world and the node ------------------------------------------------------------
expect_rc 0 "fp world generate --seed 7" \
  "$FP" world generate --seed 7 --flows 40 --merchants 3 --out "$ORACLE"
WORLD=$(field "$WORK/out" 'd["world"]')
MF=$(field "$WORK/out" 'd["manifest_fingerprint"]')
PH=$(field "$WORK/out" 'd["parameter_hash"]')
sed -e 's/port: 847[01]/port: 0/' \
    -e 's/^  planes: .*/  planes: [sr, ig]/' \
    -e 's/max_body_bytes: 65536/max_body_bytes: 8192/' \
    -e "s#oracle_root: data/oracle_root#oracle_root: $ORACLE#" \
    -e "s#\.\./platform/#$ROOT/config/platform/#" \
    -e "s#\.\./\.\./schemas/#$ROOT/schemas/#" \
    "$ROOT/config/profiles/local_parity.yaml" >"$WORK/profile.yaml"
FP_INGEST_API_KEYS=$KEY "$FPNODE" --profile "$WORK/profile.yaml" --data "$DATA" >"$WORK/node.out" 2>&1 &
NODE_PID=$!
for _ in $(seq 150); do [[ -s $DATA/fpnode.ports.json ]] && break; sleep 0.1; done
if ! grep -q 'planes \[sr,ig\]' "$WORK/node.out"; then
  fail "fpnode starts with the sr and ig planes"; sed 's/^/    /' "$WORK/node.out"
  exit 1
fi
pass "fpnode starts with the sr and ig planes"
ADMIN=$(field "$DATA/fpnode.ports.json" 'd["admin"]')
NODE=http://127.0.0.1:$(field "$DATA/fpnode.ports.json" 'd["ingress"]')
PRID=platform_20260201T224449Z

# -- events from the world's rows ---------------------------------------------------------
# make_event OUT OUTPUT_ID LINE [PY-EDIT-ON-e]: the envelope WSP would send for that row.
make_event() {
  "$PY" "$(dirname "$0")/world_event.py" "$1" "$WORLD" "$2" "$3" "$MF" "$PH" "$PRID" \
    "${SRID:-$(printf 'a%.0s' {1..64})}" 7 ${4+"$4"}
}
T=s3_event_stream_with_fraud_6B
make_event "$WORK/early.json" $T 0
expect 422 "an event before its run's READY is RUN_NOT_READY" /v1/ingest "$WORK/early.json" "$KEY" \
  'd["decision"] == "QUARANTINE" and d["reason"] == "RUN_NOT_READY"'

# -- READY through the SR plane; IG opens the run -----------------------------------------
FP_SR_API_KEY=$KEY expect_rc 0 "fp sr run: READY" \
  "$FP" sr run --node "$NODE" --seed 7 --start 2026-02-01T22:44:49Z
SRID=$(field "$WORK/out" 'd["scenario_run_id"]')
for _ in $(seq 100); do [[ $(admin /admin/ig/runs) == *"$PRID"* ]] && break; sleep 0.1; done
check "IG opened the run after READY" bash -c "curl -s http://127.0.0.1:$ADMIN/admin/ig/runs | grep -q '\"scenario_run_id\":\"$SRID\"'"
check "/admin/ig/runs refuses a parameter it does not know" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/admin/ig/runs?all=1")" = 400

make_event "$WORK/e0.json" $T 0
expect 200 "a traffic row is ADMITTED" /v1/ingest "$WORK/e0.json" "$KEY" \
  'd["decision"] == "ADMITTED" and d["eb_ref"]["topic"] == "fp.bus.traffic.fraud.v1" and d["receipt_ref"].startswith("fraud-platform/'$PRID'/ig/receipts/")'
cp "$WORK/resp" "$WORK/admitted.json"
OFFSET=$(field "$WORK/admitted.json" 'd["eb_ref"]')
expect 200 "the same event again is DUPLICATE with the same eb_ref" /v1/ingest "$WORK/e0.json" "$KEY" \
  'd["decision"] == "DUPLICATE" and str(d["eb_ref"]) == """'"$OFFSET"'"""'
make_event "$WORK/e0b.json" $T 0 'e["payload"]["amount"] = 123456.5'
expect 409 "the same tuple with another payload is PAYLOAD_HASH_MISMATCH" /v1/ingest "$WORK/e0b.json" "$KEY" \
  'd["reason"] == "PAYLOAD_HASH_MISMATCH"'
make_event "$WORK/a0.json" arrival_events_5B 0
expect 200 "an arrival row is ADMITTED on the arrival topic" /v1/ingest "$WORK/a0.json" "$KEY" \
  'd["eb_ref"]["topic"] == "fp.bus.context.arrival_events.v1"'

# -- bad input: 4xx with a code, nothing written -------------------------------------------
printf '{"event_id": "x",' >"$WORK/malformed.json"
expect 400 "malformed JSON" /v1/ingest "$WORK/malformed.json" "$KEY" 'd["error"]["code"] == "malformed_json"'
printf '{"event_id":"a","event_id":"b"}' >"$WORK/dup.json"
expect 400 "duplicate keys" /v1/ingest "$WORK/dup.json" "$KEY" 'd["error"]["code"] == "duplicate_key"'
"$PY" -c "print('{\"pad\":\"' + 'x' * 9000 + '\"}')" >"$WORK/big.json"
expect 413 "an oversized body" /v1/ingest "$WORK/big.json" "$KEY"
expect 401 "no API key" /v1/ingest "$WORK/e0.json" ""
expect 401 "a wrong API key" /v1/ingest "$WORK/e0.json" "not-the-key-000000001"
check "the 401 does not echo the key" bash -c "! grep -q not-the-key '$WORK/resp'"
# Body framing stated two ways (or not as a number) is refused before the body is read.
check "conflicting or unreadable body framing is a 400 bad_framing" "$PY" - "$NODE" "$KEY" "$WORK/e0.json" <<'PYEOF'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
key, body = sys.argv[2].encode(), open(sys.argv[3], "rb").read()
n = str(len(body)).encode()
for framing in (b"Content-Length: " + n + b"\r\nContent-Length: " + n,
                b"Content-Length: " + n + b"\r\nTransfer-Encoding: chunked",
                b"Transfer-Encoding: gzip",
                b"Content-Length: lots"):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(b"POST /v1/ingest HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + b"\r\n" + framing +
              b"\r\nConnection: close\r\n\r\n" + body)
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    assert out.startswith(b"HTTP/1.1 400 ") and b'"bad_framing"' in out, (framing, out[:200])
# A keep-alive connection ends with that answer: a request hidden after the first length
# (request smuggling) is never read as a request of its own.
hidden = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
s = socket.create_connection((u.hostname, u.port))
s.settimeout(10)
s.sendall(b"POST /v1/ingest HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key +
          b"\r\nContent-Length: 0\r\nContent-Length: " + str(len(hidden)).encode() + b"\r\n\r\n")
time.sleep(0.1)  # the hidden request arrives after the node has read the headers
try:
    s.sendall(hidden)
except OSError:
    pass  # the node may have closed already
out = b""
try:
    while chunk := s.recv(65536):
        out += chunk
except ConnectionResetError:
    pass
s.close()
assert out.startswith(b"HTTP/1.1 400 ") and b'"bad_framing"' in out, out[:300]
assert out.count(b"HTTP/1.1 ") == 1, out[:600]
assert b"connection: close" in out.lower(), out[:300]
PYEOF
for pair in "$KEY not-the-key-000000001" "not-the-key-000000001 $KEY"; do
  read -r first second <<<"$pair"
  got=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H "X-API-Key: $first" \
    -H "X-API-Key: $second" --data-binary "@$WORK/e0.json" "$NODE/v1/ingest")
  check "two X-API-Key headers are refused whichever comes first (HTTP $got)" test "$got" = 401
done

# -- quarantines: 422 with the reason and a receipt ---------------------------------------
make_event "$WORK/q1.json" $T 1 'del e["scenario_run_id"]'
expect 422 "a missing pin" /v1/ingest "$WORK/q1.json" "$KEY" 'd["reason"] == "MISSING_PIN" and d["field"] == "scenario_run_id"'
make_event "$WORK/q2.json" $T 1 'e["seed"] = "7"'
expect 422 "a pin of the wrong type" /v1/ingest "$WORK/q2.json" "$KEY" 'd["reason"] == "INVALID_PIN"'
make_event "$WORK/q3.json" $T 1 'e["payload"]["amount"] = "12.00"'
expect 422 "a payload field of the wrong type" /v1/ingest "$WORK/q3.json" "$KEY" 'd["reason"] == "PAYLOAD_SCHEMA_INVALID" and d["field"] == "payload.amount"'
make_event "$WORK/q4.json" $T 1 'e["event_type"] = "s9_unknown"'
expect 422 "an unknown class" /v1/ingest "$WORK/q4.json" "$KEY" 'd["reason"] == "UNKNOWN_EVENT_CLASS" and d["event_class"] == "_unclassified"'
make_event "$WORK/q5.json" $T 1 'e["event_id"] = "../../../etc/passwd"'
expect 422 "an event_id escaping the prefix" /v1/ingest "$WORK/q5.json" "$KEY" \
  'd["reason"] == "ID_NOT_PATH_SAFE" and "/../" not in d["receipt_ref"] and d["receipt_ref"].startswith("fraud-platform/'$PRID'/ig/receipts/")'
make_event "$WORK/q6.json" $T 1 'e["platform_run_id"] = "../x"'
expect 422 "a platform_run_id escaping the prefix" /v1/ingest "$WORK/q6.json" "$KEY" \
  'd["reason"] == "ID_NOT_PATH_SAFE" and d["receipt_ref"].startswith("fraud-platform/_invalid/ig/receipts/")'
make_event "$WORK/q7.json" $T 1 'e["platform_run_id"] = "platform_20300101T000000Z"'
expect 422 "a run without READY" /v1/ingest "$WORK/q7.json" "$KEY" 'd["reason"] == "RUN_NOT_READY"'
make_event "$WORK/q8.json" $T 1 'e["schema_version"] = "v9"'
expect 422 "an unaccepted schema_version" /v1/ingest "$WORK/q8.json" "$KEY" 'd["reason"] == "SCHEMA_VERSION_UNSUPPORTED"'
make_event "$WORK/q9.json" $T 1 'e["manifest_fingerprint"] = "f" * 64'
expect 422 "pins that differ from the run's" /v1/ingest "$WORK/q9.json" "$KEY" 'd["reason"] == "PIN_MISMATCH"'

# -- a batch: one outcome per item, in order; a bad item does not fail the others -----------
make_event "$WORK/e1.json" $T 1
make_event "$WORK/e2.json" $T 2
"$PY" - "$WORK" <<'PYEOF'
import json, sys
w = sys.argv[1]
items = [json.load(open(f"{w}/e1.json")), json.load(open(f"{w}/e0.json")), 5,
         json.load(open(f"{w}/q1.json")), json.load(open(f"{w}/e2.json"))]
json.dump(items, open(f"{w}/batch.json", "w"))
PYEOF
expect 200 "a batch answers each item in order" /v1/ingest/batch "$WORK/batch.json" "$KEY" \
  '[r["status"] for r in d["results"]] == [200, 200, 400, 422, 200] and [r.get("decision") for r in d["results"]] == ["ADMITTED", "DUPLICATE", None, "QUARANTINE", "ADMITTED"]'
expect 401 "a batch without a key" /v1/ingest/batch "$WORK/batch.json" ""
# Items that do not parse (a duplicate key, a number out of range, broken JSON inside the item)
# get their own 400; the good item between them is admitted.
make_event "$WORK/e3.json" $T 3
"$PY" - "$WORK" <<'PYEOF'
import sys
w = sys.argv[1]
e3 = open(f"{w}/e3.json").read().strip()
open(f"{w}/batch2.json", "w").write('[ {"a":1,"a":2} ,\n' + e3 + ', {"n": 1e400}, [1,2}]\n')
PYEOF
expect 200 "a batch item that does not parse fails alone" /v1/ingest/batch "$WORK/batch2.json" "$KEY" \
  '[r["status"] for r in d["results"]] == [400, 200, 400, 400] and [r.get("error", {}).get("code") for r in d["results"]] == ["duplicate_key", None, "number_out_of_range", "malformed_json"] and d["results"][1]["decision"] == "ADMITTED"'

# -- inspection, metrics, health ------------------------------------------------------------
EID=$(field "$WORK/e0.json" 'd["event_id"]')
admin "/admin/ig/tuples/$PRID/traffic_fraud/$EID" >"$WORK/tuple.json"
# e0: RUN_NOT_READY before READY (ordinal 0), ADMIT (1), DUPLICATE, PAYLOAD_HASH_MISMATCH, DUPLICATE
check "the tuple is ADMITTED after an early quarantine, with 2 duplicates and 2 quarantines" \
  test "$(field "$WORK/tuple.json" 'd["publish_state"], d["admission"]["ordinal"], d["duplicates"], d["quarantines"]')" = "ADMITTED 1 2 2"
admin /metrics >"$WORK/metrics"
# msum NAME LABEL...: the sum of NAME's samples whose labels include every LABEL (k="v").
msum() {
  local name=$1; shift
  awk -v name="$name" -v want="$*" '
    index($1, name "{") == 1 { ok = 1; n = split(want, w, " ");
      for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) ok = 0;
      if (ok) s += $2 }
    END { print s + 0 }' "$WORK/metrics"
}
check "metrics: 5 admitted in the run" test "$(msum fp_ig_admitted_total "platform_run_id=\"$PRID\"")" = 5
check "metrics: 2 duplicates" test "$(msum fp_ig_duplicate_total "platform_run_id=\"$PRID\"")" = 2
check "metrics: quarantined by reason" \
  test "$(msum fp_ig_quarantined_total "platform_run_id=\"$PRID\"" 'reason="MISSING_PIN"')" = 2
check "metrics: counted by event class" \
  grep -q "^fp_ig_admitted_total{platform_run_id=\"$PRID\",event_class=\"[a-z_]*\"} " "$WORK/metrics"
if command -v promtool >/dev/null; then
  check "promtool accepts /metrics" bash -c "promtool check metrics <'$WORK/metrics'"
fi
admin /healthz >"$WORK/health"
check "/healthz answers" test -s "$WORK/health"

kill -TERM "$NODE_PID"
wait "$NODE_PID"
RC=$?
NODE_PID=
check "fpnode exits 0 on SIGTERM" test "$RC" = 0
check "no payload in the node's log" bash -c "! grep -q flw_ '$WORK/node.out'"
check "no API key in the node's log" bash -c "! grep -q '$KEY' '$WORK/node.out'"

# -- receipts in the object store -------------------------------------------------------------
expect_rc 0 "fp objects ls the run's receipts" "$FP" objects ls "fraud-platform/$PRID/ig/receipts/" --data "$DATA"
# Under the run: 5 ADMIT + 2 DUPLICATE + 10 QUARANTINE (the early RUN_NOT_READY, the mismatch,
# q1-q5, q8, q9 and q1 again in the batch); q6 and q7 went under other run ids.
check "one receipt per decision of the run (17)" test "$(wc -l <"$WORK/out")" = 17
expect_rc 0 "fp objects cat the ADMIT receipt" "$FP" objects cat "$(field "$WORK/admitted.json" 'd["receipt_ref"]')" --data "$DATA"
check "the receipt carries the fields and stamps" "$PY" - "$WORK/out" "$SRID" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["decision"] == "ADMIT" and r["scenario_run_id"] == sys.argv[2], r
for k in ("platform_run_id", "event_class", "payload_hash", "admitted_at_utc", "eb_ref",
          "policy_rev", "service_release_id"):
    assert r.get(k), k
PYEOF
expect_rc 0 "fp objects ls the quarantine evidence" "$FP" objects ls "fraud-platform/$PRID/ig/quarantine/" --data "$DATA"
check "one evidence record per quarantine of the run (10)" test "$(wc -l <"$WORK/out")" = 10
expect_rc 0 "fp objects ls: nothing under ids from unparseable bodies" "$FP" objects ls "fraud-platform/" --data "$DATA"
check "only this run, _invalid and the READY-less run have objects" \
  test "$(cut -d/ -f2 "$WORK/out" | sort -u | tr '\n' ' ')" = "_invalid $PRID platform_20300101T000000Z "

if [[ $FAILED != 0 ]]; then
  echo "ig_test: FAILED"
  exit 1
fi
echo "ig_test: all passed"
