#!/usr/bin/env bash
# `fp shell -c` and piped stdin, as scripts use them: stdout, stderr and exit codes against
# the canned admin API (with a bearer token), a RED node and an unreachable one.
set -euo pipefail
FP=$1
CANNED=$2
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

start_node "$TMP/node" --token s3cret
echo s3cret >"$TMP/token"
auth=(--token-file "$TMP/token")

# 0: the API's body, compact, on stdout; nothing on stderr
run 0 --node "$NODE_URL" "${auth[@]}" -c "show counter alpha"
has "$OUT" '{"type":"counter","key":"alpha","persistence_id":"counter/alpha","status":"live"'
[[ -z "$ERR" ]] || fail "stderr not empty: $ERR"
[[ $(wc -l <"$TMP/out") -eq 1 ]] || fail "compact JSON is one line: $OUT"
run 0 --data "$TMP/node" "${auth[@]}" -c "planes" # the ports file finds the admin port
has "$OUT" '"name":"testkit"'
FP_ADMIN_TOKEN=s3cret run 0 --node "$NODE_URL" -c "ls counter --state live --limit 2"
has "$OUT" '"next_after":"beta"'
run 0 --node "$NODE_URL" "${auth[@]}" -c "journal counter/beta"
has "$OUT" '"persistence_id":"counter/beta","events":[{"seq":1'
run 0 --node "$NODE_URL" "${auth[@]}" -c "metrics fp_journal"
[[ "$OUT" == *"fp_journal_appends_total 14" && "$OUT" != *fp_entities* ]] || fail "metrics: $OUT"
run 0 --node "$NODE_URL" "${auth[@]}" -c "health"
[[ "$OUT" == '{"status":"GREEN","reasons":[]}' ]] || fail "health: $OUT"

# 1: API errors, unknown or malformed commands, a missing token, an unreachable node
run 1 --node "$NODE_URL" "${auth[@]}" -c "show counter zz"
[[ "$ERR" == 'fp shell: GET /admin/entities/counter/zz: 404 not_found: no entity counter/zz' ]] ||
  fail "404: $ERR"
[[ -z "$OUT" ]] || fail "stdout not empty on error: $OUT"
run 1 --node "$NODE_URL" "${auth[@]}" -c "frobnicate"
[[ "$ERR" == "fp shell: unknown command \"frobnicate\"; 'help' lists the commands" ]] || fail "$ERR"
run 1 --node "$NODE_URL" "${auth[@]}" -c "show counter"
has "$ERR" "show: missing operand; usage: show TYPE KEY"
run 1 --node "$NODE_URL" -c "planes"
has "$ERR" "401 unauthorized"
port=$(closed_port)
run 1 --node "http://127.0.0.1:$port" -c "planes"
[[ "$ERR" == "fp shell: node http://127.0.0.1:$port unreachable (connection refused)" ]] ||
  fail "unreachable: $ERR"
run 1 --data "$TMP/no-node" -c "planes"
has "$ERR" "fpnode.ports.json"
run 1 --node "$NODE_URL" --token-file "$TMP/missing-token" -c "planes"
start_node "$TMP/red" --health RED
run 1 --node "$NODE_URL" -c "health" # RED: the body is printed, the exit code says so
[[ "$OUT" == '{"status":"RED","reasons":["journal: disk 95% full"]}' ]] || fail "RED: $OUT"

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
printf 'planes\nfrobnicate\nshow counter bravo\n' |
  FP_ADMIN_TOKEN=s3cret "$FP" shell --data "$TMP/node" >"$TMP/out" 2>"$TMP/err" || code=$?
[[ $code -eq 1 ]] || fail "piped lines with an error exited $code"
has "$(cat "$TMP/out")" "testkit  counter  0           3     1           0"
has "$(cat "$TMP/out")" '"status": "passivated"'
has "$(cat "$TMP/err")" 'unknown command "frobnicate"'

echo "shell_cli: ok"
