#!/usr/bin/python3
"""check_fixtures.py ROOT KIND FILE...: validates each FILE against
ROOT/schemas/contracts/KIND.schema.json and prints `FILE valid` or `FILE invalid REASON`,
the same lines `fp_schema_check` prints, so tests/schemas/agreement.sh can compare them.

JSON Schema sees a parsed value, so the I-JSON rules it cannot express (RFC 7493; the C++
`parse_strict`) are applied while parsing: strict UTF-8, no duplicate keys, no NaN/Infinity,
no integer beyond +/-2^53, no number that overflows a double, no lone surrogate.
"""
import json
import math
import sys

import jsonschema

MAX_INT = 2 ** 53


class Rejected(Exception):
    pass


def no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Rejected(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def parse_int(text):
    value = int(text)
    if abs(value) > MAX_INT:
        raise Rejected(f"integer beyond 2^53: {text}")
    return value


def parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise Rejected(f"number overflows a double: {text}")
    return value


def parse_constant(text):
    raise Rejected(f"{text} is not a JSON number")


def check_strings(value):
    if isinstance(value, str):
        value.encode("utf-8")  # raises on a lone surrogate
    elif isinstance(value, list):
        for item in value:
            check_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(key)
            check_strings(item)


def load_strict(raw):
    text = raw.decode("utf-8")
    value = json.loads(text, object_pairs_hook=no_duplicates, parse_int=parse_int,
                       parse_float=parse_float, parse_constant=parse_constant)
    check_strings(value)
    return value


def report(validator, files, top):
    """Prints `FILE valid` or `FILE invalid REASON` for each file, in order; `top` names the
    document when the failing path is empty."""
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
            where = ".".join(str(p) for p in error.absolute_path) or top
            print(f"{path} invalid schema: {where}: {error.message[:200]}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, kind, files = argv[1], argv[2], argv[3:]
    with open(f"{root}/schemas/contracts/{kind}.schema.json", encoding="utf-8") as f:
        schema = json.load(f)
    report(jsonschema.Draft202012Validator(schema), files, kind)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
