#!/usr/bin/python3
"""Checks compose/ against the dev profile (run by check_compose.sh; needs python3-yaml).

usage: check_compose.py SOURCE_DIR CONFIG_WITH_ENV_EXAMPLE CONFIG_WITH_DEFAULTS

The two CONFIG files are `docker-compose config` output: once with compose/.env.example,
once with no env file. Every rule prints what it found; any failure exits 1.
"""

import copy
import re
import subprocess
import sys
from pathlib import Path

import yaml

SERVICES = {"redpanda", "topics", "fpnode", "prometheus"}
SECRET = "fp_admin_token"
SECRET_PATH = "/run/secrets/" + SECRET
TOPIC_RE = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+) -p (?P<p>\d+) -c retention\.ms=(?P<ms>-?\d+)"
    r" -c retention\.bytes=(?P<bytes>-?\d+)$")


def host_port(address):
    host, _, port = address.rpartition(":")
    return host, int(port)


def ports_of(service):
    """[(host_ip, published, target)] from the long or short port syntax of compose config."""
    out = []
    for p in service.get("ports", []):
        if isinstance(p, dict):
            out.append((p.get("host_ip", ""), int(p["published"]), int(p["target"])))
            continue
        s = str(p).split("/")[0]
        parts = s.split(":")
        if len(parts) == 3:
            out.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            out.append(("", int(parts[0]), int(parts[1])))
        else:
            out.append(("", int(parts[0]), int(parts[0])))
    return out


def set_values(command):
    """The KEY=VALUE words that follow `--set` in an rpk command line."""
    return {command[i + 1] for i, w in enumerate(command[:-1]) if w == "--set"}


def flag(command, name):
    """Values of --name=VALUE or `--name VALUE` in a command list."""
    vals = []
    for i, w in enumerate(command):
        if w.startswith(name + "="):
            vals.append(w[len(name) + 1:])
        elif w == name and i + 1 < len(command):
            vals.append(command[i + 1])
    return vals


def depends(service, name):
    d = service.get("depends_on", {})
    if isinstance(d, list):
        return "service_started" if name in d else None
    return (d.get(name) or {}).get("condition") if name in d else None


def volume_target(service, target):
    """(source, read_only) of the volume mounted at target, else None."""
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            if v.get("target") == target:
                return v.get("source", ""), bool(v.get("read_only"))
            continue
        parts = str(v).split(":")
        if len(parts) >= 2 and parts[1] == target:
            return parts[0], len(parts) > 2 and "ro" in parts[2].split(",")
    return None


def duration_s(text):
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(text))
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0) if m and text else 0


