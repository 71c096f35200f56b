#!/usr/bin/env bash
# Process test of fpnode: profiles, the admin API, the testkit ingress route, metrics
# (promtool), bearer-token auth, and a clean SIGTERM stop whose journal verifies.
#
# usage: node_test.sh FPNODE FP SOURCE_DIR
set -uo pipefail
FPNODE=${1:?usage: node_test.sh FPNODE FP SOURCE_DIR}
FP=${2:?}
SRC=${3:?}
WORK=$(mktemp -d)
DATA=$WORK/data
source "$SRC/tests/cluster/node_lib.sh"
cleanup() {
  [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# -- start-up refusals ----------------------------------------------------------------------
refused() { # refused DESCRIPTION PROFILE MESSAGE: fpnode exits 1 and names the problem
  "$FPNODE" --profile "$2" --data "$DATA" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [[ $rc == 1 ]] && grep -qF -- "$3" "$WORK/err"; then pass "$1"; else
    fail "$1: exit $rc, stderr:"; sed 's/^/    /' "$WORK/err"
  fi
}
profile typo 's/snapshot_every:/snapshot_evry:/'
refused "a misspelt key stops the node, naming the file and key" "$WORK/typo.yaml" \
  "$WORK/typo.yaml: policy.entities.snapshot_evry: unknown key (known: shards, partitions,"
profile badport '0,/port: 0/s//port: abc/'
refused "a mistyped port stops the node" "$WORK/badport.yaml" \
  'wiring.admin.port: must be an integer 0..65535, got "abc"'
profile plane 's/^  planes: .*/  planes: [testkit, nope]/'
refused "an unknown plane stops the node" "$WORK/plane.yaml" \
  'policy.planes[1]: unknown plane "nope" (known: testkit, sr, ig'
profile open 's/bind: 127.0.0.1/bind: 0.0.0.0/'
refused "a non-loopback admin API without a token source does not start" "$WORK/open.yaml" \
  "wiring.admin: bind 0.0.0.0 is not loopback, so token_file or token_env must name"
profile noenv 's/require_token: false/require_token: true/' 's/token_env: ""/token_env: FP_TEST_NO_SUCH_VAR/'
refused "a named but unset token variable does not start" "$WORK/noenv.yaml" \
  "environment variable FP_TEST_NO_SUCH_VAR is not set"

# The shipped planes (sr, ig, wsp) need the ingress API keys and WSP's key, from the locations
# the profile names. Policy paths made absolute (they are relative to the profile's directory).
sed -e 's/port: 847[01]/port: 0/' -e "s#oracle_root: .*#oracle_root: $WORK/oracle#" \
  -e "s#\.\./platform/#$SRC/config/platform/#" -e "s#\.\./\.\./schemas/#$SRC/schemas/#" \
  "$SRC/config/profiles/local_parity.yaml" >"$WORK/shipped.yaml"
check "local_parity runs the Control & Ingress planes" grep -q '^  planes: \[sr, ig, wsp\]' "$WORK/shipped.yaml"
unset FP_INGEST_API_KEYS FP_WSP_API_KEY
DATA=$WORK/keys refused "without FP_INGEST_API_KEYS the node does not start, naming the location" \
  "$WORK/shipped.yaml" \
  "wiring.ingress.api_keys_env: environment variable FP_INGEST_API_KEYS is not set"
FP_INGEST_API_KEYS=short DATA=$WORK/keys refused "a too short API key does not start the node" \
  "$WORK/shipped.yaml" \
  "wiring.ingress.api_keys_env FP_INGEST_API_KEYS: an API key must be 16..256 characters long"
FP_INGEST_API_KEYS=node-test-ingest-key-01 DATA=$WORK/keys refused \
  "without FP_WSP_API_KEY the node does not start, naming the location" "$WORK/shipped.yaml" \
  "wiring.wsp.api_key_env: environment variable FP_WSP_API_KEY is not set"
FP_INGEST_API_KEYS=node-test-ingest-key-01 FP_WSP_API_KEY=node-test-ingest-key-01 \
  start_node "$WORK/shipped.yaml" "$WORK/keys" || exit 1
check "with both keys the shipped profile starts with planes sr, ig, wsp" \
  grep -q "planes \[sr,ig,wsp\]" "$WORK/node.out"
check "the shipped planes' node is GREEN" \
  test "$(status_of "$ADMIN/healthz") $(cat "$WORK/body")" = '200 {"status":"GREEN","reasons":[]}'
stop_node
check "it stops cleanly (exit 0)" test $? = 0
check "no key appears in fpnode's stdout or stderr" \
  bash -c "! grep -qF node-test-ingest-key-01 '$WORK/node.out' '$WORK/node.err' '$WORK/err'"
: >"$WORK/node.out"
: >"$WORK/node.err"

# -- a running node -------------------------------------------------------------------------
profile node
start_node "$WORK/node.yaml" "$DATA" || exit 1
pass "fpnode starts on free ports and writes DATA/fpnode.ports.json"
check "fpnode logs its ports in one line" grep -q "admin 127.0.0.1:[0-9]* (no token); ingress 127.0.0.1:[0-9]*" "$WORK/node.out"
for k in alpha beta gamma; do
  for n in 1 2 3; do [[ $(add $k $n) == 200 ]] || fail "add $k $n: $(cat "$WORK/body")"; done
done
check "an add answers the counter's value" test "$(json 'd["value"], d["adds"]' <"$WORK/body")" = "(6, 3)"
code=$(add alpha 0)
check "a rejected add is 422 with the entity's reason" test "$code:$(json 'd["error"]["code"]' <"$WORK/body")" = "422:rejected"
code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST -H 'Content-Type: application/json' -d '{"op":"add","amount":"x","at":"2026-01-01T00:00:00Z"}')
check "a bad field is 400 naming it" test "$code:$(json 'd["error"]["message"]' <"$WORK/body")" = \
  '400:body.amount: must be an integer within +/-2^53, got "x"'
code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST -H 'Content-Type: application/json' -d '{"op":"add","amount":1}')
check "a missing field is 400 naming it" grep -q '"body.at: missing' "$WORK/body"
code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST -H 'Content-Type: application/json' -d '{"op":"add",')
check "malformed JSON is 400" test "$code" = 400
# A body route takes JSON only: Content-Type application/json (charset=utf-8 allowed).
for ct in "" "Content-Type: text/plain" "Content-Type: application/x-www-form-urlencoded" \
  "Content-Type: application/json; charset=latin1"; do
  code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST -H "${ct:-Content-Type:}" \
    --data-binary '{"op":"add","amount":1,"at":"2026-01-01T00:00:00Z"}')
  check "a body sent as '${ct:-no Content-Type}' is 415 and changes nothing" \
    test "$code:$(json 'd["error"]["code"]' <"$WORK/body")" = "415:unsupported_media_type"
