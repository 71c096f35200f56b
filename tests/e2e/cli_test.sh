#!/usr/bin/env bash
# End-to-end test of `fp` and `fpnode`: a small demo into a temp data dir, every inspection
# command against it, usage errors, then real damage on disk (one flipped byte in an event
# payload, one in an object) that verify and `objects cat` must report.
#
# usage: cli_test.sh FP FPNODE
set -uo pipefail

FP=${1:?usage: cli_test.sh FP FPNODE}
FPNODE=${2:?usage: cli_test.sh FP FPNODE}
PY=/usr/bin/python3
WORK=$(mktemp -d)
DATA=$WORK/data
NODE_PID=
cleanup() {
  [[ -n $NODE_PID ]] && kill "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "$0")/tap.sh"
no_progress() { # a progress bar draws with \r; none may reach a non-terminal stderr
  ! grep -q $'\r' "$1" && ! grep -q '\[#*\.*\]' "$1"
}

RECEIPTS=fraud-platform/platform_20260101T000000Z/ig/receipts

# -- the demo -----------------------------------------------------------------------------
expect_rc 0 "fp demo writes, recovers, replays and verifies" \
  "$FP" demo --data "$DATA" --entities 40 --events-per-entity 10 --threads 4 --receipts 20
check "fp demo reports that every check passed" grep -q "every check passed" "$WORK/out"
check "fp demo draws no progress bar when stderr is not a terminal" no_progress "$WORK/err"
check "fp demo prints nothing on stderr when all is well" test ! -s "$WORK/err"
check "the journal lives in DATA/journal" test -f "$DATA/journal/data.mdb"
# The converse, so that the check above means something: on a terminal (util-linux `script`
# provides one) the same demo draws its bars on stderr.
if command -v script >/dev/null; then
  script -qfec "'$FP' demo --data '$WORK/tty' --entities 5000 --receipts 5 2>&1 >/dev/null" \
    /dev/null </dev/null >"$WORK/tty.out" 2>&1
  check "fp demo draws progress bars when stderr is a terminal" grep -q $'\r' "$WORK/tty.out"
else
  echo "skip - util-linux script is not installed: no terminal to draw progress on"
fi

# -- replay stats ---------------------------------------------------------------------------
expect_rc 0 "fp replay stats --json" "$FP" replay stats --data "$DATA" --json
cp "$WORK/out" "$WORK/stats.json"
check "stats: 40 entities" test "$(field "$WORK/stats.json" "d['entities']")" = 40
check "stats: 400 events" test "$(field "$WORK/stats.json" "d['events']")" = 400
check "stats: 20 snapshots (every 4th entity, at seq 5 and 10)" \
  test "$(field "$WORK/stats.json" "d['snapshots']")" = 20
check "stats: 20 objects" test "$(field "$WORK/stats.json" "d['objects']")" = 20
check "stats: 40 account.opened events" \
  test "$(field "$WORK/stats.json" "d['event_types']['account.opened']['count']")" = 40
check "stats: no progress bar on a non-terminal" no_progress "$WORK/err"
expect_rc 0 "fp replay stats (text)" "$FP" replay stats --data "$DATA"
check "stats text names the event types" grep -q "account.deposited" "$WORK/out"

# -- replay dump ----------------------------------------------------------------------------
expect_rc 0 "fp replay dump --pid acct-000007 --limit 3" \
  "$FP" replay dump --data "$DATA" --pid acct-000007 --limit 3
cp "$WORK/out" "$WORK/dump.jsonl"
check "dump: exactly 3 lines" test "$(wc -l <"$WORK/dump.jsonl")" = 3
check "dump: seqs 1, 2, 3 of acct-000007 with a decoded payload" "$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["seq"] for r in rows] == [1, 2, 3], rows
assert all(r["persistence_id"] == "acct-000007" for r in rows)
assert rows[0]["event_type"] == "account.opened" and rows[0]["payload"][1] == "opened", rows[0]
assert rows[0]["payload"][0] == 1 and isinstance(rows[0]["payload"][2], int)
assert rows[0]["written_at"].endswith("Z") and len(rows[0]["written_at"]) == 30
assert all(r["global_seq"] > 0 and r["writer"] == "fp-demo" for r in rows)
' "$WORK/dump.jsonl"
expect_rc 0 "fp replay dump (global order, --from 5 --limit 10)" \
  "$FP" replay dump --data "$DATA" --from 5 --limit 10
check "dump: global seqs 5..14" "$PY" -c '
import json, sys
assert [json.loads(l)["global_seq"] for l in open(sys.argv[1])] == list(range(5, 15))
' "$WORK/out"

# -- replay verify --------------------------------------------------------------------------
expect_rc 0 "fp replay verify on a healthy journal" "$FP" replay verify --data "$DATA"
check "verify says OK" grep -q "OK" "$WORK/out"
check "verify: no progress bar on a non-terminal" no_progress "$WORK/err"

# -- objects --------------------------------------------------------------------------------
expect_rc 0 "fp objects ls" "$FP" objects ls "$RECEIPTS/" --data "$DATA"
check "ls: 20 receipts" test "$(wc -l <"$WORK/out")" = 20
REF=$RECEIPTS/receipt-000007.json
LISTED=$(awk -v r="$REF" '$1 == r { print $3 }' "$WORK/out")
expect_rc 0 "fp objects cat" "$FP" objects cat "$REF" --data "$DATA"
check "cat: the bytes' sha256 is the listed digest" \
  test "$(sha256sum <"$WORK/out" | cut -d' ' -f1)" = "$LISTED"
expect_rc 0 "fp objects ls --json" "$FP" objects ls "$REF" --data "$DATA" --json
check "ls --json: an ArtifactRef with digest_alg sha256" "$PY" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["ref"] == sys.argv[2] and r["digest"] == sys.argv[3] and r["digest_alg"] == "sha256"
assert r["size_bytes"] > 0
' "$WORK/out" "$REF" "$LISTED"
echo "operator note" >"$WORK/note.txt"
expect_rc 0 "fp objects put stores new bytes" \
  "$FP" objects put ops/notes/n1.txt "$WORK/note.txt" --data "$DATA" --schema-version v1
check "put: prints the ArtifactRef" test "$(field "$WORK/out" "d['ref']")" = ops/notes/n1.txt
expect_rc 0 "fp objects put: same path, same bytes is a no-op" \
  "$FP" objects put ops/notes/n1.txt "$WORK/note.txt" --data "$DATA" --schema-version v1
echo "other bytes" >"$WORK/other.txt"
expect_rc 1 "fp objects put: same path, other bytes is refused" \
  "$FP" objects put ops/notes/n1.txt "$WORK/other.txt" --data "$DATA"
expect_rc 1 "fp objects cat of a missing object" "$FP" objects cat nope/x --data "$DATA"
mkdir -p "$WORK/a_dir"
expect_rc 1 "fp objects put: a directory is not a file" \
  "$FP" objects put ops/notes/d1 "$WORK/a_dir" --data "$DATA"
check "the error says it is a directory" grep -q 'is a directory' "$WORK/err"
check "fp objects put: a directory on standard input is refused" \
  bash -c "! '$FP' objects put ops/notes/d2 - --data '$DATA' <'$WORK/a_dir' 2>/dev/null"
expect_rc 1 "nothing was stored for the directory" "$FP" objects cat ops/notes/d1 --data "$DATA"
expect_rc 1 "nothing was stored from standard input" "$FP" objects cat ops/notes/d2 --data "$DATA"
# A data file cut short (a partial copy): refused at open with the sizes, never a crash.
mkdir -p "$WORK/cut/journal"
head -c 100000 "$DATA/journal/data.mdb" >"$WORK/cut/journal/data.mdb"
for cmd in "replay verify" "replay stats" "replay dump" "objects ls"; do
  # shellcheck disable=SC2086
  expect_rc 1 "fp $cmd on a truncated data file" "$FP" $cmd --data "$WORK/cut"
  check "fp $cmd names the truncation" grep -q 'is truncated: 100000 bytes' "$WORK/err"
done

# -- usage errors ---------------------------------------------------------------------------
expect_rc 2 "unknown flag" "$FP" replay stats --data "$DATA" --bogus
check "the error names the flag" grep -q -- '--bogus' "$WORK/err"
expect_rc 2 "unknown subcommand" "$FP" frobnicate
check "the error names the subcommand" grep -q 'frobnicate' "$WORK/err"
expect_rc 2 "missing --data" "$FP" replay verify
expect_rc 2 "--data without a value" "$FP" replay verify --data
expect_rc 2 "a non-numeric --limit" "$FP" replay dump --data "$DATA" --limit many
expect_rc 2 "an empty --pid" "$FP" replay dump --data "$DATA" --pid ""
check "the error names --pid and its rule" grep -q -- '--pid: a persistence id is 1..400 bytes' "$WORK/err"
expect_rc 2 "--events-per-entity 0" "$FP" demo --data "$WORK/none" --events-per-entity 0
for cmd in "" "replay" "objects" "replay stats" "replay dump" "replay verify" "objects ls" \
  "objects cat" "objects put" "demo" "version"; do
  # shellcheck disable=SC2086
  expect_rc 0 "fp $cmd --help" "$FP" $cmd --help
done
expect_rc 0 "fp version" "$FP" version
expect_rc 1 "a data dir without a journal" "$FP" replay stats --data "$WORK/empty"

# -- fpnode ---------------------------------------------------------------------------------
sed -e 's/port: 847[01]/port: 0/' -e 's/^  planes: .*/  planes: [testkit]/' \
  "$(dirname "$0")/../../config/profiles/local_parity.yaml" >"$WORK/profile.yaml"
expect_rc 2 "fpnode: unknown flag" "$FPNODE" --profile "$WORK/profile.yaml" --bogus
expect_rc 2 "fpnode: --profile is required" "$FPNODE" --data "$DATA"
expect_rc 1 "fpnode: a missing profile" "$FPNODE" --profile "$WORK/nope.yaml" --data "$DATA"
expect_rc 0 "fpnode --help" "$FPNODE" --help
"$FPNODE" --profile "$WORK/profile.yaml" --data "$DATA" >"$WORK/node.out" 2>&1 &
NODE_PID=$!
for _ in $(seq 300); do grep -q "journal open" "$WORK/node.out" && break; sleep 0.1; done
check "fpnode logs the open journal with its event count" \
  grep -q "journal open at $DATA/journal (400 events); bus embedded; planes \\[testkit\\]" "$WORK/node.out"
kill -TERM "$NODE_PID"
wait "$NODE_PID"
RC=$?
NODE_PID=
check "fpnode exits 0 on SIGTERM" test "$RC" = 0
check "fpnode closes the journal" grep -q "journal closed" "$WORK/node.out"

# -- damage on disk -------------------------------------------------------------------------
# acct-000007 seq 3's payload ends with its ts_utc string, which only that event carries
# (the demo's timestamps are seq*60 s + the entity index in seconds; receipts use seq 1).
MARKER=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[2])["payload"][3])' \
  "$WORK/dump.jsonl")
