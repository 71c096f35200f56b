#!/usr/bin/env bash
# Creates the fraud-platform bus topics on the compose Redpanda (the `topics` service in
# docker-compose.yml runs it once, after the broker is healthy). One argument per topic,
# written the way `rpk topic create` takes it:
#
#   provision-topics.sh "NAME -p PARTITIONS -c retention.ms=MS -c retention.bytes=BYTES" ...
#
# Idempotent: a topic that already exists with the same partitions and retention is fine.
# A topic that exists with OTHER partitions or retention is not changed — re-partitioning
# moves keys to other partitions and a retention change moves the replay window, both
# admin actions an operator takes on purpose — so the script names the difference, prints
# the command that would reconcile it, and exits 1 (fpnode then does not start).
#
# Before the topics it makes sure of the cluster properties CLUSTER_CONFIG lists
# ("key=value ...", e.g. auto_create_topics_enabled=false): the broker's start flags set them
# when the cluster is first created; this re-applies any that differ (idempotent, kept in the
# cluster's controller log) and says so.
#
# Environment: RPK_BROKERS (default redpanda:9092), RPK_ADMIN_HOSTS (default redpanda:9644),
# REPLICAS (default 1: one broker), CLUSTER_CONFIG (default empty).
set -euo pipefail

brokers=${RPK_BROKERS:-redpanda:9092}
admin_hosts=${RPK_ADMIN_HOSTS:-redpanda:9644}
replicas=${REPLICAS:-1}

rpk_() { rpk -X "brokers=$brokers" -X "admin.hosts=$admin_hosts" "$@"; }

for kv in ${CLUSTER_CONFIG:-}; do
  key=${kv%%=*} want=${kv#*=}
  [[ $kv == *=* && -n $key ]] || { echo "provision-topics: CLUSTER_CONFIG: '$kv' is not key=value" >&2; exit 2; }
  have=$(rpk_ cluster config get "$key")
  if [[ $have == "$want" ]]; then
    echo "provision-topics: cluster $key = $want"
  else
    echo "provision-topics: cluster $key was '$have'; setting it to $want"
    rpk_ cluster config set "$key" "$want" >/dev/null
  fi
done

die_usage() {
  echo "provision-topics: $1" >&2
  echo "usage: provision-topics.sh \"NAME -p N -c retention.ms=MS -c retention.bytes=BYTES\" ..." >&2
  exit 2
}

# Prints VALUE for KEY from `rpk topic describe` table output (KEY VALUE [SOURCE]).
field() { awk -v k="$1" '$1 == k { print $2; exit }'; }

[[ $# -gt 0 ]] || die_usage "no topics given"

failed=0
for spec in "$@"; do
  read -r -a w <<<"$spec"
  name=${w[0]:-}
  partitions="" retention_ms="" retention_bytes=""
  i=1
  while [[ $i -lt ${#w[@]} ]]; do
    case "${w[$i]}" in
      -p) partitions=${w[$((i + 1))]:-} ;;
      -c)
        kv=${w[$((i + 1))]:-}
        case "$kv" in
          retention.ms=*) retention_ms=${kv#retention.ms=} ;;
          retention.bytes=*) retention_bytes=${kv#retention.bytes=} ;;
          *) die_usage "$name: unsupported config '$kv' (only retention.ms and retention.bytes)" ;;
        esac
        ;;
      *) die_usage "$name: unexpected word '${w[$i]}'" ;;
    esac
    i=$((i + 2))
  done
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die_usage "bad topic name '$name'"
  [[ $partitions =~ ^[1-9][0-9]*$ ]] || die_usage "$name: -p needs a positive partition count"
  [[ $retention_ms =~ ^(-1|[0-9]+)$ ]] || die_usage "$name: retention.ms must be -1 or >= 0"
  [[ $retention_bytes =~ ^(-1|[0-9]+)$ ]] || die_usage "$name: retention.bytes must be -1 or >= 0"

  # rpk prints a TOPIC STATUS table; its exit code is 1 when any topic failed, including
  # TOPIC_ALREADY_EXISTS, so the status text decides.
  out=$(rpk_ topic create "$name" -r "$replicas" -p "$partitions" \
    -c "retention.ms=$retention_ms" -c "retention.bytes=$retention_bytes" 2>&1) || true
  if awk -v n="$name" '$1 == n && $2 == "OK" { ok = 1 } END { exit !ok }' <<<"$out"; then
    echo "provision-topics: created $name (partitions $partitions, retention.ms $retention_ms, retention.bytes $retention_bytes)"
    continue
  fi
  if ! grep -q TOPIC_ALREADY_EXISTS <<<"$out"; then
    echo "provision-topics: creating $name failed:" >&2
    echo "$out" >&2
    failed=1
    continue
  fi

  # It exists: check that it is the topic the profile describes.
  have_partitions=$(rpk_ topic describe "$name" --print-summary | field PARTITIONS)
  configs=$(rpk_ topic describe "$name" --print-configs)
  have_ms=$(field retention.ms <<<"$configs")
  have_bytes=$(field retention.bytes <<<"$configs")
  drift=()
  [[ $have_partitions == "$partitions" ]] ||
    drift+=("partitions $have_partitions, the profile says $partitions (changing it remaps keys to partitions: recreate the topic, losing its data, or change the profile)")
  [[ $have_ms == "$retention_ms" ]] ||
    drift+=("retention.ms $have_ms, the profile says $retention_ms (to apply: rpk topic alter-config $name --set retention.ms=$retention_ms)")
  [[ $have_bytes == "$retention_bytes" ]] ||
    drift+=("retention.bytes $have_bytes, the profile says $retention_bytes (to apply: rpk topic alter-config $name --set retention.bytes=$retention_bytes)")
  if [[ ${#drift[@]} -eq 0 ]]; then
    echo "provision-topics: $name exists with the profile's partitions and retention"
  else
    for d in "${drift[@]}"; do echo "provision-topics: $name exists with $d" >&2; done
    failed=1
  fi
done
exit "$failed"
