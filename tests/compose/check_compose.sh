#!/usr/bin/env bash
# compose/ without a Docker engine: Debian's docker-compose validates docker-compose.yml, then
# check_compose.py holds it (and prometheus.yml, the Dockerfile, its ignore file) against
# config/profiles/dev.yaml; provision-topics.sh and the image's entrypoint run against stubs.
#
# usage: check_compose.sh SOURCE_DIR        (ctest: the compose_config test)
# Exit 77 (ctest: skipped) only when docker-compose or python3-yaml is missing and
# tools/install-deps.sh cannot install it.
set -euo pipefail

src=$(cd "${1:?usage: check_compose.sh SOURCE_DIR}" && pwd)
compose_dir=$src/compose
py=/usr/bin/python3 # Debian's python3 (with python3-yaml), not a pyenv one on PATH

have_tools() { command -v docker-compose >/dev/null && "$py" -c 'import yaml' 2>/dev/null; }
if ! have_tools; then
  echo "check_compose: docker-compose or python3-yaml missing; running tools/install-deps.sh" >&2
  bash "$src/tools/install-deps.sh" >&2 || true
  if ! have_tools; then
    echo "check_compose: SKIPPED — docker-compose (Debian package docker-compose) or python3-yaml" \
      "is not available and tools/install-deps.sh could not provide it (installing needs root or sudo)" >&2
    exit 77
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check_compose: FAIL: $*" >&2; exit 1; }

# ---- 1. docker-compose accepts the file: with .env.example, and with no env file at all.
# A clean environment, so a variable of the caller cannot change the result.
dc() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp" COMPOSE_PROJECT_NAME=fraud-platform \
    docker-compose --project-directory "$compose_dir" -f "$compose_dir/docker-compose.yml" "$@"
}
dc --env-file "$compose_dir/.env.example" config >"$tmp/config.yml" 2>"$tmp/config.err" ||
  { cat "$tmp/config.err" >&2; fail "docker-compose config rejects compose/docker-compose.yml"; }
: >"$tmp/empty.env"
dc --env-file "$tmp/empty.env" config >"$tmp/defaults.yml" 2>"$tmp/defaults.err" ||
  { cat "$tmp/defaults.err" >&2; fail "docker-compose config rejects the file without an env file"; }
[[ ! -s $tmp/config.err ]] || { cat "$tmp/config.err" >&2; fail "docker-compose config warns"; }
echo "check_compose: docker-compose $(docker-compose version --short) accepts docker-compose.yml"

# An invalid file must be refused (the validation above means something).
sed 's/^services:$/services:\n  broken: {image: [1, 2]}/' "$compose_dir/docker-compose.yml" >"$tmp/broken.yml"
if env -i PATH=/usr/bin:/bin HOME="$tmp" docker-compose --project-directory "$compose_dir" \
  -f "$tmp/broken.yml" --env-file "$compose_dir/.env.example" config >/dev/null 2>&1; then
  fail "docker-compose config accepted a deliberately invalid file"
fi

# ---- 2. the content: topics, ports, durability flags, secrets, Dockerfile.
"$py" "$src/tests/compose/check_compose.py" "$src" "$tmp/config.yml" "$tmp/defaults.yml"

# promtool (Debian's prometheus package) parses prometheus.yml; the secret path is swapped for
# a real file because it checks that the credentials file exists.
if command -v promtool >/dev/null; then
  printf 'abcdefghijklmnop0123\n' >"$tmp/prom-token"
  sed "s#/run/secrets/fp_admin_token#$tmp/prom-token#" "$compose_dir/prometheus.yml" >"$tmp/prometheus.yml"
  promtool check config "$tmp/prometheus.yml" >"$tmp/promtool.out" 2>&1 ||
    { cat "$tmp/promtool.out" >&2; fail "promtool rejects compose/prometheus.yml"; }
  echo "check_compose: promtool accepts prometheus.yml"
