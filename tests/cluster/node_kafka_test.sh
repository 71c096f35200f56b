#!/usr/bin/env bash
# fpnode on the Kafka backend: the dev profile against `fp devbroker` (librdkafka's mock
# cluster speaking the Kafka protocol). The node finds the topics the broker pre-created,
# reports the bus GREEN with its topics and metrics, serves commands, turns RED
# BUS_UNREACHABLE when the broker goes away, and still stops cleanly.
#
# usage: node_kafka_test.sh FPNODE FP SOURCE_DIR
set -uo pipefail
FPNODE=${1:?usage: node_kafka_test.sh FPNODE FP SOURCE_DIR}
FP=${2:?}
SRC=${3:?}
WORK=$(mktemp -d)
DATA=$WORK/data
source "$SRC/tests/cluster/node_lib.sh"
BROKER_PID=
cleanup() {
  [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null
  [[ -n $BROKER_PID ]] && kill -9 "$BROKER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$SRC/tests/bus/devbroker_lib.sh"
start_devbroker 1 "$SRC/config/profiles/dev.yaml" || { fail "fp devbroker did not start"; exit 1; }

# The dev profile as shipped, on free ports, running the testkit plane whose counters the test
# drives; the broker and the token come from the environment.
sed -e 's/port: 847[01]/port: 0/' -e 's/^  planes: .*/  planes: [testkit]/' \
  "$SRC/config/profiles/dev.yaml" >"$WORK/dev.yaml"
TOKEN=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export FP_ADMIN_TOKEN=$TOKEN
export FP_BUS_BOOTSTRAP=$(cat "$WORK/bootstrap")
start_node "$WORK/dev.yaml" "$DATA" || exit 1
auth=(-H "Authorization: Bearer $TOKEN")
check "fpnode logs the Kafka bus it joined" grep -q "; bus kafka at $FP_BUS_BOOTSTRAP; " "$WORK/node.out"
check "the broker's pre-created topics are taken as they are (nothing created)" \
  test "$(grep -c '^fpnode: bus: created' "$WORK/node.out")" = 0
check "a retention the test broker cannot change is a warning naming why, not a stop" \
  grep -q '^fpnode: bus: WARNING: retention of fp.bus.traffic.fraud.v1 could not be read or differs from the profile, and was not changed: .*no reachable controller' "$WORK/node.out"

code=$(status_of "$ADMIN/healthz" "${auth[@]}")
check "healthz is GREEN with the Kafka bus reachable" \
  test "$code $(cat "$WORK/body")" = '200 {"status":"GREEN","reasons":[]}'
status_of "$ADMIN/admin/bus" "${auth[@]}" >/dev/null
check "admin/bus lists the dev profile's topics from the brokers" test \
  "$(json 'd["backend"], d["reachable"], sorted((t["name"], t["partitions"]) for t in d["topics"] if not t["name"].startswith("__"))' <"$WORK/body")" = \
  "('kafka', True, [('fp.bus.audit.v1', 8), ('fp.bus.context.arrival_entities.v1', 8), ('fp.bus.context.arrival_events.v1', 8), ('fp.bus.context.flow_anchor.fraud.v1', 8), ('fp.bus.control.v1', 1), ('fp.bus.traffic.fraud.v1', 8)])"
code=$(status_of "$INGRESS/v1/testkit/counters/k1" -X POST -H 'Content-Type: application/json' \
  -d '{"op":"add","amount":5,"at":"2026-01-01T00:00:00Z"}')
check "the node serves commands" test "$code:$(json 'd["value"]' <"$WORK/body")" = "200:5"
status_of "$ADMIN/metrics" "${auth[@]}" >/dev/null
check "metrics report the Kafka bus up" grep -q '^fp_bus_up{backend="kafka"} 1$' "$WORK/body"
if [[ -x /usr/bin/promtool ]]; then
  check "promtool accepts /metrics" /usr/bin/promtool check metrics <"$WORK/body"
fi

# The broker goes away: the probe (every 5 s) notices and /healthz turns RED. The wait is
# bounded so a broken probe fails the test instead of hanging it; it asserts no speed.
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
BROKER_PID=
for _ in $(seq 300); do
  code=$(status_of "$ADMIN/healthz" "${auth[@]}")
  [[ $code == 503 ]] && break
  sleep 0.1
done
check "without its brokers the node is RED BUS_UNREACHABLE (503)" \
  test "$code $(json 'd["status"], d["reasons"]' <"$WORK/body")" = "503 ('RED', ['BUS_UNREACHABLE'])"
status_of "$ADMIN/metrics" "${auth[@]}" >/dev/null
check "metrics report the bus down" grep -q '^fp_bus_up{backend="kafka"} 0$' "$WORK/body"
stop_node
check "fpnode still stops cleanly (exit 0)" test $? = 0
check "the token never appears in fpnode's output" bash -c "! grep -qF '$TOKEN' '$WORK/node.out' '$WORK/node.err'"
exit $FAILED