def check_config(cfg, profile, src, compose_dir):
    """Returns a list of problems (empty when the config matches the profile)."""
    bad = []

    def need(cond, what):
        if not cond:
            bad.append(what)
        return cond

    services = cfg.get("services", {})
    if not need(set(services) == SERVICES,
                f"services are {sorted(services)}, expected {sorted(SERVICES)}"):
        return bad
    rp, topics, node, prom = (services[s] for s in ("redpanda", "topics", "fpnode", "prometheus"))
    wiring, policy = profile["wiring"], profile["policy"]
    admin_port, ingress_port = int(wiring["admin"]["port"]), int(wiring["ingress"]["port"])
    boot_host, boot_port = host_port(wiring["bus"]["bootstrap"])
    need(wiring["bus"]["backend"] == "kafka", "the dev profile's bus backend is not kafka")

    # -- every published port is on the host's loopback
    for name, svc in services.items():
        for host_ip, pub, _ in ports_of(svc):
            need(host_ip == "127.0.0.1", f"{name} publishes port {pub} on '{host_ip or '*'}', not 127.0.0.1")

    # -- redpanda: durable, no auto-create, the listeners the profile expects
    cmd = [str(w) for w in rp.get("command", [])]
    joined = " ".join(cmd)
    need(cmd[:2] == ["redpanda", "start"], f"redpanda command starts {cmd[:2]}, not 'redpanda start'")
    need("dev-container" not in joined and not flag(cmd, "--mode"),
         "redpanda is started with --mode (dev-container bypasses fsync and auto-creates topics)")
    need(flag(cmd, "--unsafe-bypass-fsync") == ["false"],
         "redpanda must pass --unsafe-bypass-fsync=false explicitly (rpk defaults it on in developer mode)")
    sets = set_values(cmd)
    for kv in ("redpanda.auto_create_topics_enabled=false", "redpanda.developer_mode=false",
               "redpanda.write_caching_default=false"):
        need(kv in sets, f"redpanda is not started with --set {kv}")
    need(not any(re.match(r"redpanda\.(developer_mode|auto_create_topics_enabled)=true", s) for s in sets),
         "redpanda enables developer_mode or auto_create_topics_enabled")
    need(not any("--set=" in w for w in cmd), "rpk only reads `--set KEY=VALUE` as two words, not --set=")
    listen = ",".join(flag(cmd, "--kafka-addr"))
    advertise = ",".join(flag(cmd, "--advertise-kafka-addr"))
    need(re.search(rf"//0\.0\.0\.0:{boot_port}\b", listen) is not None,
         f"redpanda does not listen on port {boot_port} (the profile's bootstrap)")
    need(f"//{boot_host}:{boot_port}" in advertise,
         f"redpanda does not advertise {boot_host}:{boot_port} (the profile's wiring.bus.bootstrap)")
    need("//redpanda:9092" in advertise, "redpanda does not advertise redpanda:9092 inside the network")
    rp_ports = {(pub, tgt) for _, pub, tgt in ports_of(rp)}
    need((boot_port, boot_port) in rp_ports, f"redpanda does not publish {boot_port}:{boot_port}")
    need((9644, 9644) in rp_ports, "redpanda does not publish its admin API 9644")
    data = volume_target(rp, "/var/lib/redpanda/data")
    need(data is not None and data[0] in cfg.get("volumes", {}),
         "redpanda's data directory is not a named volume")
    hc = rp.get("healthcheck", {}).get("test", [])
    need("rpk cluster health" in " ".join(hc if isinstance(hc, list) else [hc]),
         "redpanda's healthcheck does not run rpk cluster health")

    # -- topics: exactly the profile's topics, with their partitions and retention
    want = {t["name"]: (int(t["partitions"]), int(t["retention_ms"]), int(t["retention_bytes"]))
            for t in policy["bus"]["topics"]}
    got = {}
    for item in topics.get("command", []):
        m = TOPIC_RE.match(str(item))
        if need(m is not None, f"provisioning argument '{item}' is not 'NAME -p N -c retention.ms=MS -c retention.bytes=B'"):
            need(m["name"] not in got, f"topic {m['name']} is provisioned twice")
            got[m["name"]] = (int(m["p"]), int(m["ms"]), int(m["bytes"]))
    for name in sorted(set(want) | set(got)):
        if name not in got:
            bad.append(f"topic {name} of the dev profile is not provisioned")
        elif name not in want:
            bad.append(f"topic {name} is provisioned but not in the dev profile")
        elif got[name] != want[name]:
            bad.append(f"topic {name}: compose has (partitions, retention.ms, retention.bytes) = "
                       f"{got[name]}, the profile {want[name]}")
    ep = " ".join(str(w) for w in (topics.get("entrypoint") or []))
    need("provision-topics.sh" in ep, "the topics service does not run provision-topics.sh")
    mounted = volume_target(topics, "/etc/fp/provision-topics.sh")
    need(mounted is not None and Path(mounted[0]).resolve() == (compose_dir / "provision-topics.sh").resolve(),
         "compose/provision-topics.sh is not mounted at /etc/fp/provision-topics.sh")
    need(depends(topics, "redpanda") == "service_healthy", "topics does not wait for a healthy redpanda")
    need(topics.get("image") == rp.get("image"), "topics does not use the broker's image (its rpk)")
    env = topics.get("environment", {})
    need(env.get("RPK_BROKERS") == "redpanda:9092", "topics does not talk to redpanda:9092")
    need("auto_create_topics_enabled=false" in str(env.get("CLUSTER_CONFIG", "")).split(),
         "topics does not re-assert auto_create_topics_enabled=false")
    need(str(topics.get("restart", "no")) == "no", "the one-shot topics service restarts")

    # -- fpnode: one node, the dev profile, after the topics exist
    need(node.get("command") == ["fpnode", "--profile", "/etc/fp/config/profiles/dev.yaml",
                                 "--data", "/var/lib/fp"],
         f"fpnode command is {node.get('command')}")
    prof = volume_target(node, "/etc/fp/config/profiles/dev.yaml")
    need(prof is not None and Path(prof[0]).resolve() == (src / "config/profiles/dev.yaml").resolve()
         and prof[1],
         "config/profiles/dev.yaml is not mounted read-only at /etc/fp/config/profiles/dev.yaml "
         "(its policy paths resolve against that directory, where the image has config/ and "
         "schemas/contracts/)")
    need(any((s if isinstance(s, str) else s.get("source")) == "fp_ingest_api_keys"
             for s in node.get("secrets", [])),
         "fpnode does not get the fp_ingest_api_keys secret (the planes sr, ig need API keys)")
    for var in (wiring["ingress"].get("api_keys_env", ""), wiring["wsp"].get("api_key_env", "")):
        need(not var or var not in node.get("environment", {}), f"fpnode's environment sets {var} (keys belong in the "
             "secret file)")
    fdata = volume_target(node, "/var/lib/fp")
    need(fdata is not None and fdata[0] in cfg.get("volumes", {}), "fpnode's /var/lib/fp is not a named volume")
    env = node.get("environment", {})
    need(env.get("FP_BUS_BOOTSTRAP") == "redpanda:9092", "FP_BUS_BOOTSTRAP is not redpanda:9092")
    need(env.get("FP_ADMIN_BIND") == "0.0.0.0", "FP_ADMIN_BIND is not 0.0.0.0 (Prometheus cannot scrape)")
    need(env.get("FP_INGRESS_BIND") == "0.0.0.0", "FP_INGRESS_BIND is not 0.0.0.0")
    need(env.get("FP_ADMIN_TOKEN_FILE") == SECRET_PATH, f"FP_ADMIN_TOKEN_FILE is not {SECRET_PATH}")
    token_env = wiring["admin"].get("token_env", "")
    need(bool(token_env) and token_env not in env,
         f"fpnode's environment sets {token_env} (the token belongs in the secret file)")
    node_ports = {(pub, tgt) for _, pub, tgt in ports_of(node)}
    need(node_ports == {(admin_port, admin_port), (ingress_port, ingress_port)},
         f"fpnode publishes {sorted(node_ports)}, the profile's admin/ingress ports are {admin_port}/{ingress_port}")
    need(depends(node, "topics") == "service_completed_successfully", "fpnode does not wait for the topics")
    need(depends(node, "redpanda") == "service_healthy", "fpnode does not wait for a healthy redpanda")
    need(any((s if isinstance(s, str) else s.get("source")) == SECRET for s in node.get("secrets", [])),
         "fpnode does not get the fp_admin_token secret")
    build = node.get("build", {})
    need(Path(str(build.get("context", ""))).resolve() == src.resolve()
         and build.get("dockerfile") == "compose/Dockerfile",
         "fpnode is not built from the repository root with compose/Dockerfile")
    need(int((node.get("deploy") or {}).get("replicas", 1)) == 1 and int(node.get("scale", 1)) == 1,
         "more than one fpnode (two nodes without partition ownership admit events twice)")
    grace_s = policy["runtime"]["shutdown_grace_ms"] / 1000
    need(duration_s(node.get("stop_grace_period", "")) > grace_s,
         f"fpnode's stop_grace_period is not above shutdown_grace_ms ({grace_s:g}s)")

    # -- prometheus: the same secret
    need(str(prom.get("image", "")).startswith("prom/prometheus"), "prometheus is not the prom/prometheus image")
    need(any((s if isinstance(s, str) else s.get("source")) == SECRET for s in prom.get("secrets", [])),
         "prometheus does not get the fp_admin_token secret")
    pconf = volume_target(prom, "/etc/prometheus/prometheus.yml")
    need(pconf is not None and Path(pconf[0]).resolve() == (compose_dir / "prometheus.yml").resolve() and pconf[1],
         "compose/prometheus.yml is not mounted read-only")

    # -- the secret is a file, not a value
    sec = (cfg.get("secrets") or {}).get(SECRET, {})
    need(set(sec) == {"file"}, f"secret {SECRET} is {sec}, expected a file")
    return bad


