# Shared by the shell's script tests: a temp dir, the canned admin API node, checks.
# Sourced after `set -euo pipefail`; the caller sets FP and CANNED.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fp-shell-test.XXXXXX")
NODE_PIDS=()
cleanup_base() {
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_node DIR [canned options...]: starts the canned node and waits (up to 5 s) for its
# ports file; prints nothing, sets NODE_URL.
start_node() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$CANNED" --data "$dir" "$@" &
  NODE_PIDS+=($!)
  for _ in $(seq 100); do
    [[ -s "$dir/fpnode.ports.json" ]] && break
    sleep 0.05
  done
  [[ -s "$dir/fpnode.ports.json" ]] || fail "canned node did not write $dir/fpnode.ports.json"
  local port
  port=$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$dir/fpnode.ports.json")
  NODE_URL="http://127.0.0.1:$port"
}

# A TCP port nothing listens on (bound by the kernel's choice, then closed).
closed_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
