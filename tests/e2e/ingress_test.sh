#!/usr/bin/env bash
# The local-parity flow end to end on the embedded bus, as `make demo` runs it (tools/demo.sh):
# fp world -> fpnode (sr, ig, wsp) -> fp sr run -> READY -> WSP streams 4 outputs (cap 200,
# 5% re-sent) -> IG -> EB. tools/demo.sh already fails unless, per topic, WSP's distinct events
# == admitted + quarantined, POSTs == admitted + duplicate + quarantined, IG received == POSTs,
# every admitted event is on its topic exactly once on the partition murmur2(key) picks, and no
# publish is left ambiguous (tests/e2e/ingress_check.py). Here, after the node stopped, the
# object store is read back: one ADMIT receipt per admitted event, one DUPLICATE receipt per
# duplicate, each carrying the fields seed 002 lists plus policy_rev and service_release_id.
#
# Usage: ingress_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: ingress_test.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: ingress_test.sh BUILD_DIR SOURCE_DIR}
WORK=$(mktemp -d /tmp/ingress_e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

DEMO_SPEEDUP=100000 DEMO_RESEND_BP=500 bash "$SRC/tools/demo.sh" "$BUILD" "$WORK/demo" 11 \
  >"$WORK/demo.out" 2>"$WORK/demo.err" || {
  echo "not ok - the local-parity flow failed:"; sed 's/^/    /' "$WORK/demo.err" "$WORK/demo.out"; exit 1; }
echo "ok   - world -> SR -> READY -> WSP -> IG -> EB: per-topic counts and bus records check out"
sed 's/^/    /' "$WORK/demo.out"

PRID=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["platform_run_id"])' \
  "$WORK/demo/sr_run.json")
/usr/bin/python3 "$SRC/tests/e2e/receipts_check.py" "$BUILD/tools/fp/fp" "$WORK/demo/node" "$PRID" \
  "$WORK/demo/summary.jsonl"