else
  echo "check_compose: promtool not installed; prometheus.yml checked for content only"
fi

# ---- 3. provision-topics.sh against a stub rpk that keeps topics in a directory.
mkdir -p "$tmp/bin" "$tmp/broker/topics" "$tmp/broker/cluster"
cat >"$tmp/bin/rpk" <<'STUB'
#!/usr/bin/env bash
# A stand-in for rpk: topics and cluster properties as files under $BROKER; every call logged.
echo "rpk $*" >>"$BROKER/calls"
args=()
while [[ $# -gt 0 ]]; do
  if [[ $1 == -X ]]; then shift 2; else args+=("$1"); shift; fi
done
set -- "${args[@]}"
case "$1 $2" in
  "topic create")
    name=$3; shift 3; p="" ms="" bytes=""
    while [[ $# -gt 0 ]]; do
      case $1 in
        -p) p=$2 ;; -r) ;; -c) case $2 in retention.ms=*) ms=${2#*=} ;; retention.bytes=*) bytes=${2#*=} ;; esac ;;
      esac
      shift 2
    done
    echo "TOPIC  STATUS"
    if [[ -e $BROKER/topics/$name ]]; then
      echo "$name  TOPIC_ALREADY_EXISTS: The topic has already been created."; exit 1
    fi
    printf '%s %s %s\n' "$p" "$ms" "$bytes" >"$BROKER/topics/$name"
    echo "$name  OK" ;;
  "topic describe")
    read -r p ms bytes <"$BROKER/topics/$3"
    if [[ $4 == --print-summary ]]; then
      printf 'NAME        %s\nINTERNAL    false\nPARTITIONS  %s\nREPLICAS    1\n' "$3" "$p"
    else
      printf 'KEY              VALUE  SOURCE\ncleanup.policy   delete DEFAULT_CONFIG\nretention.bytes  %s  DYNAMIC_TOPIC_CONFIG\nretention.ms     %s  DYNAMIC_TOPIC_CONFIG\n' "$bytes" "$ms"
    fi ;;
  "cluster config")
    if [[ $3 == get ]]; then cat "$BROKER/cluster/$4" 2>/dev/null || echo true; else echo "$5" >"$BROKER/cluster/$4"; fi ;;
  *) echo "stub rpk: unexpected: $*" >&2; exit 3 ;;
esac
STUB
chmod +x "$tmp/bin/rpk"
mapfile -t topic_args < <("$py" -c 'import sys, yaml; [print(a) for a in yaml.safe_load(open(sys.argv[1]))["services"]["topics"]["command"]]' "$tmp/config.yml")
cluster_config=$("$py" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["services"]["topics"]["environment"]["CLUSTER_CONFIG"])' "$tmp/config.yml")
provision() {
  env -i PATH="$tmp/bin:/usr/bin:/bin" BROKER="$tmp/broker" RPK_BROKERS=redpanda:9092 \
    RPK_ADMIN_HOSTS=redpanda:9644 CLUSTER_CONFIG="$cluster_config" \
    bash "$compose_dir/provision-topics.sh" "$@"
}

