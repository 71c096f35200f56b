#include "cluster/profile.hpp"

#include "cluster/auth.hpp"
#include "cluster/errc.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

using namespace fp::cluster;

namespace {

const std::filesystem::path profiles = std::filesystem::path(FP_SOURCE_DIR) / "config/profiles";

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// local_parity.yaml with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
  auto text = read(profiles / "local_parity.yaml");
  auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

std::string failure(const std::string& text) {
  auto p = parse_profile(text, "t.yaml");
  if (p)
    return "(parsed)";
  CHECK(p.error().is(errc::bad_profile));
  return p.error().message();
}

} // namespace

TEST_CASE("the shipped profiles parse, with the same shape and their own values") {
  auto local = load_profile(profiles / "local_parity.yaml");
  REQUIRE_MESSAGE(local, local.error().message());
  CHECK(local->name == "local_parity");
  CHECK(local->wiring.data_dir == "data/node");
  CHECK(local->wiring.admin.port == 8470);
  CHECK(local->wiring.ingress.port == 8471);
  CHECK(local->policy.planes == std::vector<std::string>{"sr", "ig", "wsp"});
  CHECK(local->policy.journal.initial_map_bytes == 64u << 20);
  CHECK(local->policy.entities.snapshot_every == 100);
  CHECK(local->policy.entities.passivate_after == std::chrono::milliseconds(60000));
  CHECK(local->policy.http.max_body_bytes == 65536);
  CHECK_FALSE(local->admin_requires_token());
  for (auto name : {"dev.yaml", "prod.yaml"}) {
    auto p = load_profile(profiles / name);
    REQUIRE_MESSAGE(p, p.error().message());
    CHECK(p->admin_requires_token());
  }
  auto prod = load_profile(profiles / "prod.yaml");
  CHECK(prod->wiring.admin.bind == "0.0.0.0");
  CHECK(prod->wiring.admin.token_file == "/run/secrets/fp_admin_token");
}

