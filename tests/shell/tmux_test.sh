#!/usr/bin/env bash
# Drives the interactive `fp shell` in a tmux pane like a person, against a REAL fpnode
# (port 0, a temp data dir): counters seeded through the ingress route, the node restarted
# so that some are passivated, then commands, TAB completion (command, type, key,
# persistence id), an unknown command, a missing entity, history recall, Ctrl-C, the node
# stopping under the shell, Ctrl-D; asserts on the screen and the history file. Every wait
# polls (at most 5 s each, 15 s for the node to stop); the whole test takes a few seconds.
#
# usage: tmux_test.sh FP FPNODE SOURCE_DIR
set -euo pipefail
FP=${1:?usage: tmux_test.sh FP FPNODE SOURCE_DIR}
FPNODE=${2:?}
SRC=${3:?}
source "$(dirname "$0")/lib.sh"

# A private tmux server: its own socket name, its socket dir inside $TMP.
export TMUX_TMPDIR=$TMP
SOCK="fp-shell-test-$$-${RANDOM}"
tm() { tmux -L "$SOCK" "$@"; }
cleanup() {
  local rc=$?
  tm kill-server 2>/dev/null || true
  cleanup_base "$rc"
}
trap cleanup EXIT

# -- the node: seeded, restarted (alpha and bravo passivated), charlie touched (live) -----
fpnode_profile
start_fpnode "$TMP/node"
add alpha 5
add alpha 7
add bravo 40
add bravo 2
add charlie 100
stop_fpnode || fail "fpnode did not stop on SIGTERM"
[[ $FPNODE_RC == 0 ]] || fail "fpnode exited $FPNODE_RC on SIGTERM, not 0"
[[ ! -e $TMP/node/fpnode.ports.json ]] || fail "fpnode left its ports file behind"
start_fpnode "$TMP/node"
add charlie 1

