#!/usr/bin/env bash
# Usage: tests/bench/run.sh BUILD_DIR [NAME [ARGS...]]
# Runs BUILD_DIR/tests/bench/NAME_bench (or every *_bench there when NAME is empty). Each
# benchmark's stdout (JSON lines only) passes through; progress goes to stderr.
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR [NAME [ARGS...]]}
name=${2:-}
shift $(( $# >= 2 ? 2 : 1 ))
dir="$build/tests/bench"

benches=()
if [[ -n "$name" ]]; then
  benches=("$dir/${name}_bench")
  [[ -x "${benches[0]}" ]] || { echo "run.sh: no benchmark ${benches[0]} (build it first)" >&2; exit 1; }
else
  while IFS= read -r b; do benches+=("$b"); done < <(find "$dir" -maxdepth 1 -type f -name '*_bench' -perm -u+x 2>/dev/null | sort)
  [[ ${#benches[@]} -gt 0 ]] || { echo "run.sh: no *_bench in $dir (build first)" >&2; exit 1; }
fi

status=0
for b in "${benches[@]}"; do
  echo "run.sh: $(basename "$b")" >&2
  rc=0
  "$b" "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: $(basename "$b") exited with $rc" >&2
    status=1
  fi
done
exit $status