TEST_CASE("every unknown, mistyped, out-of-range or missing key is named with its rule") {
  struct row {
    std::string from, to, message;
  };
  const row rows[] = {
      {"    snapshot_every: 100", "    snapshot_evry: 100",
       "t.yaml: policy.entities.snapshot_evry: unknown key (known: shards, partitions, "
       "snapshot_every, passivate_after_ms, max_live, max_crashes, backoff_min_ms, "
       "backoff_max_ms, max_concurrent_recoveries)"},
      {"    port: 8470", "    port: abc",
       "t.yaml: wiring.admin.port: must be an integer 0..65535, got \"abc\""},
      {"    port: 8470", "    port: \"8470\"",
       "t.yaml: wiring.admin.port: must be an integer 0..65535, got the quoted string \"8470\""},
      {"    port: 8471", "    port: 70000",
       "t.yaml: wiring.ingress.port: must be an integer 0..65535, got \"70000\""},
      {"    port: 8471", "    port: 8471.5",
       "t.yaml: wiring.ingress.port: must be an integer 0..65535, got \"8471.5\""},
      {"    shards: 8", "    shards: 0",
       "t.yaml: policy.entities.shards: must be an integer 1..4096, got \"0\""},
      {"    shards: 8", "    shards: [8]",
       "t.yaml: policy.entities.shards: must be an integer 1..4096, got a list"},
      {"    bind: 127.0.0.1", "    bind: localhost",
       "t.yaml: wiring.admin.bind: must be an IPv4 or IPv6 address, got \"localhost\""},
      {"    require_token: false", "    require_token: yes",
       "t.yaml: wiring.admin.require_token: must be true or false, got \"yes\""},
      {"    backend: embedded", "    backend: rabbit",
       "t.yaml: wiring.bus.backend: must be one of embedded kafka, got \"rabbit\""},
      {"  planes: [sr, ig, wsp]", "  planes: testkit",
       "t.yaml: policy.planes: must be a list of names, got \"testkit\""},
      {"  planes: [sr, ig, wsp]", "  planes: [[testkit]]",
       "t.yaml: policy.planes[0]: must be a name, got a list"},
      {"    snapshots_keep: 2\n", "", "t.yaml: policy.journal.snapshots_keep: missing (required)"},
      {"profile: local_parity", "profile: local_parity\nprofile: again",
       "t.yaml: profile: given twice"},
      {"policy:", "extra: 1\npolicy:",
       "t.yaml: extra: unknown key (known: profile, wiring, policy)"},
      {"    backoff_max_ms: 5000", "    backoff_max_ms: 5",
       "t.yaml: policy.entities.backoff_max_ms: must be >= backoff_min_ms (10), got 5"},
      {"    bind: 127.0.0.1", "    bind: 0.0.0.0",
       "t.yaml: wiring.admin: bind 0.0.0.0 is not loopback, so token_file or token_env must "
       "name the admin token's location"},
      {"    require_token: false", "    require_token: true",
       "t.yaml: wiring.admin: require_token is true, so token_file or token_env must name the "
       "admin token's location"},
      {"    backend: embedded", "    backend: kafka",
       "t.yaml: wiring.bus.bootstrap: must name the brokers when backend is kafka"},
      {"  data_dir: data/node", "  data_dir: \"\"",
       "t.yaml: wiring.data_dir: must name a directory, got \"\""},
      {"{name: fp.bus.audit.v1,", "{name: fp/bus,",
       "t.yaml: policy.bus.topics[5].name: must be a topic name (1-249 of a-z A-Z 0-9 . _ -, "
       "not . or ..), got \"fp/bus\""},
      {"{name: fp.bus.audit.v1, partitions: 8", "{name: fp.bus.audit.v1, partitions: 0",
       "t.yaml: policy.bus.topics[5].partitions: must be an integer 1..100000, got \"0\""},
      {"{name: fp.bus.audit.v1, partitions: 8", "{name: fp.bus.audit.v1, partitions: 2000",
       "t.yaml: policy.bus.topics[5].partitions: must be 1..1024 on the embedded bus "
       "(wiring.bus.backend), got 2000"},
      {"{name: fp.bus.audit.v1, partitions: 8, retention_ms: 604800000",
       "{name: fp.bus.audit.v1, partitions: 8, retention_ms: -2",
       "t.yaml: policy.bus.topics[5].retention_ms: must be an integer "
       "-1..9223372036854775807, got \"-2\""},
      {"{name: fp.bus.audit.v1, partitions: 8,", "{name: fp.bus.audit.v1, parts: 8,",
       "t.yaml: policy.bus.topics[5].parts: unknown key (known: name, partitions, retention_ms, "
       "retention_bytes)"},
      {"{name: fp.bus.audit.v1,", "{name: fp.bus.control.v1,",
       "t.yaml: policy.bus.topics[5]: topic \"fp.bus.control.v1\" is listed twice"},
      {"{name: fp.bus.control.v1,", "{name: fp.bus.ctl.v1,",
       "t.yaml: policy.bus.topics: must list fp.bus.control.v1 (READY, governance facts and "
       "AdminEvents travel on it)"},
  };
  for (auto& r : rows) {
    CAPTURE(r.to);
    CHECK(failure(edited(r.from, r.to)) == r.message);
  }
}

