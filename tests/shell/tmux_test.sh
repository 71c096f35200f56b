#!/usr/bin/env bash
# Drives the interactive `fp shell` in a tmux pane like a person: commands, TAB completion,
# an unknown command, a missing entity, history recall, Ctrl-C, a node that goes away,
# Ctrl-D; and asserts on the screen and the history file. Every wait polls the pane (at
# most 5 s each); the whole test takes well under a second.
set -euo pipefail
FP=$1
CANNED=$2
source "$(dirname "$0")/lib.sh"

# A private tmux server: its own socket name, its socket dir inside $TMP.
export TMUX_TMPDIR=$TMP
SOCK="fp-shell-test-$$"
tm() { tmux -L "$SOCK" "$@"; }
cleanup() {
  tm kill-server 2>/dev/null || true
  cleanup_base
}
trap cleanup EXIT

screen() { tm capture-pane -p -t shell; }
# wait_for TEXT: until the pane shows TEXT (fixed string).
wait_for() {
  for _ in $(seq 100); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  screen >&2
  fail "the screen never showed: $1"
}
# wait_for_line LINE: until the pane shows LINE as a whole line.
wait_for_line() {
  for _ in $(seq 100); do
    screen | grep -qxF -- "$1" && return 0
    sleep 0.05
  done
  screen >&2
  fail "the screen never showed the line: $1"
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
type_line() {
  tm send-keys -t shell -l "$1"
  tm send-keys -t shell Enter
}

start_node "$TMP/node"
port=${NODE_URL##*:}
prompt="fp[127.0.0.1:$port]>"
history_file="$TMP/history"

tm new-session -d -s shell -x 200 -y 50 \
  "env FP_SHELL_HISTORY='$history_file' FP_ADMIN_TOKEN= '$FP' shell --data '$TMP/node'; \
   echo \"[fp shell exited \$?]\"; sleep 60"
wait_for_last "$prompt"

type_line "planes"
wait_for "testkit  counter  0           3     1           0"
wait_for_last "$prompt"

type_line "ls counter"
wait_for "bravo  passivated"
wait_for_last "$prompt"

# TAB: a unique command, then an entity type, then a key
tm send-keys -t shell -l "sh"
tm send-keys -t shell Tab
wait_for_last "$prompt show"
tm send-keys -t shell -l "cou"
tm send-keys -t shell Tab
wait_for_last "$prompt show counter"
tm send-keys -t shell -l "al"
tm send-keys -t shell Tab
wait_for_last "$prompt show counter alpha"
tm send-keys -t shell Enter
wait_for '"persistence_id": "counter/alpha"'
wait_for_last "$prompt"

type_line "health"
wait_for_line "GREEN"
wait_for_last "$prompt"

# errors are one line and the prompt comes back
type_line "frobnicate"
wait_for "error: unknown command \"frobnicate\"; 'help' lists the commands"
wait_for_last "$prompt"
type_line "show counter zz"
wait_for "error: GET /admin/entities/counter/zz: 404 not_found: no entity counter/zz"
wait_for_last "$prompt"

# an ambiguous TAB lists the candidates and keeps the line
tm send-keys -t shell -l "he"
tm send-keys -t shell Tab
wait_for "health  help"
wait_for_last "$prompt he"
type_line "lp"
wait_for "TAB completes commands, entity types, keys and metric names"
wait_for_last "$prompt"

# history: Up recalls the last command
tm send-keys -t shell Up
wait_for_last "$prompt help"
# Ctrl-C abandons the line, not the shell
tm send-keys -t shell C-c
wait_for_last "$prompt"

# the node goes away: an error line, not a crash of the shell
kill -KILL "${NODE_PIDS[0]}" # a crash: the kernel closes its sockets at once
wait "${NODE_PIDS[0]}" 2>/dev/null || true
NODE_PIDS=()
type_line "planes"
wait_for "error: node $NODE_URL unreachable (connection refused)"
wait_for_last "$prompt"

echo "---- the pane before Ctrl-D ----"
screen | sed '/^$/d'
echo "--------------------------------"

tm send-keys -t shell C-d
wait_for "[fp shell exited 0]"

# history(3) writes blanks as \040
sed 's/\\040/ /g' "$history_file" >"$TMP/history.txt"
for cmd in "planes" "ls counter" "show counter alpha" "frobnicate" "help"; do
  grep -qxF "$cmd" "$TMP/history.txt" || fail "history lacks \"$cmd\": $(cat "$TMP/history.txt")"
done

echo "shell_tmux: ok"