port=${NODE_URL##*:}
prompt="fp[127.0.0.1:$port]>"
history_file="$TMP/history"

# -- screen helpers -----------------------------------------------------------------------
screen() { tm capture-pane -p -t shell; }
# everything the pane ever showed, wrapped lines joined (-J keeps trailing blanks: cut)
scrollback() { tm capture-pane -p -J -S - -E - -t shell | sed 's/[[:space:]]*$//'; }
# wait_for TEXT: until the pane shows TEXT (fixed string).
wait_for() {
  for _ in $(seq 100); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  screen >&2
  fail "the screen never showed: $1"
}
# wait_for_last LINE: until the pane's last non-blank line is exactly LINE.
wait_for_last() {
  local last=""
  for _ in $(seq 100); do
    last=$(screen | sed '/^$/d' | tail -n 1)
    [[ "$last" == "$1" ]] && return 0
    sleep 0.05
  done
  screen >&2
  fail "the last line is \"$last\", not \"$1\""
}
# runs_of CMD: how many times the scrollback shows "PROMPT CMD" followed by output and a
# new prompt (a finished run); then the output of the last finished run.
runs_of() {
  scrollback | awk -v cmdline="$prompt $1" -v p="$prompt" '
    $0 == cmdline { open = 1; buf = ""; next }
    open && ($0 == p || index($0, p " ") == 1) { n++; out = buf; open = 0 }
    open { buf = buf $0 "\n" }
    END { print n + 0; printf "%s", out }'
}
# finish CMD KEYS...: sends KEYS (the last of them runs CMD) and waits until that run of
# CMD has finished; its output goes to $OUT.
finish() {
  local cmd=$1 before after
  shift
  before=$(runs_of "$cmd" | head -n 1)
  tm send-keys -t shell "$@"
  for _ in $(seq 100); do
    after=$(runs_of "$cmd" | head -n 1)
    if ((after > before)); then
      OUT=$(runs_of "$cmd" | tail -n +2)
      return 0
    fi
    sleep 0.05
  done
  screen >&2
  fail "\"$cmd\" did not finish with a new prompt"
}
# run CMD: types CMD and Enter, waits for its output ($OUT) and the next prompt.
run() {
  tm send-keys -t shell -l "$1"
  finish "$1" Enter
}
# shows TEXT / shows_line LINE / shows_match ERE: assert on $OUT, the last command's output.
shows() { [[ "$OUT" == *"$1"* ]] || fail "expected \"$1\" in the output:"$'\n'"$OUT"; }
shows_line() { grep -qxF -- "$1" <<<"$OUT" || fail "expected the line \"$1\" in:"$'\n'"$OUT"; }
shows_match() { grep -qE -- "$1" <<<"$OUT" || fail "expected a line matching /$1/ in:"$'\n'"$OUT"; }

# -- the shell --------------------------------------------------------------------------------
tm new-session -d -s shell -x 200 -y 50 \
  "env FP_SHELL_HISTORY='$history_file' FP_ADMIN_TOKEN= '$FP' shell --node '$NODE_URL'; \
   echo \"[fp shell exited \$?]\"; sleep 60"
wait_for_last "$prompt"

run "planes"
shows_line "PLANE    TYPE     RECOVERING  LIVE  PASSIVATED  QUARANTINED"
shows_line "testkit  counter  0           1     2           0"

run "ls counter"
shows_line "counter: recovering 0, live 1, passivated 2, quarantined 0"
shows_line "KEY      STATUS"
shows_line "alpha    passivated"
shows_line "bravo    passivated"
shows_line "charlie  live"

# TAB: a unique command, then an entity type, then a key the node knows
tm send-keys -t shell -l "sh"
tm send-keys -t shell Tab
wait_for_last "$prompt show"
tm send-keys -t shell -l "cou"
tm send-keys -t shell Tab
wait_for_last "$prompt show counter"
tm send-keys -t shell -l "br"
tm send-keys -t shell Tab
wait_for_last "$prompt show counter bravo"
finish "show counter bravo" Enter
shows '"persistence_id": "counter/bravo"'
shows '"status": "passivated"'
shows '"value": 42'
shows '"adds": 2'
shows '"last_seq": 2'
shows '"event_type": "counter.added"'

run "show counter charlie"
shows '"status": "live"'
shows '"value": 101'
shows '"last_seq": 2'

# TAB on a persistence id: the type and a slash, then a key
tm send-keys -t shell -l "journal cou"
tm send-keys -t shell Tab
wait_for_last "$prompt journal counter/"
tm send-keys -t shell -l "a"
tm send-keys -t shell Tab
wait_for_last "$prompt journal counter/alpha"
finish "journal counter/alpha" Enter
shows_match '^SEQ +GLOBAL +EVENT_TYPE +V +WRITTEN_AT +WRITER +PAYLOAD$'
shows_match '^1 +1 +counter\.added +1 +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z +fpnode +\[.*\]$'
shows_match '^2 +2 +counter\.added +1 +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z +fpnode +\[.*\]$'
[[ $(grep -c counter.added <<<"$OUT") == 2 ]] || fail "alpha has 2 events:"$'\n'"$OUT"

# metrics since the restart: one command (charlie's), one recovery, two passivated entities
run "metrics fp_core"
shows_line 'fp_core_commands_total{plane="testkit",type="counter"} 1'
shows_line 'fp_core_events_persisted_total{plane="testkit",type="counter"} 1'
shows_line 'fp_core_entities{plane="testkit",type="counter",status="live"} 1'
shows_line 'fp_core_entities{plane="testkit",type="counter",status="passivated"} 2'
shows_line '# TYPE fp_core_commands_total counter'
! grep -vE '^(# (HELP|TYPE) )?fp_core' <<<"$OUT" >/dev/null ||
  fail "metrics fp_core printed other lines:"$'\n'"$OUT"

# the embedded bus is wired: GREEN, no reasons
run "health"
shows_line "GREEN"

# the bus: the profile's topics, with the six AdminEvents of their creation on the control topic
run "bus"
shows_line "backend embedded, reachable"
shows_match '^TOPIC +PARTITION +LOW +HIGH +RETENTION_MS +RETENTION_BYTES$'
shows_match '^fp\.bus\.control\.v1 +0 +0 +6 +604800000 +-1$'
shows_match '^fp\.bus\.traffic\.fraud\.v1 +7 +0 +0 +604800000 +-1$'
run "lag nobody fp.bus.control.v1"
shows_match '^PARTITION +COMMITTED +HIGH +LAG$'
shows_match '^0 +- +6 +6$'
shows_line "total lag 6"

# errors are one line and the prompt comes back
run "frobnicate"
[[ "$OUT" == "error: unknown command \"frobnicate\"; 'help' lists the commands" ]] ||
  fail "frobnicate: $OUT"
run "show counter zz"
[[ "$OUT" == "error: GET /admin/entities/counter/zz: 404 not_found: "*"no entity counter/zz"* ]] ||
  fail "a missing entity: $OUT"
[[ $(wc -l <<<"$OUT") == 1 ]] || fail "a missing entity is one line: $OUT"
run "ls nope"
[[ "$OUT" == 'error: GET /admin/entities/nope: 404 not_found: entity type "nope" is not running on this node (running: counter)' ]] ||
  fail "an unknown type: $OUT"

# an ambiguous TAB lists the candidates and keeps the line
tm send-keys -t shell -l "he"
tm send-keys -t shell Tab
wait_for "health  help"
wait_for_last "$prompt he"
tm send-keys -t shell -l "lp"
finish "help" Enter
shows "TAB completes commands, entity types, keys and metric names"

# history: Up recalls the last command; Ctrl-C abandons the line, not the shell
tm send-keys -t shell Up
wait_for_last "$prompt help"
tm send-keys -t shell C-c
wait_for_last "$prompt"

# the node stops (SIGTERM) under the shell: it exits 0 and is reaped; the shell says so in
# one line and goes on
stop_fpnode || fail "fpnode did not stop on SIGTERM"
[[ $FPNODE_RC == 0 ]] || fail "fpnode exited $FPNODE_RC on SIGTERM, not 0"
[[ ! -e $TMP/node/fpnode.ports.json ]] || fail "fpnode left its ports file behind"
run "planes"
[[ "$OUT" == "error: node $NODE_URL unreachable (cannot connect: refused, or the host does not resolve)" ]] ||
  fail "a stopped node: $OUT"

echo "---- the pane before Ctrl-D ----"
scrollback | sed '/^$/d'
echo "--------------------------------"

tm send-keys -t shell C-d
wait_for "[fp shell exited 0]"

# history(3) writes blanks as \040
sed 's/\\040/ /g' "$history_file" >"$TMP/history.txt"
for cmd in "planes" "ls counter" "show counter bravo" "journal counter/alpha" "frobnicate" "help"; do
  grep -qxF "$cmd" "$TMP/history.txt" || fail "history lacks \"$cmd\": $(cat "$TMP/history.txt")"
done

echo "shell_tmux: ok"