TEST_CASE("the shipped profiles run the Control & Ingress planes and name where keys live") {
  using std::chrono::milliseconds;
  for (auto name : {"local_parity.yaml", "dev.yaml", "prod.yaml"}) {
    CAPTURE(name);
    auto p = load_profile(profiles / name);
    REQUIRE_MESSAGE(p, p.error().message());
    CHECK(p->policy.planes == std::vector<std::string>{"sr", "ig", "wsp"});
    CHECK(p->wiring.ingress.require_api_key);
    CHECK(p->wiring.wsp.ig_url.empty());
    CHECK(p->policy.sr.traffic_delivery_mode == "IG_PUSH");
    CHECK(p->policy.ig.max_batch_items == 500);
    CHECK(p->policy.ig.publish_timeout_ms == 10000);
    CHECK(p->policy.wsp.concurrency == 4);
    CHECK(p->policy.wsp.speedup == 600);
    CHECK(p->policy.wsp.resend_bp == 0);
    CHECK(p->policy.wsp.backoff_min == milliseconds(50));
    CHECK(p->policy.wsp.backoff_max == milliseconds(5000));
    CHECK(p->policy.wsp.retry_budget == milliseconds(600000));
    CHECK(p->policy.wsp.request_timeout == milliseconds(10000));
  }
  auto local = load_profile(profiles / "local_parity.yaml");
  REQUIRE(local);
  CHECK(local->wiring.oracle_root == "data/oracle_root");
  CHECK(local->wiring.ingress.api_keys_file.empty());
  CHECK(local->wiring.ingress.api_keys_env == "FP_INGEST_API_KEYS");
  CHECK(local->wiring.wsp.api_key_file.empty());
  CHECK(local->wiring.wsp.api_key_env == "FP_WSP_API_KEY");
  CHECK(local->policy.wsp.cap_per_output == 200);
  auto prod = load_profile(profiles / "prod.yaml");
  REQUIRE(prod);
  CHECK(prod->wiring.oracle_root == "/var/lib/fp/oracle");
  CHECK(prod->wiring.ingress.api_keys_file == "/run/secrets/fp_ingest_api_keys");
  CHECK(prod->wiring.ingress.api_keys_env.empty());
  CHECK(prod->wiring.wsp.api_key_file == "/run/secrets/fp_wsp_api_key");
  CHECK(prod->wiring.wsp.api_key_env.empty());
  CHECK(prod->policy.wsp.cap_per_output == 0);
}

TEST_CASE("relative policy paths are resolved against the profile file's directory") {
  auto local = load_profile(profiles / "local_parity.yaml");
  REQUIRE_MESSAGE(local, local.error().message());
  auto beside = [](const char* relative) { return (profiles / relative).lexically_normal(); };
  CHECK(local->policy.ig.class_map == beside("../platform/ig/class_map_v0.yaml"));
  CHECK(local->policy.ig.partitioning_profiles ==
        beside("../platform/ig/partitioning_profiles_v0.yaml"));
  CHECK(local->policy.ig.payload_schemas == beside("../../schemas/contracts/payloads"));
  CHECK(local->policy.wsp.traffic_outputs == beside("../platform/wsp/traffic_outputs_v0.yaml"));
  CHECK(local->policy.wsp.context_outputs ==
        beside("../platform/wsp/context_fraud_outputs_v0.yaml"));
  // The shipped paths name files that exist, whatever the working directory.
  CHECK(std::filesystem::is_regular_file(local->policy.ig.class_map));
  CHECK(std::filesystem::is_regular_file(local->policy.ig.partitioning_profiles));
  CHECK(std::filesystem::is_directory(local->policy.ig.payload_schemas));
  CHECK(std::filesystem::is_regular_file(local->policy.wsp.traffic_outputs));
  CHECK(std::filesystem::is_regular_file(local->policy.wsp.context_outputs));

  // The same text read from another directory resolves there; an absolute path stays as it is.
  auto text = edited("    class_map: ../platform/ig/class_map_v0.yaml",
                     "    class_map: /opt/fp/ig/class_map.yaml");
  auto moved = parse_profile(text, "/etc/fp/profiles/node.yaml");
  REQUIRE_MESSAGE(moved, moved.error().message());
  CHECK(moved->policy.ig.class_map == "/opt/fp/ig/class_map.yaml");
  CHECK(moved->policy.ig.partitioning_profiles ==
        "/etc/fp/platform/ig/partitioning_profiles_v0.yaml");
  CHECK(moved->policy.ig.payload_schemas == "/etc/schemas/contracts/payloads");
  CHECK(moved->policy.wsp.traffic_outputs == "/etc/fp/platform/wsp/traffic_outputs_v0.yaml");
}

