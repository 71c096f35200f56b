#!/usr/bin/env bash
# End-to-end test of `fp world`: generate a sealed world with the real binary, check its
# layout, determinism, write-once refusal, verify and the usage errors.
#
# usage: world_test.sh FP
set -uo pipefail

FP=${1:?usage: world_test.sh FP}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

source "$(dirname "$0")/tap.sh"

# -- generate, twice into two roots, and once through $ORACLE_ROOT ---------------------------
expect_rc 0 "generate the default world" "$FP" world generate --seed 7 --out "$WORK/a"
cp "$WORK/out" "$WORK/a.json"
check "nothing on stderr (no progress bar off a terminal)" test ! -s "$WORK/err"
WORLD=$(field "$WORK/a.json" 'd["world"]')
MF=$(field "$WORK/a.json" 'd["manifest_fingerprint"]')
PH=$(field "$WORK/a.json" 'd["parameter_hash"]')
check "path is oracle/seed=/parameter_hash=/manifest_fingerprint=/scenario_id=" \
  test "$WORLD" = "$WORK/a/oracle/seed=7/parameter_hash=$PH/manifest_fingerprint=$MF/scenario_id=baseline_v1"
for o in outputs/arrival_events_5B outputs/s1_arrival_entities_6B \
         outputs/s3_flow_anchor_with_fraud_6B outputs/s3_event_stream_with_fraud_6B \
         truth/s4_flow_truth_6B; do
  check "$o has its part" test -s "$WORLD/$o/part-00000.jsonl"
done
check "2000 arrivals" test "$(wc -l <"$WORLD/outputs/arrival_events_5B/part-00000.jsonl")" = 2000
check "the gate receipt says PASS" grep -q '"status":"PASS"' "$WORLD/gate_receipt.json"

ORACLE_ROOT="$WORK/b" expect_rc 0 "generate again through \$ORACLE_ROOT" "$FP" world generate --seed 7
check "same seed and options, same fingerprint" test "$(field "$WORK/out" 'd["manifest_fingerprint"]')" = "$MF"
check "byte-identical trees" diff -r "$WORK/a/oracle" "$WORK/b/oracle"
expect_rc 0 "another seed" "$FP" world generate --seed 8 --out "$WORK/b"
check "another seed, another fingerprint" test "$(field "$WORK/out" 'd["manifest_fingerprint"]')" != "$MF"

# -- write-once -------------------------------------------------------------------------------
expect_rc 0 "generate into an identical sealed world" "$FP" world generate --seed 7 --out "$WORK/a"
check "it is a no-op" grep -q '"status":"ALREADY_SEALED"' "$WORK/out"
expect_rc 0 "verify both worlds" "$FP" world verify --out "$WORK/b"
check "verify lists two PASS" test "$(grep -c '^PASS' "$WORK/out")" = 2
PART="$WORLD/outputs/s3_event_stream_with_fraud_6B/part-00000.jsonl"
sed -i '5s/"event_seq":0/"event_seq":9/' "$PART"
expect_rc 1 "verify catches a changed row" "$FP" world verify --out "$WORK/a"
check "verify names the part" grep -q "s3_event_stream_with_fraud_6B/part-00000.jsonl" "$WORK/out"
expect_rc 1 "generate refuses to overwrite different content" "$FP" world generate --seed 7 --out "$WORK/a"
check "the refusal says why" grep -q "world.conflict" "$WORK/err"
check "the changed row is still there (nothing overwritten)" grep -q '"event_seq":9' "$PART"

# -- usage errors -----------------------------------------------------------------------------
expect_rc 2 "--seed is required" "$FP" world generate --out "$WORK/c"
expect_rc 2 "--merchants 0" "$FP" world generate --seed 1 --merchants 0 --out "$WORK/c"
check "the message names the option and the rule" grep -q -- "--merchants: must be 1..100000" "$WORK/err"
expect_rc 2 "--span 1w" "$FP" world generate --seed 1 --span 1w --out "$WORK/c"
expect_rc 2 "--start not RFC 3339" "$FP" world generate --seed 1 --start 2026-01-01 --out "$WORK/c"
expect_rc 2 "--scenario-id escaping the prefix" "$FP" world generate --seed 1 --scenario-id ../x --out "$WORK/c"
expect_rc 2 "no --out and no \$ORACLE_ROOT" env -u ORACLE_ROOT "$FP" world generate --seed 1
check "nothing was written for bad input" test ! -e "$WORK/c"
expect_rc 1 "verify with no world" "$FP" world verify --out "$WORK/c"

exit $FAILED
