#!/usr/bin/env bash
# Usage: check_json_lines.sh [--expect metric1,metric2,...] -- BENCH [ARGS...]
# Runs BENCH and checks that it exits 0 and that every stdout line is a JSON object with the
# benchmark contract's keys (DESIGN.md §9): bench, metric, and either value+unit or error;
# a line with "ratio" also carries "baseline". Speed is not asserted.
set -euo pipefail

expect=""
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --expect) expect="$2"; shift 2 ;;
    *) echo "check_json_lines: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "usage: check_json_lines.sh [--expect m1,m2] -- BENCH [ARGS...]" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$@" >"$out" || rc=$?
cat "$out"
if [[ $rc -ne 0 ]]; then
  echo "check_json_lines: $1 exited with $rc" >&2
  exit 1
fi

EXPECT="$expect" /usr/bin/python3 - "$out" <<'PY'
import json, os, sys

path = sys.argv[1]
seen, bad = set(), []
with open(path) as f:
    lines = f.read().splitlines()
if not lines:
    bad.append("no output lines")
for i, text in enumerate(lines, 1):
    try:
        obj = json.loads(text)
    except ValueError as e:
        bad.append(f"line {i}: not JSON ({e}): {text[:120]}")
        continue
    if not isinstance(obj, dict):
        bad.append(f"line {i}: not a JSON object")
        continue
    for key in ("bench", "metric"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            bad.append(f"line {i}: missing string key {key!r}")
    if "error" in obj:
        bad.append(f"line {i}: {obj.get('metric')}: error: {obj['error']}")
    else:
        if not isinstance(obj.get("value"), (int, float)) or isinstance(obj.get("value"), bool):
            bad.append(f"line {i}: missing numeric 'value'")
        if not isinstance(obj.get("unit"), str):
            bad.append(f"line {i}: missing string 'unit'")
        if "ratio" in obj and not isinstance(obj.get("baseline"), (int, float)):
            bad.append(f"line {i}: 'ratio' without numeric 'baseline'")
    seen.add(obj.get("metric"))
for m in filter(None, os.environ.get("EXPECT", "").split(",")):
    if m not in seen:
        bad.append(f"expected metric {m!r} not printed")
for b in bad:
    print("check_json_lines:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