TEST_CASE("the Control & Ingress keys are checked like the others, naming key and rule") {
  struct row {
    std::string from, to, message;
  };
  const row rows[] = {
      // wiring.oracle_root
      {"  oracle_root: data/oracle_root", "  oracle_root: \"\"",
       "t.yaml: wiring.oracle_root: must name a directory, got \"\""},
      {"  oracle_root: data/oracle_root", "  oracle_rot: data/oracle_root",
       "t.yaml: wiring.oracle_rot: unknown key (known: data_dir, oracle_root, admin, ingress, "
       "wsp, bus)"},
      // wiring.ingress
      {"    require_api_key: true", "    require_api_key: 1",
       "t.yaml: wiring.ingress.require_api_key: must be true or false, got \"1\""},
      {"    require_api_key: true\n", "",
       "t.yaml: wiring.ingress.require_api_key: missing (required)"},
      {"    api_keys_env: FP_INGEST_API_KEYS", "    api_keys_env: \"\"",
       "t.yaml: wiring.ingress: require_api_key is true, so api_keys_file or api_keys_env must "
       "name where the API keys are"},
      {"    api_keys_file: \"\"", "    api_keys_file: /run/secrets/fp_ingest_api_keys",
       "t.yaml: wiring.ingress: api_keys_file and api_keys_env are both set; name one location "
       "for the API keys"},
      {"    api_keys_env: FP_INGEST_API_KEYS", "    api_keys_env: [FP_INGEST_API_KEYS]",
       "t.yaml: wiring.ingress.api_keys_env: must be a string, got a list"},
      // wiring.wsp
      {"    ig_url: \"\"", "    ig_url: 127.0.0.1:8471",
       "t.yaml: wiring.wsp.ig_url: must start with http:// or https://, got \"127.0.0.1:8471\""},
      {"    api_key_file: \"\"", "    api_key_file: /run/secrets/fp_wsp_api_key",
       "t.yaml: wiring.wsp: api_key_file and api_key_env are both set; name one location for "
       "WSP's key"},
      {"    api_key_env: FP_WSP_API_KEY", "    api_key_envv: FP_WSP_API_KEY",
       "t.yaml: wiring.wsp.api_key_envv: unknown key (known: ig_url, api_key_file, api_key_env)"},
      // policy.sr
      {"    traffic_delivery_mode: IG_PUSH", "    traffic_delivery_mode: EB_PULL",
       "t.yaml: policy.sr.traffic_delivery_mode: must be one of IG_PUSH, got \"EB_PULL\""},
      {"  sr:\n", "  scenario_runner:\n",
       "t.yaml: policy.scenario_runner: unknown key (known: planes, runtime, journal, entities, "
       "http, bus, sr, ig, wsp)"},
      // policy.ig
      {"    class_map: ../platform/ig/class_map_v0.yaml", "    class_map: \"\"",
       "t.yaml: policy.ig.class_map: must name a path, got \"\""},
      {"    payload_schemas: ../../schemas/contracts/payloads", "    payload_schemas: [a, b]",
       "t.yaml: policy.ig.payload_schemas: must be a string, got a list"},
      {"    max_batch_items: 500", "    max_batch_items: 0",
       "t.yaml: policy.ig.max_batch_items: must be an integer 1..100000, got \"0\""},
      {"    publish_timeout_ms: 10000", "    publish_timeout_ms: 600001",
       "t.yaml: policy.ig.publish_timeout_ms: must be an integer 1..600000, got \"600001\""},
      // policy.wsp
      {"    traffic_outputs: ../platform/wsp/traffic_outputs_v0.yaml",
       "    traffic_output: ../platform/wsp/traffic_outputs_v0.yaml",
       "t.yaml: policy.wsp.traffic_output: unknown key (known: traffic_outputs, context_outputs, "
       "concurrency, speedup, cap_per_output, resend_bp, backoff_min_ms, backoff_max_ms, "
       "retry_budget_ms, request_timeout_ms)"},
      {"    concurrency: 4", "    concurrency: 65",
       "t.yaml: policy.wsp.concurrency: must be an integer 1..64, got \"65\""},
      {"    speedup: 600", "    speedup: -1",
       "t.yaml: policy.wsp.speedup: must be an integer 0..1000000000, got \"-1\""},
      {"    cap_per_output: 200", "    cap_per_output: lots",
       "t.yaml: policy.wsp.cap_per_output: must be an integer 0..9223372036854775807, got "
       "\"lots\""},
      {"    resend_bp: 0", "    resend_bp: 10001",
       "t.yaml: policy.wsp.resend_bp: must be an integer 0..10000, got \"10001\""},
      {"    backoff_min_ms: 50", "    backoff_min_ms: 0",
       "t.yaml: policy.wsp.backoff_min_ms: must be an integer 1..3600000, got \"0\""},
      {"    backoff_max_ms: 5000\n    retry_budget_ms",
       "    backoff_max_ms: 20\n    retry_budget_ms",
       "t.yaml: policy.wsp.backoff_max_ms: must be >= backoff_min_ms"},
      {"    retry_budget_ms: 600000", "    retry_budget_ms: 0",
       "t.yaml: policy.wsp.retry_budget_ms: must be an integer 1..86400000, got \"0\""},
      {"    request_timeout_ms: 10000", "    request_timeout_ms: 1.5",
       "t.yaml: policy.wsp.request_timeout_ms: must be an integer 1..3600000, got \"1.5\""},
  };
  for (auto& r : rows) {
    CAPTURE(r.to);
    CHECK(failure(edited(r.from, r.to)) == r.message);
  }
}

