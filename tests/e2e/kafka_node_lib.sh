# Shared by the e2e tests that run fpnode on the dev profile's Kafka bus against
# `fp devbroker` (sourced after SRC, FP, FPNODE, PY, WORK and DATA are set).

# die WHY: fails the test, with the tails of the broker's and the node's output.
die() {
  echo "not ok - $*"
  for f in broker.err node.out node.err; do
    [[ -s $WORK/$f ]] && { echo "    --- $f"; tail -n 40 "$WORK/$f" | sed 's/^/    /'; }
  done
  exit 1
}

# dev_profile OUT [SED_ARGS...]: the dev profile with the node's data dir ($DATA), the test's
# oracle root ($WORK/oracle_root), both ports 0 (any free port: fixed ones would collide with
# tests running alongside) and absolute policy paths, plus the test's own SED_ARGS. Stops the
# test when a line it edits is gone from the profile.
dev_profile() {
  local out=$1
  shift
  sed -e "s|^  data_dir: .*|  data_dir: $DATA|" \
      -e "s|^  oracle_root: .*|  oracle_root: $WORK/oracle_root|" \
      -e 's|^    port: 8470 |    port: 0    |' -e 's|^    port: 8471$|    port: 0|' \
      -e "s|\.\./\.\./schemas/|$SRC/schemas/|" -e "s|\.\./platform/|$SRC/config/platform/|" \
      "$@" "$SRC/config/profiles/dev.yaml" >"$out"
  local want
  for want in "port: 0 .*# 0 = any" "$SRC/schemas/" "$SRC/config/platform/"; do
    grep -q "$want" "$out" || die "the dev profile no longer has the line the test edits to '$want'"
  done
  [[ $(grep -c "^    port: 0 *\(#.*\)\?$" "$out") == 2 ]] || die "the dev profile's ports are not both set to 0"
}

# start_node PROFILE: runs fpnode on PROFILE with $DATA (NODE_PID; output in $WORK/node.out and
# $WORK/node.err), waits up to 30 s for its ports and sets ADMIN and INGRESS to its URLs.
start_node() {
  mkdir -p "$DATA"
  "$FPNODE" --profile "$1" --data "$DATA" >"$WORK/node.out" 2>"$WORK/node.err" &
  NODE_PID=$!
  for _ in $(seq 300); do
    [[ -s $DATA/fpnode.ports.json ]] && break
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $DATA/fpnode.ports.json ]] || die "fpnode did not start"
  local port_of='import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])'
  ADMIN=http://127.0.0.1:$("$PY" -c "$port_of" "$DATA/fpnode.ports.json" admin)
  INGRESS=http://127.0.0.1:$("$PY" -c "$port_of" "$DATA/fpnode.ports.json" ingress)
}
