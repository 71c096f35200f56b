#!/usr/bin/env bash
# agreement.sh FP_SCHEMA_CHECK PYTHON ROOT: runs the C++ validators (fp_schema_check) and the
# JSON Schemas (check_fixtures.py) over every fixture in tests/fixtures/schemas/KIND/{good,bad}.
# Fails unless both agree on every file, every good/ file is valid and every bad/ file invalid.
set -euo pipefail

check=$1
python=$2
root=$3
fixtures=$root/tests/fixtures/schemas
failures=0
total=0

verdict() { # "FILE valid|invalid ..." -> "valid|invalid"
  awk '{ print $2 }'
}

for kind in envelope artifact_ref origin_offset; do
  for expect in good bad; do
    dir=$fixtures/$kind/$expect
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
    # One run of each checker per directory; both print one line per file, in order.
    mapfile -t cpp_lines < <("$check" "$kind" "${files[@]}")
    mapfile -t py_lines < <("$python" "$root/tests/schemas/check_fixtures.py" "$root" "$kind" "${files[@]}")
    for i in "${!files[@]}"; do
      f=${files[$i]}
      total=$((total + 1))
      cpp_line=${cpp_lines[$i]:-"$f missing"}
      py_line=${py_lines[$i]:-"$f missing"}
      cpp=$(verdict <<<"$cpp_line")
      py=$(verdict <<<"$py_line")
      name=${f#"$fixtures/"}
      if [[ $cpp != "$want" || $py != "$want" ]]; then
        echo "FAIL $name: expected $want"
        echo "  c++:    ${cpp_line#"$f "}"
        echo "  schema: ${py_line#"$f "}"
        failures=$((failures + 1))
      fi
    done
  done
done

echo "$total fixtures, $failures failure(s)"
[[ $failures -eq 0 && $total -gt 0 ]]