TEST_CASE("a profile cannot hold API keys themselves") {
  auto keys = failure(edited("    require_api_key: true",
                             "    require_api_key: true\n    api_keys: [k3y-k3y-k3y-k3y-0001]"));
  CHECK(keys == "t.yaml: wiring.ingress.api_keys: a profile never holds API keys; name their "
                "location with api_keys_file or api_keys_env");
  CHECK(keys.find("k3y") == std::string::npos);
  auto wsp = failure(edited("    api_key_env: FP_WSP_API_KEY",
                            "    api_key_env: FP_WSP_API_KEY\n    api_key: k3y-k3y-k3y-k3y-0002"));
  CHECK(wsp == "t.yaml: wiring.wsp.api_key: unknown key (known: ig_url, api_key_file, "
               "api_key_env)");
  CHECK(wsp.find("k3y") == std::string::npos);
}

TEST_CASE("the profiles name the bus topics with their partitions and retention") {
  auto local = load_profile(profiles / "local_parity.yaml");
  REQUIRE_MESSAGE(local, local.error().message());
  auto& topics = local->policy.bus.topics;
  REQUIRE(topics.size() == 6);
  CHECK(topics[0] == fp::bus::topic_spec{"fp.bus.control.v1", 1, 604800000, -1});
  CHECK(topics[1] == fp::bus::topic_spec{"fp.bus.traffic.fraud.v1", 8, 604800000, -1});
  for (auto name : {"dev.yaml", "prod.yaml"}) {
    auto p = load_profile(profiles / name);
    REQUIRE_MESSAGE(p, p.error().message());
    REQUIRE(p->policy.bus.topics.size() == topics.size());
    for (std::size_t i = 0; i < topics.size(); ++i)
      CHECK(p->policy.bus.topics[i].name == topics[i].name);
  }
}

TEST_CASE("environment overrides replace wiring and are validated like the profile") {
  auto p = load_profile(profiles / "dev.yaml");
  REQUIRE_MESSAGE(p, p.error().message());
  std::map<std::string, std::string> env{{"FP_BUS_BOOTSTRAP", "redpanda:9092"},
                                         {"FP_ADMIN_BIND", "0.0.0.0"}};
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  REQUIRE(apply_env_overrides(*p, lookup));
  CHECK(p->wiring.bus_bootstrap == "redpanda:9092");
  CHECK(p->wiring.admin.bind == "0.0.0.0");
  CHECK(p->wiring.ingress.bind == "127.0.0.1");

  env = {{"FP_INGRESS_BIND", "any"}};
  auto bad = apply_env_overrides(*p, lookup);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() ==
        "environment FP_INGRESS_BIND: must be an IPv4 or IPv6 address, got \"any\"");

  // An override that breaks a cross-key rule is refused like the profile would be.
  auto local = load_profile(profiles / "local_parity.yaml");
  REQUIRE(local);
  env = {{"FP_ADMIN_BIND", "0.0.0.0"}};
  auto open = apply_env_overrides(*local, lookup);
  REQUIRE_FALSE(open);
  CHECK(open.error().message().find("(with environment overrides): wiring.admin: bind 0.0.0.0 "
                                    "is not loopback") != std::string::npos);
}