def check_prometheus(path, profile):
    bad = []
    conf = yaml.safe_load(path.read_text())
    port = int(profile["wiring"]["admin"]["port"])
    jobs = [j for j in conf.get("scrape_configs", [])
            if f"fpnode:{port}" in [t for sc in j.get("static_configs", []) for t in sc.get("targets", [])]]
    if len(jobs) != 1:
        return [f"prometheus.yml has {len(jobs)} scrape jobs for fpnode:{port}, expected 1"]
    job = jobs[0]
    if job.get("metrics_path", "/metrics") != "/metrics":
        bad.append("the fpnode job does not scrape /metrics")
    auth = job.get("authorization", {})
    if auth.get("type", "Bearer") != "Bearer" or auth.get("credentials_file") != SECRET_PATH:
        bad.append(f"the fpnode job does not send the bearer token from {SECRET_PATH}")
    if "credentials" in auth or "bearer_token" in job:
        bad.append("prometheus.yml holds a literal token")
    return bad


def check_no_literal_secret(compose_dir, profile):
    bad = []
    token_env = profile["wiring"]["admin"]["token_env"]
    for name in ("docker-compose.yml", "prometheus.yml", ".env.example", "Dockerfile"):
        text = (compose_dir / name).read_text()
        if re.search(rf"^\s*-?\s*{token_env}\s*[:=]", text, re.M):
            bad.append(f"compose/{name} assigns {token_env}")
        # a 16+ character hex/base64 run is what `openssl rand` makes
        for m in re.finditer(r"(?<![\w/.-])[A-Fa-f0-9]{32,}(?![\w/.-])|(?<![\w/.-])[A-Za-z0-9+/]{40,}={0,2}", text):
            bad.append(f"compose/{name} contains what looks like a secret: {m.group(0)[:8]}...")
    ignored = (compose_dir / ".gitignore").read_text().split()
    for pat in (".env", "secrets/"):
        if pat not in ignored:
            bad.append(f"compose/.gitignore does not ignore {pat}")
    return bad


