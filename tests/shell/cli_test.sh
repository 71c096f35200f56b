#!/usr/bin/env bash
# `fp shell -c` and piped stdin, as scripts use them: stdout, stderr and exit codes against
# a REAL fpnode (port 0, a temp data dir, a bearer token required, counters seeded through
# the ingress route), an unreachable node, and the canned admin API for the one answer a
# real node cannot be made to give on demand: RED health (a real node is RED only while
# stopping or after journal write/checksum failures).
#
# usage: cli_test.sh FP FPNODE SOURCE_DIR CANNED_NODE
set -euo pipefail
FP=${1:?usage: cli_test.sh FP FPNODE SOURCE_DIR CANNED_NODE}
FPNODE=${2:?}
SRC=${3:?}
CANNED=${4:?}
source "$(dirname "$0")/lib.sh"
trap cleanup_base EXIT

# run EXPECTED_CODE ARGS...: runs `fp shell ARGS`, keeping stdout in $OUT and stderr in $ERR.
run() {
  local want=$1
  shift
  local code=0
  "$FP" shell "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || code=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  [[ $code -eq $want ]] || fail "fp shell $* exited $code, not $want; stderr: $ERR"
}
has() { [[ "$1" == *"$2"* ]] || fail "expected \"$2\" in: $1"; }

echo s3cret-s3cret-s3cret >"$TMP/token"
fpnode_profile 's/require_token: false/require_token: true/' "s|token_file: \"\"|token_file: $TMP/token|"
start_fpnode "$TMP/node"
add alpha 5
add alpha 7
add bravo 40
add bravo 2
add charlie 100
auth=(--token-file "$TMP/token")

# 0: the API's body, compact, on stdout; nothing on stderr
run 0 --node "$NODE_URL" "${auth[@]}" -c "show counter alpha"
has "$OUT" '"persistence_id":"counter/alpha"'
has "$OUT" '"state":{"adds":2,"last_at_ns":1767225600000000000,"value":12}'
has "$OUT" '"status":"live"'
has "$OUT" '"last_event":{"event_type":"counter.added","global_seq":2,"seq":2,'
[[ -z "$ERR" ]] || fail "stderr not empty: $ERR"
[[ $(wc -l <"$TMP/out") -eq 1 ]] || fail "compact JSON is one line: $OUT"
run 0 --data "$TMP/node" "${auth[@]}" -c "planes" # the ports file finds the admin port
[[ "$OUT" == '{"planes":[{"name":"testkit","entity_types":[{"type":"counter","counts":{"recovering":0,"live":3,"passivated":0,"quarantined":0}}]}]}' ]] ||
  fail "planes: $OUT"
FP_ADMIN_TOKEN=s3cret-s3cret-s3cret run 0 --node "$NODE_URL" -c "ls counter --state live --limit 2"
has "$OUT" '"entities":[{"key":"alpha","status":"live"},{"key":"bravo","status":"live"}],"next_after":"bravo"'
FP_ADMIN_TOKEN=s3cret-s3cret-s3cret run 0 --node "$NODE_URL" -c "ls counter --after bravo"
has "$OUT" '"entities":[{"key":"charlie","status":"live"}],"next_after":null'
run 0 --node "$NODE_URL" "${auth[@]}" -c "journal counter/bravo"
has "$OUT" '{"persistence_id":"counter/bravo","head_seq":2,"events":[{"seq":1,"global_seq":3,"event_type":"counter.added","schema_version":1,'
run 0 --node "$NODE_URL" "${auth[@]}" -c "journal counter/bravo --from 2"
has "$OUT" '"events":[{"seq":2,"global_seq":4,"event_type":"counter.added"'
run 0 --node "$NODE_URL" "${auth[@]}" -c "metrics fp_journal"
grep -qxF 'fp_journal_events_appended_total 5' <<<"$OUT" || fail "metrics: $OUT"
! grep -vE '^(# (HELP|TYPE) )?fp_journal' <<<"$OUT" >/dev/null || fail "metrics fp_journal: $OUT"
run 0 --node "$NODE_URL" "${auth[@]}" -c "metrics fp_http_requests_total"
has "$OUT" 'fp_http_requests_total{server="ingress",code="200"} 5'
run 0 --node "$NODE_URL" "${auth[@]}" -c "health"
[[ "$OUT" == '{"status":"GREEN","reasons":[]}' ]] || fail "health: $OUT"

# 1: API errors, unknown or malformed commands, a missing token, an unreachable node
run 1 --node "$NODE_URL" "${auth[@]}" -c "show counter zz"
[[ "$ERR" == 'fp shell: GET /admin/entities/counter/zz: 404 not_found: '*'no entity counter/zz'* ]] ||
  fail "404: $ERR"
