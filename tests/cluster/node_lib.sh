# Helpers for the node's process tests (sourced): a node on port 0 in a temp dir.
# Needs FPNODE, SRC, WORK set; /usr/bin/python3 for JSON.
PY=/usr/bin/python3
FAILED=0
NODE_PID=
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILED=1; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
json() { # json PYTHON-EXPR-ON-d < JSON
  "$PY" -c "import json,sys; d=json.load(sys.stdin); print(($1))"
}
# profile NAME [SED-EXPR...]: local_parity.yaml with ports 0, the testkit plane (whose counters
# the tests drive) and the edits, as $WORK/NAME.yaml
profile() {
  local name=$1; shift
  local args=(-e 's/port: 847[01]/port: 0/' -e 's/^  planes: .*/  planes: [testkit]/')
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$SRC/config/profiles/local_parity.yaml" >"$WORK/$name.yaml"
}
# start_node PROFILE DATA: starts fpnode, waits for its ports file; sets ADMIN, INGRESS, NODE_PID
start_node() {
  local prof=$1 data=$2
  rm -f "$data/fpnode.ports.json"
  "$FPNODE" --profile "$prof" --data "$data" >>"$WORK/node.out" 2>>"$WORK/node.err" &
  NODE_PID=$!
  for _ in $(seq 200); do
    if [[ -s $data/fpnode.ports.json ]] &&
      [[ $(json 'd["pid"]' <"$data/fpnode.ports.json") == "$NODE_PID" ]]; then
      ADMIN=http://127.0.0.1:$(json 'd["admin"]' <"$data/fpnode.ports.json")
      INGRESS=http://127.0.0.1:$(json 'd["ingress"]' <"$data/fpnode.ports.json")
      return 0
    fi
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "fpnode did not start:"; sed 's/^/    /' "$WORK/node.err"
  return 1
}
stop_node() { # stop_node: SIGTERM, returns fpnode's exit code
  kill -TERM "$NODE_PID"
  wait "$NODE_PID"
  local rc=$?
  NODE_PID=
  return $rc
}
# status_of URL [CURL-ARGS...]: the HTTP status; the body goes to $WORK/body
status_of() {
  local url=$1; shift
  curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$url"
}
add() { # add KEY AMOUNT: POSTs an add, prints the status
  status_of "$INGRESS/v1/testkit/counters/$1" -X POST -H 'Content-Type: application/json' \
    -d "{\"op\":\"add\",\"amount\":$2,\"at\":\"2026-01-01T00:00:00Z\"}"
}