def check_dockerfile(src):
    bad = []
    text = (src / "compose/Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    if not froms or froms[0] != "debian:bookworm":
        bad.append(f"the build stage is FROM {froms[:1]}, not debian:bookworm")
    if len(froms) < 2 or froms[-1] != "debian:bookworm-slim":
        bad.append(f"the runtime stage is FROM {froms[-1:]}, not debian:bookworm-slim")
    if not re.search(r"^RUN .*bash tools/install-deps\.sh", text, re.M | re.S):
        bad.append("the Dockerfile does not run tools/install-deps.sh")
    if not re.search(r"\bmake (configure|build)\b", text):
        bad.append("the Dockerfile does not build with the Makefile")
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    if not users or users[-1] in ("root", "0"):
        bad.append("the runtime image runs as root")
    if not re.search(r'^VOLUME\s+\[?"?/var/lib/fp"?\]?', text, re.M):
        bad.append("the runtime image does not declare the /var/lib/fp volume")
    return bad


def dockerignore_regex(pattern):
    """Docker's .dockerignore pattern (Go filepath.Match plus **) as a regex on a path."""
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        i += 1
    return re.compile(out + "(?:/.*)?$")  # a directory's pattern covers what is under it


def check_dockerignore(src):
    bad = []
    lines = [l.strip() for l in (src / "compose/Dockerfile.dockerignore").read_text().splitlines()]
    pats = [l for l in lines if l and not l.startswith("#")]
    if any(p.startswith("!") for p in pats):
        bad.append("Dockerfile.dockerignore uses exceptions; this check does not model them")
        return bad
    regs = [(p, dockerignore_regex(p)) for p in pats]
    for must in ("build/CMakeCache.txt", "data/x", "compose/.env", "compose/secrets/fp_admin_token"):
        if not any(r.match(must) for _, r in regs):
            bad.append(f"Dockerfile.dockerignore lets {must} into the build context")
    try:
        files = subprocess.run(["git", "-C", str(src), "ls-files"], capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        print("check_compose: git ls-files unavailable; not checking that sources reach the build context")
        return bad
    for f in files:
        hit = next((p for p, r in regs if r.match(f)), None)
        if hit:
            bad.append(f"Dockerfile.dockerignore pattern '{hit}' drops the tracked file {f}")
    return bad


def mutations_are_caught(cfg, profile, src, compose_dir):
    """The rules bite: a few wrong configs must each be reported."""
    def mutated(fn):
        c = copy.deepcopy(cfg)
        fn(c["services"])
        return check_config(c, profile, src, compose_dir)

    cases = {
        "dev-container mode": lambda s: s["redpanda"]["command"].extend(["--mode", "dev-container"]),
        "auto-create left on": lambda s: s["redpanda"].update(
            command=[w for w in s["redpanda"]["command"] if w != "redpanda.auto_create_topics_enabled=false"]),
        "a topic missing": lambda s: s["topics"]["command"].pop(),
        "a partition count off": lambda s: s["topics"]["command"].__setitem__(
            0, re.sub(r"-p \d+", "-p 3", s["topics"]["command"][0])),
        "an extra topic": lambda s: s["topics"]["command"].append(
            "fp.bus.extra.v1 -p 1 -c retention.ms=-1 -c retention.bytes=-1"),
        "admin port off": lambda s: s["fpnode"].update(ports=["127.0.0.1:9470:8470", "127.0.0.1:8471:8471"]),
        "port on all interfaces": lambda s: s["prometheus"].update(ports=["9090:9090"]),
        "token in env": lambda s: s["fpnode"]["environment"].update(FP_ADMIN_TOKEN="x" * 20),
    }
    bad = []
    for what, fn in cases.items():
        if not mutated(fn):
            bad.append(f"the checker does not notice: {what}")
    return bad


def main():
    src, with_example, with_defaults = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    compose_dir = src / "compose"
    profile = yaml.safe_load((src / "config/profiles/dev.yaml").read_text())
    if "bus" not in profile.get("policy", {}) or not profile["policy"]["bus"].get("topics"):
        print("check_compose: config/profiles/dev.yaml has no policy.bus.topics", file=sys.stderr)
        return 1
    cfg = yaml.safe_load(with_example.read_text())
    defaults = yaml.safe_load(with_defaults.read_text())

    problems = check_config(cfg, profile, src, compose_dir)
    # .env.example documents the defaults: with or without it, the same cluster.
    strip = lambda c: {k: v for k, v in c.items() if k != "name"}
    if strip(cfg) != strip(defaults):
        problems.append("compose/.env.example does not match the defaults in docker-compose.yml")
    problems += check_prometheus(compose_dir / "prometheus.yml", profile)
    problems += check_no_literal_secret(compose_dir, profile)
    problems += check_dockerfile(src)
    problems += check_dockerignore(src)
    problems += mutations_are_caught(cfg, profile, src, compose_dir)

    topics = profile["policy"]["bus"]["topics"]
    print(f"check_compose: {len(topics)} topics, ports admin {profile['wiring']['admin']['port']} "
          f"ingress {profile['wiring']['ingress']['port']} bootstrap {profile['wiring']['bus']['bootstrap']}")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