done
code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST \
  -H 'Content-Type: Application/JSON; charset="UTF-8"' -d '{"op":"get"}')
check "application/json with charset=utf-8 is accepted in any case; the 415s added nothing" \
  test "$code $(json 'd["value"], d["adds"]' <"$WORK/body")" = "200 (6, 3)"
code=$(status_of "$INGRESS/v1/testkit/counters/alpha" -X POST --data-binary @<(head -c 70000 /dev/zero | tr '\0' ' '))
check "a body over policy.http.max_body_bytes is 413" test "$code" = 413
code=$(status_of "$INGRESS/v1/testkit/counters/alpha")
check "GET on the ingress route is 405" test "$code" = 405

code=$(status_of "$ADMIN/healthz")
check "healthz is GREEN with the embedded bus wired" \
  test "$code $(cat "$WORK/body")" = '200 {"status":"GREEN","reasons":[]}'
check "the node created the profile's topics and said so" \
  test "$(grep -c '^fpnode: bus: created topic ' "$WORK/node.out")" = 6
status_of "$ADMIN/admin/bus" >/dev/null
check "admin/bus lists the profile's topics with partitions, retention and offsets" test \
  "$(json 'd["backend"], d["reachable"], sorted((t["name"], t["partitions"], t["retention_ms"], len(t["offsets"])) for t in d["topics"])[:2]' <"$WORK/body")" = \
  "('embedded', True, [('fp.bus.audit.v1', 8, 604800000, 8), ('fp.bus.context.arrival_entities.v1', 8, 604800000, 8)])"
check "each creation left one AdminEvent on fp.bus.control.v1" test \
  "$(json '[o["high"] for t in d["topics"] if t["name"] == "fp.bus.control.v1" for o in t["offsets"]]' <"$WORK/body")" = "[6]"
status_of "$ADMIN/admin/bus/groups/nobody/lag?topic=fp.bus.control.v1" >/dev/null
check "a group without checkpoints lags by the whole topic" test \
  "$(json 'd["lag"], d["partitions"][0]["committed"]' <"$WORK/body")" = "(6, None)"
check "an unknown topic's lag is 404" \
  test "$(status_of "$ADMIN/admin/bus/groups/g/lag?topic=fp.bus.nope.v1")" = 404
check "fp shell -c bus prints the bus as JSON" test \
  "$("$FP" shell --node "$ADMIN" -c bus | json '[o["high"] for t in d["topics"] if t["name"] == "fp.bus.control.v1" for o in t["offsets"]]')" = "[6]"
