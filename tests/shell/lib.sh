# shellcheck shell=bash
# Shared by the shell's script tests: a temp dir, a real fpnode (port 0, a temp data dir,
# counters seeded through its ingress route), the canned admin API node for what a real
# node cannot be made to answer, and checks.
# Sourced after `set -euo pipefail`; the caller sets FP, FPNODE, SRC and CANNED, and traps
# EXIT to a function that calls cleanup_base.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fp-shell-test.XXXXXX")
# a signal (ctest's timeout, Ctrl-C) exits through the caller's EXIT trap, which stops the node
trap 'exit 130' INT
trap 'exit 143' TERM
CANNED_PIDS=()
FPNODE_PID=

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_gone PID TENTHS: polls until PID has exited (at most TENTHS/10 s); 1 if it has not.
wait_gone() {
  local pid=$1
  for _ in $(seq $(($2 * 2))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  return 1
}

# stop_fpnode: SIGTERMs the node, waits (at most 15 s) for it to exit and reaps it; sets
# FPNODE_RC to its exit code. A node still running after 15 s is SIGKILLed (FPNODE_RC
# "killed") and stop_fpnode returns 1.
stop_fpnode() {
  local pid=$FPNODE_PID
  [[ -n $pid ]] || return 0
  FPNODE_PID=
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 150; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    FPNODE_RC=killed
    return 1
  fi
  FPNODE_RC=0
  wait "$pid" 2>/dev/null || FPNODE_RC=$?
}

# cleanup_base [RC]: stops (SIGTERM, reaps) whatever node is still running, then removes
# $TMP; RC is the test's exit status so far (fpnode's output is shown when it is not 0).
cleanup_base() {
  local rc=${1:-$?}
  if [[ -n $FPNODE_PID ]]; then
    stop_fpnode || true
    echo "cleanup: SIGTERMed fpnode; exit $FPNODE_RC" >&2
  fi
  for pid in "${CANNED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CANNED_PIDS[@]}"; do
    wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$TMP/fpnode.out" "$TMP/fpnode.err"; do
      [[ -s $f ]] && { echo "---- ${f##*/} ----" && cat "$f"; } >&2
    done
  fi
  rm -rf "$TMP"
}

# port_of DIR NAME: a number from DIR/fpnode.ports.json ({"admin":P,"ingress":Q,"pid":N}).
port_of() {
  sed -E "s/.*\"$2\":([0-9]+).*/\\1/" "$1/fpnode.ports.json"
}

# fpnode_profile [SED-EXPR...]: config/profiles/local_parity.yaml with both ports 0, a short
# shutdown grace, the testkit plane (whose counters the tests seed) and the edits, as
# $TMP/node.yaml.
fpnode_profile() {
  local args=(-e 's/port: 847[01]/port: 0/' -e 's/shutdown_grace_ms: [0-9]*/shutdown_grace_ms: 2000/'
    -e 's/^  planes: .*/  planes: [testkit]/')
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$SRC/config/profiles/local_parity.yaml" >"$TMP/node.yaml"
}

# start_fpnode DIR: starts fpnode with $TMP/node.yaml on DIR and waits (at most 10 s) for
# the ports file naming its pid; sets FPNODE_PID, NODE_URL (admin) and INGRESS_URL.
start_fpnode() {
  local dir=$1
  mkdir -p "$dir"
  rm -f "$dir/fpnode.ports.json"
  "$FPNODE" --profile "$TMP/node.yaml" --data "$dir" >>"$TMP/fpnode.out" 2>>"$TMP/fpnode.err" &
  FPNODE_PID=$!
  for _ in $(seq 200); do
    if [[ -s $dir/fpnode.ports.json ]] && [[ $(port_of "$dir" pid) == "$FPNODE_PID" ]]; then
      NODE_URL="http://127.0.0.1:$(port_of "$dir" admin)"
      INGRESS_URL="http://127.0.0.1:$(port_of "$dir" ingress)"
      return 0
    fi
    if ! kill -0 "$FPNODE_PID" 2>/dev/null; then # it exited: reap it
      wait "$FPNODE_PID" 2>/dev/null || true
      FPNODE_PID=
      break
    fi
    sleep 0.05
  done
  fail "fpnode did not start on $dir: $(cat "$TMP/fpnode.err")"
}

# add KEY AMOUNT: POSTs an add to the testkit counter KEY; fails unless it answers 200.
add() {
  local code
  code=$(curl -sS -m 10 -o "$TMP/add.body" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' \
    -d "{\"op\":\"add\",\"amount\":$2,\"at\":\"2026-01-01T00:00:00Z\"}" \
    "$INGRESS_URL/v1/testkit/counters/$1") || fail "POST counters/$1: curl failed"
  [[ $code == 200 ]] || fail "POST counters/$1 amount $2: $code $(cat "$TMP/add.body")"
}

# start_canned DIR [canned options...]: starts the canned admin API node and waits (at most
# 5 s) for its ports file; sets NODE_URL.
start_canned() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$CANNED" --data "$dir" "$@" &
  CANNED_PIDS+=($!)
  for _ in $(seq 100); do
    [[ -s "$dir/fpnode.ports.json" ]] && break
    sleep 0.05
  done
  [[ -s "$dir/fpnode.ports.json" ]] || fail "canned node did not write $dir/fpnode.ports.json"
  NODE_URL="http://127.0.0.1:$(port_of "$dir" admin)"
}

# A TCP port nothing listens on (bound by the kernel's choice, then closed).
closed_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
