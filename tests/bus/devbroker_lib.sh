# Starting `fp devbroker` for a process test (sourced after FP and WORK are set).
#
# start_devbroker BROKERS PROFILE: runs `$FP devbroker` in the background with PROFILE's topics
# (BROKER_PID; its stdout and stderr in $WORK/broker.out and $WORK/broker.err) and waits up to
# 10 s for its bootstrap file, $WORK/bootstrap. Returns 1 with the broker's stderr printed when
# the file does not appear (the broker exited or hung).
start_devbroker() {
  "$FP" devbroker --brokers "$1" --topics-from "$2" --bootstrap-file "$WORK/bootstrap" \
    >"$WORK/broker.out" 2>"$WORK/broker.err" &
  BROKER_PID=$!
  for _ in $(seq 100); do
    [[ -s $WORK/bootstrap ]] && return 0
    kill -0 "$BROKER_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $WORK/bootstrap ]] && return 0
  sed 's/^/    /' "$WORK/broker.err" >&2
  return 1
}