status_of "$ADMIN/admin/planes" >/dev/null
check "admin/planes lists testkit's counter type with live counts" test \
  "$(json '[(p["name"], t["type"], t["counts"]["live"]) for p in d["planes"] for t in p["entity_types"]]' <"$WORK/body")" = \
  "[('testkit', 'counter', 3)]"
status_of "$ADMIN/admin/entities/counter?limit=2" >/dev/null
check "admin/entities pages in key order" test \
  "$(json '[e["key"] for e in d["entities"]], d["next_after"], d["counts"]["live"]' <"$WORK/body")" = \
  "(['alpha', 'beta'], 'beta', 3)"
status_of "$ADMIN/admin/entities/counter?after=beta" >/dev/null
check "admin/entities resumes after a key" test "$(json '[e["key"] for e in d["entities"]], d["next_after"]' <"$WORK/body")" = "(['gamma'], None)"
status_of "$ADMIN/admin/entities/counter/beta" >/dev/null
check "admin/entities/counter/beta shows its state" test "$(json 'd["state"]["value"], d["status"], d["last_seq"]' <"$WORK/body")" = "(6, 'live', 3)"
status_of "$ADMIN/admin/journal/counter%2Fgamma?from=2&limit=1" >/dev/null
check "admin/journal shows events with decoded payloads" test \
  "$(json 'd["persistence_id"], [(e["seq"], e["event_type"], e["payload"][1], e["writer"]) for e in d["events"]], d["next_from"]' <"$WORK/body")" = \
  "('counter/gamma', [(2, 'counter.added', 2, 'fpnode')], 3)"
check "written_at is RFC 3339 with nanoseconds" test \
  "$(json 'bool(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", d["events"][0]["written_at"]))' <"$WORK/body")" = True
bad() { # bad URL PARAMETER: 400 whose message starts with the parameter
  local code; code=$(status_of "$ADMIN$1")
  if [[ $code == 400 ]] && [[ $(json 'd["error"]["message"]' <"$WORK/body") == "$2"* ]]; then
    pass "400 for $1"; else fail "$1: $code $(cat "$WORK/body")"; fi
}
bad "/admin/entities/counter?limit=0" "limit: must be an integer 1..1000"
bad "/admin/entities/counter?limit=abc" "limit: must be an integer 1..1000"
bad "/admin/entities/counter?state=sleepy" "state: must be one of recovering live passivated quarantined"
bad "/admin/entities/counter?colour=red" '"colour": unknown parameter'
bad "/admin/planes?verbose=1" '"verbose": unknown parameter'
check "/healthz and /metrics ignore query parameters (probes and scrapers add their own)" \
  test "$(status_of "$ADMIN/healthz?probe=1"):$(status_of "$ADMIN/metrics?name[]=x")" = "200:200"
bad "/admin/journal/counter%2Falpha?from=0" "from: must be an integer 1.."
bad "/admin/journal/counter%2Falpha?limit=1&limit=2" "limit: given more than once"
bad "/admin/journal/counter%2Falpha%zz" "path: malformed percent-encoding at byte 30"
bad "/admin/entities/counter/alpha%4" "path: malformed percent-encoding at byte 29"
check "an unknown type is 404" test "$(status_of "$ADMIN/admin/entities/widget")" = 404
check "an unknown entity is 404" test "$(status_of "$ADMIN/admin/entities/counter/nobody")" = 404
check "an empty stream is 404" test "$(status_of "$ADMIN/admin/journal/counter%2Fnobody")" = 404
check "the admin API is read-only: POST is 405" test "$(status_of "$ADMIN/admin/planes" -X POST -d '{}')" = 405

status_of "$ADMIN/metrics" >/dev/null
cp "$WORK/body" "$WORK/metrics.txt"
if [[ -x /usr/bin/promtool ]]; then
  check "promtool accepts /metrics" /usr/bin/promtool check metrics <"$WORK/metrics.txt"
else
  fail "promtool is not installed (tools/install-deps.sh installs package prometheus)"
fi
check "metrics count commands per type" grep -q '^fp_core_commands_total{plane="testkit",type="counter"} 1[0-9]$' "$WORK/metrics.txt"
check "metrics carry entity gauges" grep -q '^fp_core_entities{plane="testkit",type="counter",status="live"} 3$' "$WORK/metrics.txt"
check "metrics carry journal counters" grep -q '^fp_journal_events_appended_total 9$' "$WORK/metrics.txt"
check "metrics report the bus up" grep -q '^fp_bus_up{backend="embedded"} 1$' "$WORK/metrics.txt"
check "metrics count the AdminEvents produced" grep -q '^fp_bus_produced_total{backend="embedded"} 6$' "$WORK/metrics.txt"
check "metrics count HTTP requests by server and code" grep -q '^fp_http_requests_total{server="ingress",code="422"} 1$' "$WORK/metrics.txt"
check "metrics time each route's handler (beta and nobody: two requests on one route)" \
  grep -q '^fp_http_request_seconds_count{server="admin",method="GET",route="/admin/entities/\*/\*"} 2$' "$WORK/metrics.txt"