flip() { # flip FILE MARKER OFFSET: changes the byte at OFFSET inside every copy of MARKER
  "$PY" - "$@" <<'EOF'
import sys
path, marker, off = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
hits, at = 0, data.find(marker)
while at >= 0:  # stale copies in LMDB's free pages are harmless to change as well
    data[at + off] ^= 0x01
    hits += 1
    at = data.find(marker, at + 1)
open(path, "wb").write(data)
print(hits)
EOF
}
HITS=$(flip "$DATA/journal/data.mdb" "$MARKER" 5)
check "the payload marker $MARKER is on disk ($HITS copies)" test "$HITS" -ge 1
expect_rc 1 "fp replay verify finds the flipped byte" "$FP" replay verify --data "$DATA"
check "verify names the damaged record" \
  grep -q 'first bad record: .*persistence_id "acct-000007" seq 3' "$WORK/out"
expect_rc 1 "fp replay dump --pid stops at the damaged record" \
  "$FP" replay dump --data "$DATA" --pid acct-000007
check "dump printed the two good events before it" test "$(wc -l <"$WORK/out")" = 2

HITS=$(flip "$DATA/journal/data.mdb" '"receipt_id":"receipt-000009","decision":"ADMIT"' 43)
check "the receipt object is on disk ($HITS copies)" test "$HITS" -ge 1
expect_rc 1 "fp objects cat of a damaged object" \
  "$FP" objects cat "$RECEIPTS/receipt-000009.json" --data "$DATA"
check "cat writes nothing when the digest does not match" test ! -s "$WORK/out"
check "cat says why" test -s "$WORK/err"

if [[ $FAILED != 0 ]]; then
  echo "cli_test: FAILED"
  exit 1
fi
echo "cli_test: all passed"
