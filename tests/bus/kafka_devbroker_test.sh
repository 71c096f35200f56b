#!/usr/bin/env bash
# `fp devbroker` end to end: it starts a 3-broker mock cluster with the dev profile's topics,
# the Kafka bus backend produces keyed records with headers to it (kafka_produce_tool), and
# Debian's kcat, an independent Kafka client, must see the profile's topics with their
# partition counts (-L) and read back exactly the keys, partitions and headers the bus
# reported. SIGTERM must stop the broker with exit 0 and remove its bootstrap file.
#
# usage: kafka_devbroker_test.sh FP PRODUCE_TOOL PROFILE
set -uo pipefail

FP=${1:?usage: kafka_devbroker_test.sh FP PRODUCE_TOOL PROFILE}
TOOL=${2:?}
PROFILE=${3:?}
KCAT=$(command -v kcat || command -v kafkacat) || {
  echo "FAIL - kcat/kafkacat not installed (Debian package kafkacat; tools/install-deps.sh)"
  exit 1
}
WORK=$(mktemp -d)
BROKER_PID=
cleanup() {
  [[ -n $BROKER_PID ]] && kill "$BROKER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILED=1; }

source "$(dirname "${BASH_SOURCE[0]}")/devbroker_lib.sh"
start_devbroker 3 "$PROFILE" || { fail "devbroker wrote its bootstrap file"; exit 1; }
BOOTSTRAP=$(cat "$WORK/bootstrap")
pass "devbroker is up at $BOOTSTRAP"
[[ $(head -1 "$WORK/broker.out") == "$BOOTSTRAP" ]] && pass "bootstrap printed on stdout" ||
  fail "bootstrap printed on stdout"
[[ $(tr ',' '\n' <<<"$BOOTSTRAP" | wc -l) -eq 3 ]] && pass "three brokers" || fail "three brokers"
grep -q "WARNING: this is a TEST broker" "$WORK/broker.err" && grep -q "5 MiB per partition" \
  "$WORK/broker.err" && pass "warns that it is a test broker" || fail "warns that it is a test broker"

# -L: every topic of the profile with its partition count.
"$KCAT" -b "$BOOTSTRAP" -L -m 10 >"$WORK/meta" 2>"$WORK/kcat.err" || fail "kcat -L ran"
grep -oE 'name: [^,}]+, partitions: [0-9]+' "$PROFILE" |
  sed -E 's/name: ([^,]+), partitions: ([0-9]+)/\1 \2/' >"$WORK/want_topics"
[[ -s $WORK/want_topics ]] || fail "the profile names topics"
while read -r name parts; do
  grep -q "topic \"$name\" with $parts partitions" "$WORK/meta" &&
    pass "kcat -L: $name has $parts partitions" || fail "kcat -L: $name has $parts partitions"
done <"$WORK/want_topics"
[[ $(grep -c '^  topic "' "$WORK/meta") -eq $(wc -l <"$WORK/want_topics") ]] &&
  pass "kcat -L: no other topics" || fail "kcat -L: no other topics"

# The bus produces; kcat reads the same keys, partitions and headers back.
TOPIC=fp.bus.traffic.fraud.v1
"$TOOL" "$BOOTSTRAP" "$TOPIC" 50 >"$WORK/produced" 2>"$WORK/tool.err" &&
  pass "the Kafka bus produced 50 records (partitions = partition_for)" ||
  { cat "$WORK/tool.err"; fail "the Kafka bus produced 50 records"; }
awk '{print $1, $2, $3, $4}' "$WORK/produced" | sort >"$WORK/want"
"$KCAT" -b "$BOOTSTRAP" -C -t "$TOPIC" -o beginning -e -q -m 20 -f '%k %p %o %h %s\n' \
  >"$WORK/read" 2>"$WORK/kcat.err" || fail "kcat -C ran"
awk '{print $1, $2, $3, $4}' "$WORK/read" | sort >"$WORK/got"
if [[ $(wc -l <"$WORK/got") -eq 50 ]] && cmp -s "$WORK/want" "$WORK/got"; then
  pass "kcat -C: keys, partitions, offsets and headers are the bus's"
else
  fail "kcat -C: keys, partitions, offsets and headers are the bus's"
  diff "$WORK/want" "$WORK/got" | head -20
fi
awk '{ split($1, k, "-"); if ($5 != "value-" k[2]) bad = 1 } END { exit bad }' "$WORK/read" &&
  pass "kcat -C: values" || fail "kcat -C: values"

# SIGTERM: exit 0, bootstrap file removed.
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
rc=$?
BROKER_PID=
[[ $rc -eq 0 ]] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit 0 (got $rc)"
[[ ! -e $WORK/bootstrap ]] && pass "SIGTERM: bootstrap file removed" ||
  fail "SIGTERM: bootstrap file removed"

# Usage errors name the option.
"$FP" devbroker --brokers 0 >/dev/null 2>"$WORK/err"
[[ $? -eq 2 ]] && grep -q -- "--brokers" "$WORK/err" && pass "--brokers 0 is a usage error" ||
  fail "--brokers 0 is a usage error"

[[ $FAILED -eq 0 ]] && echo "kafka_devbroker_test: all passed" || echo "kafka_devbroker_test: FAILED"
exit $FAILED