check "a route's +Inf bucket holds all its requests" \
  grep -q '^fp_http_request_seconds_bucket{server="admin",method="GET",route="/admin/entities/\*/\*",le="+Inf"} 2$' "$WORK/metrics.txt"

stop_node
check "SIGTERM stops fpnode with exit 0" test $? = 0
check "fpnode logs its clean stop" grep -q "SIGTERM received; stopped cleanly; journal closed" "$WORK/node.out"
check "the ports file is removed at a clean stop" test ! -e "$DATA/fpnode.ports.json"
check "fp replay verify passes on the node's journal" "$FP" replay verify --data "$DATA"

# -- recovery: a restarted node serves the journal's state; passivated counts come from it --
start_node "$WORK/node.yaml" "$DATA" || exit 1
status_of "$ADMIN/admin/entities/counter" >/dev/null
check "after a restart the counters are passivated (counted from the journal)" test \
  "$(json 'd["counts"]["passivated"], d["counts"]["live"]' <"$WORK/body")" = "(3, 0)"
check "a restarted counter continues from its journal" test "$(add alpha 10):$(json 'd["value"]' <"$WORK/body")" = "200:16"
check "a restart finds the topics and creates nothing" \
  test "$(grep -c '^fpnode: bus: created topic ' "$WORK/node.out")" = 6
stop_node

# -- topics follow the profile: retention changes are audited, repartitioning is refused --
profile retention 's/{name: fp.bus.audit.v1, partitions: 8, retention_ms: 604800000/{name: fp.bus.audit.v1, partitions: 8, retention_ms: 86400000/'
start_node "$WORK/retention.yaml" "$DATA" || exit 1
check "a changed retention is applied and logged" \
  grep -q '^fpnode: bus: changed retention of fp.bus.audit.v1 to retention_ms 86400000, retention_bytes -1$' "$WORK/node.out"
status_of "$ADMIN/admin/bus" >/dev/null
check "the change left a seventh AdminEvent and the new retention" test \
  "$(json '[o["high"] for t in d["topics"] if t["name"] == "fp.bus.control.v1" for o in t["offsets"]], [t["retention_ms"] for t in d["topics"] if t["name"] == "fp.bus.audit.v1"]' <"$WORK/body")" = "([7], [86400000])"
stop_node
profile repart 's/{name: fp.bus.audit.v1, partitions: 8/{name: fp.bus.audit.v1, partitions: 4/'
refused "a changed partition count stops the node" "$WORK/repart.yaml" \
  "policy.bus.topics: topic fp.bus.audit.v1 has 8 partitions, the profile says 4"
FP_INGRESS_BIND=nowhere refused "a bad environment override stops the node, naming it" "$WORK/node.yaml" \
  'environment FP_INGRESS_BIND: must be an IPv4 or IPv6 address, got "nowhere"'

# -- bearer token ---------------------------------------------------------------------------
TOKEN=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$WORK/token"
profile auth 's/require_token: false/require_token: true/' "s|token_file: \"\"|token_file: $WORK/token|"
start_node "$WORK/auth.yaml" "$DATA" || exit 1
check "without a token the admin API is 401" test "$(status_of "$ADMIN/healthz")" = 401
check "with a wrong token the admin API is 401" test "$(status_of "$ADMIN/healthz" -H "Authorization: Bearer ${TOKEN}x")" = 401
check "with the token the admin API answers" test "$(status_of "$ADMIN/healthz" -H "Authorization: Bearer $TOKEN")" = 200
check "metrics need the token too" test "$(status_of "$ADMIN/metrics")" = 401
stop_node
export FP_TEST_ADMIN_TOKEN=$TOKEN
profile authenv 's/require_token: false/require_token: true/' 's/token_env: ""/token_env: FP_TEST_ADMIN_TOKEN/'
start_node "$WORK/authenv.yaml" "$DATA" || exit 1
check "a token from token_env works" test "$(status_of "$ADMIN/admin/planes" -H "Authorization: Bearer $TOKEN")" = 200
stop_node
check "the token never appears in fpnode's stdout or stderr" bash -c "! grep -qF '$TOKEN' '$WORK/node.out' '$WORK/node.err'"

exit $FAILED
