#!/usr/bin/python3
"""check_payloads.py SCHEMA_DIR NAME FILE...: validates each FILE against
SCHEMA_DIR/NAME.schema.json with jsonschema (Draft 2020-12) and prints `FILE valid` or
`FILE invalid REASON`, as fp_ig_payload_check does. Parsing is I-JSON-strict like the C++
side (check_fixtures.py's load_strict)."""
import os
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_fixtures import load_strict, report  # noqa: E402


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, name, files = argv[1], argv[2], argv[3:]
    with open(f"{schema_dir}/{name}.schema.json", "rb") as f:
        schema = load_strict(f.read())
    report(jsonschema.Draft202012Validator(schema), files, "payload")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
