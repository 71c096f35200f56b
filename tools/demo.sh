#!/usr/bin/env bash
# `make demo`: the seeds' local-parity flow on one machine, embedded bus (seed 002):
#
#   fp world generate  -> a sealed synthetic world in the Oracle Store (write-once, gate PASS)
#   fpnode             -> the node with planes sr, ig, wsp (journal, bus, object store in DATA)
#   fp sr run          -> SR writes the run ledger and run_facts_view, emits READY
#   WSP (in the node)  -> consumes READY, streams the 4 outputs to IG concurrently
#                         (cap 200 an output, concurrency 4, speedup 600, 3% re-sent)
#   IG                 -> validates, dedupes, publishes to the 4 topics, writes receipts
#
# then prints a per-topic summary and where the receipts are, and stops the node cleanly.
#
# Usage: tools/demo.sh BUILD_DIR DATA_DIR [SEED]
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR DATA_DIR [SEED]}
data=${2:?usage: demo.sh BUILD_DIR DATA_DIR [SEED]}
seed=${3:-7}
# Knobs (environment): DEMO_SPEEDUP (WSP pacing, default 600; 0 = realistic ts_utc time),
# DEMO_RESEND_BP (basis points of events WSP re-sends, default 300), DEMO_CAP (default 200).
speedup=${DEMO_SPEEDUP:-600}
resend_bp=${DEMO_RESEND_BP:-300}
cap=${DEMO_CAP:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
fp="$build/tools/fp/fp"
fpnode="$build/cluster/fpnode"
mkdir -p "$data"
data=$(cd "$data" && pwd)

say() { printf 'demo: %s\n' "$*" >&2; }

# -- secrets: one API key for this demo, in a file only its owner can read, never printed ----
keyfile="$data/ingest_api_key"
if [[ ! -s "$keyfile" ]]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$keyfile")
fi
key=$(cat "$keyfile")
export FP_INGEST_API_KEYS="$key" FP_WSP_API_KEY="$key" FP_SR_API_KEY="$key"

# -- 1. the sealed world ---------------------------------------------------------------------
say "1/4 sealing a synthetic world (seed $seed) into $data/oracle_root"
"$fp" world generate --seed "$seed" --out "$data/oracle_root" >"$data/world.json"

# -- 2. the node -------------------------------------------------------------------------------
profile="$data/local_parity.yaml"
sed -e "s|^  data_dir: .*|  data_dir: $data/node|" \
    -e "s|^  oracle_root: .*|  oracle_root: $data/oracle_root|" \
    -e 's|^\(    port: \)847[01]\b|\10|' \
    -e 's|^  planes: .*|  planes: [sr, ig, wsp]|' \
    -e "s|^    resend_bp: 0 |    resend_bp: $resend_bp |" \
    -e "s|^    speedup: 600 |    speedup: $speedup |" \
    -e "s|^    cap_per_output: 200 |    cap_per_output: $cap |" \
    -e "s|\.\./\.\./schemas/|$here/schemas/|" -e "s|\.\./platform/|$here/config/platform/|" \
    "$here/config/profiles/local_parity.yaml" >"$profile"
say "2/4 starting fpnode (profile local_parity: embedded bus, planes sr, ig, wsp)"
rm -f "$data/node/fpnode.ports.json"
"$fpnode" --profile "$profile" --data "$data/node" >"$data/fpnode.log" 2>&1 &
node_pid=$!
stop_node() {
  if kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
}
trap stop_node EXIT
for _ in $(seq 1 200); do
  [[ -s "$data/node/fpnode.ports.json" ]] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$data/fpnode.log" >&2; exit 1; }
  sleep 0.1
done
ports=$(cat "$data/node/fpnode.ports.json")
admin=$(sed -E 's/.*"admin":([0-9]+).*/\1/' <<<"$ports")
ingress=$(sed -E 's/.*"ingress":([0-9]+).*/\1/' <<<"$ports")

# -- 3. SR: the run ----------------------------------------------------------------------------
say "3/4 SR: run ledger, run_facts_view, READY on fp.bus.control.v1"
"$fp" sr run --node "http://127.0.0.1:$ingress" --seed "$seed" >"$data/sr_run.json"
prid=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["platform_run_id"])' "$data/sr_run.json")
say "    platform_run_id $prid"

# -- 4. WSP -> IG -> EB ------------------------------------------------------------------------
say "4/4 WSP streams the 4 outputs to IG (cap $cap, concurrency 4, speedup $speedup, re-send $resend_bp bp)"
/usr/bin/python3 "$here/tools/demo_watch.py" "http://127.0.0.1:$admin" "$prid" 600
/usr/bin/python3 "$here/tests/e2e/ingress_check.py" "http://127.0.0.1:$admin" "$prid" \
  --cap "$cap" >"$data/summary.jsonl" || { say "the run's checks failed (above)"; exit 1; }
/usr/bin/python3 - "$data/summary.jsonl" "$prid" "$data" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
prid, data = sys.argv[2], sys.argv[3]
print(f"\nrun {prid} — per topic (WSP -> IG -> EB):")
print(f"  {'topic':40} {'WSP sent':>8} {'POSTs':>6} {'admitted':>8} {'duplicate':>9} "
      f"{'quarantined':>11} {'on topic':>8}")
for r in rows:
    print(f"  {r['topic']:40} {r['wsp_sent']:>8} {r['wsp_posts']:>6} {r['admitted']:>8} "
          f"{r['duplicate']:>9} {r['quarantined']:>11} {r['on_topic']:>8}")
amb = sum(r["publish_ambiguous_open"] for r in rows)
print(f"  publish_ambiguous open: {amb}; every admitted event is on its topic once, on the "
      "partition murmur2(key) picks")
print(f"\nreceipts: fraud-platform/{prid}/ig/receipts/ in the object store of {data}/node")
print(f"  list:  fp objects ls fraud-platform/{prid}/ig/receipts/ --data {data}/node")
print(f"  run facts: fp objects cat fraud-platform/{prid}/sr/run_facts_view.json --data {data}/node")
EOF
stop_node
trap - EXIT
say "node stopped cleanly; data in $data"
