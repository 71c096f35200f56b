#!/usr/bin/env bash
# Installs the Debian packages fraud-platform builds, tests and benchmarks with.
# Idempotent: runs `apt-get update` only when something is missing, and prints
# nothing when everything is already present.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache clang-format
  # the design card's libraries
  libcaf-dev librdkafka-dev liblmdb-dev lmdb-utils libmsgpack-cxx-dev
  libcpp-httplib-dev doctest-dev
  # well-kept libraries the design adds
  nlohmann-json3-dev libyaml-cpp-dev libssl-dev libxxhash-dev libedit-dev zlib1g-dev
  libjemalloc-dev
  # test and benchmark tooling
  postgresql libpq-dev python3 python3-jsonschema python3-msgpack python3-yaml tmux curl prometheus docker-compose kafkacat
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