provision "${topic_args[@]}" >"$tmp/run1.out" 2>&1 || { cat "$tmp/run1.out" >&2; fail "first provisioning failed"; }
[[ $(find "$tmp/broker/topics" -type f | wc -l) -eq ${#topic_args[@]} ]] || fail "first run did not create ${#topic_args[@]} topics"
for a in "${topic_args[@]}"; do
  read -r name _ p _ ms _ bytes <<<"$a"
  grep -qxF "rpk -X brokers=redpanda:9092 -X admin.hosts=redpanda:9644 topic create $name -r 1 -p $p -c $ms -c $bytes" "$tmp/broker/calls" ||
    fail "provisioning did not run 'rpk topic create $name -r 1 -p $p -c $ms -c $bytes'"
done
[[ $(cat "$tmp/broker/cluster/auto_create_topics_enabled") == false ]] || fail "auto_create_topics_enabled was not set to false"
grep -q "cluster auto_create_topics_enabled was 'true'; setting it to false" "$tmp/run1.out" || fail "the cluster property change is not reported"

calls_before=$(wc -l <"$tmp/broker/calls")
provision "${topic_args[@]}" >"$tmp/run2.out" 2>&1 || { cat "$tmp/run2.out" >&2; fail "re-running the provisioning failed"; }
[[ $(grep -c 'exists with the profile' "$tmp/run2.out") -eq ${#topic_args[@]} ]] || { cat "$tmp/run2.out" >&2; fail "re-run did not accept the existing topics"; }
if tail -n +"$((calls_before + 1))" "$tmp/broker/calls" | grep -q 'cluster config set'; then
  fail "re-run set cluster properties that were already right"
fi

# A topic that exists with other partitions or retention stops the provisioning.
first=${topic_args[1]}
read -r name _ p _ ms _ bytes <<<"$first"
printf '%s %s %s\n' "$((p + 1))" 1000 "${bytes#retention.bytes=}" >"$tmp/broker/topics/$name"
if provision "${topic_args[@]}" >"$tmp/run3.out" 2>&1; then fail "provisioning accepted a topic with other partitions"; fi
grep -q "$name exists with partitions $((p + 1)), the profile says $p" "$tmp/run3.out" || { cat "$tmp/run3.out" >&2; fail "partition drift not named"; }
grep -q "rpk topic alter-config $name --set ${ms}" "$tmp/run3.out" || { cat "$tmp/run3.out" >&2; fail "retention drift not named with its fix"; }
if provision "fp.bus.x.v1 -p 0 -c retention.ms=1 -c retention.bytes=1" >/dev/null 2>&1; then fail "provisioning accepted -p 0"; fi
echo "check_compose: provision-topics.sh creates, re-runs and refuses drift as it should"

# ---- 4. the image's entrypoint reads the secret file into FP_ADMIN_TOKEN.
printf 'abcdefghijklmnop0123\n' >"$tmp/token"
# shellcheck disable=SC2016 # the inner shell expands it
got=$(env -i PATH=/usr/bin:/bin FP_ADMIN_TOKEN_FILE="$tmp/token" sh "$compose_dir/fpnode-entrypoint.sh" \
  sh -c 'printf %s "$FP_ADMIN_TOKEN"')
[[ $got == abcdefghijklmnop0123 ]] || fail "the entrypoint exported FP_ADMIN_TOKEN='$got'"
if env -i PATH=/usr/bin:/bin FP_ADMIN_TOKEN_FILE="$tmp/none" sh "$compose_dir/fpnode-entrypoint.sh" true 2>/dev/null; then
  fail "the entrypoint started without a readable token file"
fi
# ... and the ingress API keys file into FP_INGEST_API_KEYS (comma-separated), the first key
# into FP_WSP_API_KEY; comments and blank lines skipped.
printf '# ingress keys\nkey-one-0123456789abc\n\nkey-two-0123456789abc\n' >"$tmp/keys"
# shellcheck disable=SC2016 # the inner shell expands it
got=$(env -i PATH=/usr/bin:/bin FP_INGEST_API_KEYS_FILE="$tmp/keys" sh "$compose_dir/fpnode-entrypoint.sh" \
  sh -c 'printf "%s|%s" "$FP_INGEST_API_KEYS" "$FP_WSP_API_KEY"')
[[ $got == "key-one-0123456789abc,key-two-0123456789abc|key-one-0123456789abc" ]] ||
  fail "the entrypoint exported FP_INGEST_API_KEYS|FP_WSP_API_KEY='$got'"
if env -i PATH=/usr/bin:/bin FP_INGEST_API_KEYS_FILE="$tmp/none" sh "$compose_dir/fpnode-entrypoint.sh" true 2>/dev/null; then
  fail "the entrypoint started without a readable API keys file"
fi
echo "check_compose: OK"