[[ -z "$OUT" ]] || fail "stdout not empty on error: $OUT"
run 1 --node "$NODE_URL" "${auth[@]}" -c "ls nope"
[[ "$ERR" == 'fp shell: GET /admin/entities/nope: 404 not_found: entity type "nope" is not running on this node (running: counter)' ]] ||
  fail "unknown type: $ERR"
run 1 --node "$NODE_URL" "${auth[@]}" -c "journal counter/zz"
has "$ERR" '404 not_found: persistence_id "counter/zz" has no events'
run 1 --node "$NODE_URL" "${auth[@]}" -c "ls counter --limit 0"
has "$ERR" "ls: option --limit: expected 1..1000, got 0"
run 1 --node "$NODE_URL" "${auth[@]}" -c "journal counter/$(printf 'x%.0s' {1..450})"
has "$ERR" "400"
has "$ERR" "persistence_id"
run 1 --node "$NODE_URL" "${auth[@]}" -c "frobnicate"
[[ "$ERR" == "fp shell: unknown command \"frobnicate\"; 'help' lists the commands" ]] || fail "$ERR"
run 1 --node "$NODE_URL" "${auth[@]}" -c "show counter"
has "$ERR" "show: missing operand; usage: show TYPE KEY"
run 1 --node "$NODE_URL" -c "planes"
has "$ERR" "401 unauthorized"
echo wrong >"$TMP/wrong-token"
run 1 --node "$NODE_URL" --token-file "$TMP/wrong-token" -c "planes"
has "$ERR" "401 unauthorized"
port=$(closed_port)
run 1 --node "http://127.0.0.1:$port" -c "planes"
[[ "$ERR" == "fp shell: node http://127.0.0.1:$port unreachable (cannot connect: refused, or the host does not resolve)" ]] ||
  fail "unreachable: $ERR"
run 1 --data "$TMP/no-node" -c "planes"
has "$ERR" "fpnode.ports.json"
run 2 --node "http://127.0.0.1:99999" -c "planes"
has "$ERR" 'port "99999" is not 1..65535'
run 2 --node "$NODE_URL/admin" -c "planes"
has "$ERR" "takes no path"
run 2 --node "" -c "planes"
has "$ERR" "no host"
run 1 --node "$NODE_URL" --token-file "$TMP/missing-token" -c "planes"
# RED only from the canned node (see the header): the body is printed, the exit code says so
start_canned "$TMP/red" --health RED
run 1 --node "$NODE_URL" -c "health"
[[ "$OUT" == '{"status":"RED","reasons":["journal: disk 95% full"]}' ]] || fail "RED: $OUT"
start_canned "$TMP/amber" --health AMBER
run 0 --node "$NODE_URL" -c "health" # AMBER is not a failure
[[ "$OUT" == '{"status":"AMBER","reasons":["journal: disk 95% full"]}' ]] || fail "AMBER: $OUT"
NODE_URL="http://127.0.0.1:$(port_of "$TMP/node" admin)" # the real node again

# 2: usage errors of fp shell itself
run 2 -c "planes"
has "$ERR" "--node URL or --data DIR is required"
run 2 --node "$NODE_URL" --data "$TMP/node" -c "planes"
run 2 --node "$NODE_URL" --frobnicate
run 2 --node "$NODE_URL" -c ""
run 2 --node "$NODE_URL" -c
run 0 --help
has "$OUT" "Shell commands:"
has "$OUT" "journal ID [--from N] [--limit N]"

# stdin that is not a terminal: each line runs, tables printed; any failure means exit 1
code=0
printf 'planes\nfrobnicate\nshow counter bravo\nhealth\n' |
  FP_ADMIN_TOKEN=s3cret-s3cret-s3cret "$FP" shell --data "$TMP/node" >"$TMP/out" 2>"$TMP/err" || code=$?
[[ $code -eq 1 ]] || fail "piped lines with an error exited $code"
has "$(cat "$TMP/out")" "testkit  counter  0           3     0           0"
has "$(cat "$TMP/out")" '"value": 42'
has "$(cat "$TMP/out")" '"status": "live"'
grep -qx 'GREEN' "$TMP/out" || fail "health printed no GREEN line: $(cat "$TMP/out")"
has "$(cat "$TMP/err")" 'unknown command "frobnicate"'

# the node stops on SIGTERM: exit 0, reaped, its ports file gone
stop_fpnode || fail "fpnode did not stop on SIGTERM"
[[ $FPNODE_RC == 0 ]] || fail "fpnode exited $FPNODE_RC on SIGTERM, not 0"
[[ ! -e $TMP/node/fpnode.ports.json ]] || fail "fpnode left its ports file behind"
run 1 --node "$NODE_URL" "${auth[@]}" -c "planes"
[[ "$ERR" == "fp shell: node $NODE_URL unreachable (cannot connect: refused, or the host does not resolve)" ]] || fail "stopped: $ERR"

echo "shell_cli: ok"
