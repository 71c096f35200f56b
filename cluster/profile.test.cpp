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
  CHECK(local->policy.planes == std::vector<std::string>{"testkit"});
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
      {"  planes: [testkit]", "  planes: testkit",
       "t.yaml: policy.planes: must be a list of names, got \"testkit\""},
      {"  planes: [testkit]", "  planes: [[testkit]]",
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
