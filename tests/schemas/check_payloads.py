#!/usr/bin/python3
"""check_payloads.py SCHEMA_DIR NAME FILE...: validates each FILE against
SCHEMA_DIR/NAME.schema.json with jsonschema (Draft 2020-12) and prints `FILE valid` or
`FILE invalid REASON`, as fp_ig_payload_check does. Parsing is I-JSON-strict like the C++
side (check_fixtures.py's load_strict)."""
import os
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_fixtures import Rejected, load_strict  # noqa: E402


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, name, files = argv[1], argv[2], argv[3:]
    with open(f"{schema_dir}/{name}.schema.json", "rb") as f:
        schema = load_strict(f.read())
    validator = jsonschema.Draft202012Validator(schema)
    for path in files:
        with open(path, "rb") as f:
            raw = f.read()
        try:
            value = load_strict(raw)
        except (Rejected, ValueError, RecursionError) as err:
            print(f"{path} invalid json: {err}")
            continue
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is None:
            print(f"{path} valid")
        else:
            where = ".".join(str(p) for p in error.absolute_path) or "payload"
            print(f"{path} invalid schema: {where}: {error.message[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
