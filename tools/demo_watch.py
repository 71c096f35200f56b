#!/usr/bin/python3
"""Waits for a run's WSP streaming to end on a live node, showing each output's progress.

Usage: demo_watch.py ADMIN_URL PLATFORM_RUN_ID TIMEOUT_SECONDS

Polls GET /admin/wsp/runs until the run is `finished` (exit 0), `refused` or an output
stopped (exit 1, with the reason), or the timeout passes (exit 1). Progress goes to stderr,
one line per output, redrawn in place on a terminal.
"""

import json
import sys
import time
import urllib.request


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    url, prid, timeout = sys.argv[1].rstrip("/"), sys.argv[2], float(sys.argv[3])
    tty = sys.stderr.isatty()
    deadline = time.monotonic() + timeout
    drawn = 0
    while time.monotonic() < deadline:
        runs = [r for r in fetch(url + "/admin/wsp/runs")["runs"] if r["platform_run_id"] == prid]
        run = next((r for r in runs if r["state"] != "duplicate"), None)
        if run is not None:
            lines = []
            for o in run["outputs"]:
                target = o.get("target") or 0
                bar = ""
                if target:
                    filled = int(20 * min(o["sent"], target) / target)
                    bar = "[" + "#" * filled + "." * (20 - filled) + "] "
                lines.append(f"  {o['output_id']:30} {bar}sent {o['sent']:>5}  posts "
                             f"{o['posts']:>5}  dup {o['duplicate']:>3}  quar "
                             f"{o['quarantined']:>3}  {o['state']}")
            if tty:
                if drawn:
                    sys.stderr.write(f"\x1b[{drawn}A")
                sys.stderr.write("".join(l + "\x1b[K\n" for l in lines))
                drawn = len(lines)
            if run["state"] == "refused":
                print(f"demo: WSP refused the run: {run['reason']}", file=sys.stderr)
                return 1
            stopped = [o for o in run["outputs"] if o["state"] == "stopped"]
            if stopped:
                for o in stopped:
                    print(f"demo: WSP stopped {o['output_id']}: {o['reason']}", file=sys.stderr)
                return 1
            if run["state"] == "finished":
                if not tty:
                    sys.stderr.write("".join(l + "\n" for l in lines))
                return 0
        time.sleep(0.25)
    print(f"demo: WSP did not finish run {prid} within {timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
