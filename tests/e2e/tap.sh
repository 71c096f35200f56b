# The end-to-end scripts' shared checks, sourced after WORK (a scratch dir) and PY (python3)
# are set: one "ok   - ..." or "FAIL - ..." line per check; FAILED=1 once any check failed.

FAILED=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILED=1; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_rc() { # expect_rc CODE DESCRIPTION COMMAND...: stdout/stderr in $WORK/out, $WORK/err
  local want=$1 what=$2; shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [[ $rc == "$want" ]]; then pass "$what (exit $rc)"; else
    fail "$what: exit $rc, want $want"; sed 's/^/    /' "$WORK/err" "$WORK/out"
  fi
}
field() { # field FILE PYTHON-EXPR-ON-d: prints the expression over the file's JSON as d
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