TEST_CASE("ORACLE_ROOT overrides wiring.oracle_root and must not be empty") {
  auto p = load_profile(profiles / "local_parity.yaml");
  REQUIRE_MESSAGE(p, p.error().message());
  std::map<std::string, std::string> env;
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  REQUIRE(apply_env_overrides(*p, lookup));
  CHECK(p->wiring.oracle_root == "data/oracle_root");
  env = {{"ORACLE_ROOT", "/srv/fp/oracle"}};
  REQUIRE(apply_env_overrides(*p, lookup));
  CHECK(p->wiring.oracle_root == "/srv/fp/oracle");
  env = {{"ORACLE_ROOT", ""}};
  auto empty = apply_env_overrides(*p, lookup);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().is(errc::bad_profile));
  CHECK(empty.error().message() == "environment ORACLE_ROOT: must not be empty when set");
}

TEST_CASE("a profile cannot hold the token itself") {
  auto text = edited("    token_env: \"\"", "    token_env: \"\"\n    token: s3cr3t-s3cr3t-s3cr3t");
  auto message = failure(text);
  CHECK(message == "t.yaml: wiring.admin.token: a profile never holds the admin token itself; "
                   "name its location with token_file or token_env");
  CHECK(message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("YAML syntax errors name the line") {
  CHECK(failure("profile: [unclosed\n").rfind("t.yaml:2:", 0) == 0);
  CHECK(failure("") == "t.yaml: (top level): must be a mapping, got nothing (null)");
}

TEST_CASE("the admin token comes from its file or variable, never into messages") {
  auto dir =
      std::filesystem::temp_directory_path() / ("fp_profile_test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  admin_wiring a;
  CHECK_FALSE(read_admin_token(a).value().has_value());
  a.token_file = (dir / "token").string();
  std::ofstream(a.token_file) << "  abcdefghijklmnop0123\n";
  CHECK(read_admin_token(a).value() == "abcdefghijklmnop0123");
  std::ofstream(a.token_file) << "short";
  auto bad = read_admin_token(a);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("short") == std::string::npos);
  CHECK(bad.error().message().find("at least 16") != std::string::npos);
  std::ofstream(a.token_file, std::ios::trunc).flush(); // an empty file: read, then refused
  auto empty = read_admin_token(a);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message().find("cannot read") == std::string::npos);
  CHECK(empty.error().message().find("empty") != std::string::npos);
  auto empty_profile = dir / "empty.yaml";
  std::ofstream(empty_profile) << "\n";
  CHECK(load_profile(empty_profile).error().message() ==
        "profile " + empty_profile.string() + " is empty");
  a.token_file = (dir / "absent").string();
  CHECK(read_admin_token(a).error().message() ==
        "wiring.admin.token_file: cannot read " + a.token_file);
  a.token_file.clear();
  a.token_env = "FP_PROFILE_TEST_TOKEN";
  ::unsetenv("FP_PROFILE_TEST_TOKEN");
  CHECK(read_admin_token(a).error().message() ==
        "wiring.admin.token_env: environment variable FP_PROFILE_TEST_TOKEN is not set");
  ::setenv("FP_PROFILE_TEST_TOKEN", "zyxwvutsrqponmlk9876", 1);
  CHECK(read_admin_token(a).value() == "zyxwvutsrqponmlk9876");
  std::filesystem::remove_all(dir);
}

TEST_CASE("bearer tokens: scheme, exact match, loopback rules") {
  const std::string t = "abcdefghijklmnop0123";
  CHECK(bearer_matches("Bearer " + t, t));
  CHECK(bearer_matches("bearer " + t, t));
  CHECK_FALSE(bearer_matches("Bearer " + t + "x", t));
  CHECK_FALSE(bearer_matches("Bearer " + t.substr(1), t));
  CHECK_FALSE(bearer_matches("Basic " + t, t));
  CHECK_FALSE(bearer_matches("", t));
  CHECK_FALSE(bearer_matches("Bearer ", ""));
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.0.0.2"));
  CHECK(is_loopback("::1"));
  CHECK_FALSE(is_loopback("0.0.0.0"));
  CHECK_FALSE(is_loopback("::"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
}
