#!/usr/bin/env bash
# payload_agreement.sh FP_IG_PAYLOAD_CHECK PYTHON ROOT: IG's payload validator and Python's
# jsonschema over every fixture in tests/fixtures/payloads/NAME/{good,bad}; both must agree,
# every good/ file valid, every bad/ file invalid.
set -euo pipefail

check=$1
python=$2
root=$3
schemas=$root/schemas/contracts/payloads
fixtures=$root/tests/fixtures/payloads
failures=0
total=0

for name in traffic_fraud.v1 context_arrival.v1 context_arrival_entities.v1 context_flow_fraud.v1; do
  for expect in good bad; do
    dir=$fixtures/$name/$expect
    shopt -s nullglob
    files=("$dir"/*.json)
    shopt -u nullglob
    if [[ ${#files[@]} -eq 0 ]]; then
      echo "FAIL: no fixtures in $dir"
      failures=$((failures + 1))
      continue
    fi
    want=valid
    [[ $expect == bad ]] && want=invalid
    mapfile -t cpp_lines < <("$check" "$schemas" "$name" "${files[@]}")
    mapfile -t py_lines < <("$python" "$root/tests/schemas/check_payloads.py" "$schemas" "$name" "${files[@]}")
    for i in "${!files[@]}"; do
      f=${files[$i]}
      total=$((total + 1))
      cpp=$(awk '{ print $2 }' <<<"${cpp_lines[$i]:-"$f missing"}")
      py=$(awk '{ print $2 }' <<<"${py_lines[$i]:-"$f missing"}")
      if [[ $cpp != "$want" || $py != "$want" ]]; then
        echo "FAIL ${f#"$fixtures/"}: expected $want"
        echo "  c++:    ${cpp_lines[$i]:-missing}"
        echo "  schema: ${py_lines[$i]:-missing}"
        failures=$((failures + 1))
      fi
    done
  done
done

echo "$total fixtures, $failures failure(s)"
[[ $failures -eq 0 && $total -gt 0 ]]
