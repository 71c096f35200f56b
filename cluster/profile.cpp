#include "cluster/profile.hpp"
#include "schemas/file_text.hpp"

#include "bus/embedded/embedded_bus.hpp"
#include "cluster/errc.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"
#include "schemas/yaml_fields.hpp"

#include <arpa/inet.h>

#include <cstdlib>

namespace fp::cluster {

namespace {

using namespace fp::yaml_fields;

constexpr bool required = true;
constexpr bool optional = false;

/// A Kafka topic name (schemas::is_topic).
reader topic_name(std::string& out) {
  return [&out](const YAML::Node& n, const at& w) -> expected<void> {
    std::string s;
    if (auto ok = text(s)(n, w); !ok)
      return ok;
    if (!schemas::is_topic(s))
      return w.fail("must be a topic name (1-249 of a-z A-Z 0-9 . _ -, not . or ..), got \"" + s +
                    "\"");
    out = s;
    return {};
  };
}

/// A path; a relative one is resolved against the profile file's directory.
reader policy_path(std::filesystem::path& out, const std::filesystem::path& source) {
  return [&out, source](const YAML::Node& n, const at& w) -> expected<void> {
    std::string s;
    if (auto ok = text(s)(n, w); !ok)
      return ok;
    if (s.empty())
      return w.fail("must name a path, got \"\"");
    std::filesystem::path v(s);
    out = v.is_absolute() ? v : (source.parent_path() / v).lexically_normal();
    return {};
  };
}

/// The profile's shape, one table a section. Every key here is in every shipped profile.
std::vector<key> profile_keys(profile& p, long long& map_mb, long long& wait_us) {
  const auto& src = p.source;
  auto& ig = p.policy.ig;
  auto& ws = p.policy.wsp;
  auto& w = p.wiring;
  auto& a = w.admin;
  auto& j = p.policy.journal;
  auto& e = p.policy.entities;
  auto& h = p.policy.http;
  return {
      {"profile", required, text(p.name)},
      {"wiring", required,
       section({
           {"data_dir", required,
            [&w](const YAML::Node& n, const at& where) -> expected<void> {
              std::string s;
              if (auto ok = text(s)(n, where); !ok)
                return ok;
              if (s.empty())
                return where.fail("must name a directory, got \"\"");
              w.data_dir = s;
              return {};
            }},
           {"oracle_root", required,
            [&w](const YAML::Node& n, const at& where) -> expected<void> {
              std::string s;
              if (auto ok = text(s)(n, where); !ok)
                return ok;
              if (s.empty())
                return where.fail("must name a directory, got \"\"");
              w.oracle_root = s;
              return {};
            }},
           {"admin", required,
            section({
                {"bind", required, address(a.bind)},
                {"port", required, integer_as(a.port, 0, 65535)},
                {"token_file", required, text(a.token_file)},
                {"token_env", required, text(a.token_env)},
                {"require_token", optional, boolean(a.require_token)},
                {"token",
                 optional,
                 {},
                 "a profile never holds the admin token itself; name its location with "
                 "token_file or token_env"},
            })},
           {"ingress", required,
            section({
                {"bind", required, address(w.ingress.bind)},
                {"port", required, integer_as(w.ingress.port, 0, 65535)},
                {"api_keys_file", required, text(w.ingress.api_keys_file)},
                {"api_keys_env", required, text(w.ingress.api_keys_env)},
                {"require_api_key", required, boolean(w.ingress.require_api_key)},
                {"api_keys",
                 optional,
                 {},
                 "a profile never holds API keys; name their location with api_keys_file or "
                 "api_keys_env"},
            })},
           {"wsp", required,
            section({
                {"ig_url", required, text(w.wsp.ig_url)},
                {"api_key_file", required, text(w.wsp.api_key_file)},
                {"api_key_env", required, text(w.wsp.api_key_env)},
            })},
           {"bus", required,
            section({
                {"backend", required, text(w.bus_backend, {"embedded", "kafka"})},
                {"bootstrap", required, text(w.bus_bootstrap)},
            })},
       })},
      {"policy", required,
       section({
           {"planes", required, text_list(p.policy.planes)},
           {"runtime", required,
            section({
                {"scheduler_threads", required, integer_as(p.policy.scheduler_threads, 0, 1024)},
                {"shutdown_grace_ms", required, millis(p.policy.shutdown_grace, 0, 600'000)},
            })},
           {"journal", required,
            section({
                {"initial_map_mb", required, integer(map_mb, 1, 1 << 20)},
                {"max_batch_records", required, integer_as(j.max_batch_records, 1, 1'000'000)},
                {"max_wait_us", required, integer(wait_us, 0, 1'000'000)},
                {"snapshots_keep", required, integer_as(j.snapshots_keep, 1, 1000)},
            })},
           {"entities", required,
            section({
                {"shards", required, integer_as(e.shards, 1, 4096)},
                {"partitions", required, integer_as(e.partitions, 1, 1 << 16)},
                {"snapshot_every", required, integer_as(e.snapshot_every, 0, 1'000'000'000)},
                {"passivate_after_ms", required, millis(e.passivate_after, 1, 86'400'000)},
                {"max_live", required, integer_as(e.max_live, 1, 1'000'000'000)},
                {"max_crashes", required, integer_as(e.max_crashes, 1, 1000)},
                {"backoff_min_ms", required, millis(e.backoff_min, 0, 3'600'000)},
                {"backoff_max_ms", required, millis(e.backoff_max, 0, 3'600'000)},
                {"max_concurrent_recoveries", required,
                 integer_as(e.max_concurrent_recoveries, 1, 1'000'000)},
            })},
           {"http", required,
            section({
                {"admin_threads", required, integer_as(h.admin_threads, 1, 256)},
                {"ingress_threads", required, integer_as(h.ingress_threads, 1, 1024)},
                {"keep_alive_max_requests", required,
                 integer_as(h.keep_alive_max_requests, 1, 1'000'000'000)},
                {"max_body_bytes", required, integer_as(h.max_body_bytes, 1, 1 << 30)},
                {"request_timeout_ms", required, integer_as(h.request_timeout_ms, 1, 3'600'000)},
            })},
           {"bus", required,
            section({
                {"topics", required,
                 map_list<bus::topic_spec>(p.policy.bus.topics,
                                           [](bus::topic_spec& t) {
                                             return std::vector<key>{
                                                 {"name", required, topic_name(t.name)},
                                                 {"partitions", required,
                                                  integer_as(t.partitions, 1, 100'000)},
                                                 {"retention_ms", required,
                                                  integer_as(t.retention_ms, -1, INT64_MAX)},
                                                 {"retention_bytes", required,
                                                  integer_as(t.retention_bytes, -1, INT64_MAX)},
                                             };
                                           })},
            })},
           {"sr", required,
            section({
                {"traffic_delivery_mode", required,
                 text(p.policy.sr.traffic_delivery_mode, {"IG_PUSH"})},
            })},
           {"ig", required,
            section({
                {"class_map", required, policy_path(ig.class_map, src)},
                {"partitioning_profiles", required, policy_path(ig.partitioning_profiles, src)},
                {"payload_schemas", required, policy_path(ig.payload_schemas, src)},
                {"max_batch_items", required, integer_as(ig.max_batch_items, 1, 100'000)},
                {"publish_timeout_ms", required, integer_as(ig.publish_timeout_ms, 1, 600'000)},
            })},
           {"wsp", required,
            section({
                {"traffic_outputs", required, policy_path(ws.traffic_outputs, src)},
                {"context_outputs", required, policy_path(ws.context_outputs, src)},
                {"concurrency", required, integer_as(ws.concurrency, 1, 64)},
                {"speedup", required, integer_as(ws.speedup, 0, 1'000'000'000)},
                {"cap_per_output", required, integer_as(ws.cap_per_output, 0, INT64_MAX)},
                {"resend_bp", required, integer_as(ws.resend_bp, 0, 10'000)},
                {"backoff_min_ms", required, millis(ws.backoff_min, 1, 3'600'000)},
                {"backoff_max_ms", required, millis(ws.backoff_max, 1, 3'600'000)},
                {"retry_budget_ms", required, millis(ws.retry_budget, 1, 86'400'000)},
                {"request_timeout_ms", required, millis(ws.request_timeout, 1, 3'600'000)},
            })},
       })},
  };
}

/// The yaml_fields readers' errors, as the node's `bad_profile`.
fp::error as_profile_error(const fp::error& e) {
  return error{errc::bad_profile, e.message()};
}

/// Rules between keys, checked after every key read well.
expected<void> check_across(const profile& p, const std::string& source) {
  const at top{source, ""};
  auto& a = p.wiring.admin;
  auto& e = p.policy.entities;
  if (e.backoff_max < e.backoff_min)
    return top.key("policy.entities.backoff_max_ms")
        .fail("must be >= backoff_min_ms (" + std::to_string(e.backoff_min.count()) + "), got " +
              std::to_string(e.backoff_max.count()));
  if (p.admin_requires_token() && a.token_file.empty() && a.token_env.empty())
    return top.key("wiring.admin")
        .fail(is_loopback(a.bind)
                  ? std::string("require_token is true, so token_file or token_env must name "
                                "the admin token's location")
                  : "bind " + a.bind +
                        " is not loopback, so token_file or token_env must name the admin "
                        "token's location");
  if (!a.token_file.empty() && !a.token_env.empty())
    return top.key("wiring.admin")
        .fail("token_file and token_env are both set; name one location for the admin token");
  auto& in = p.wiring.ingress;
  if (!in.api_keys_file.empty() && !in.api_keys_env.empty())
    return top.key("wiring.ingress")
        .fail("api_keys_file and api_keys_env are both set; name one location for the API keys");
  if (in.require_api_key && in.api_keys_file.empty() && in.api_keys_env.empty())
    return top.key("wiring.ingress")
        .fail("require_api_key is true, so api_keys_file or api_keys_env must name where the "
              "API keys are");
  if (!p.wiring.wsp.api_key_file.empty() && !p.wiring.wsp.api_key_env.empty())
    return top.key("wiring.wsp")
        .fail("api_key_file and api_key_env are both set; name one location for WSP's key");
  if (!p.wiring.wsp.ig_url.empty() && p.wiring.wsp.ig_url.rfind("http://", 0) != 0 &&
      p.wiring.wsp.ig_url.rfind("https://", 0) != 0)
    return top.key("wiring.wsp.ig_url")
        .fail("must start with http:// or https://, got " +
              schemas::quote_value(p.wiring.wsp.ig_url));
  if (p.policy.wsp.backoff_max < p.policy.wsp.backoff_min)
    return top.key("policy.wsp.backoff_max_ms").fail("must be >= backoff_min_ms");
  if (p.wiring.bus_backend == "kafka" && p.wiring.bus_bootstrap.empty())
    return top.key("wiring.bus.bootstrap").fail("must name the brokers when backend is kafka");
  auto& topics = p.policy.bus.topics;
  bool has_control = false;
  const auto embedded_max = bus::embedded_options{}.max_partitions;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    has_control = has_control || topics[i].name == bus::control_topic;
    if (p.wiring.bus_backend == "embedded" && topics[i].partitions > embedded_max)
      return top.key("policy.bus.topics")
          .item(i)
          .key("partitions")
          .fail("must be 1.." + std::to_string(embedded_max) +
                " on the embedded bus (wiring.bus.backend), got " +
                std::to_string(topics[i].partitions));
    for (std::size_t k = 0; k < i; ++k)
      if (topics[k].name == topics[i].name)
        return top.key("policy.bus.topics")
            .item(i)
            .fail("topic \"" + topics[i].name + "\" is listed twice");
  }
  if (!has_control)
    return top.key("policy.bus.topics")
        .fail("must list " + std::string(bus::control_topic) +
              " (READY, governance facts and AdminEvents travel on it)");
  return {};
}

} // namespace

bool profile::admin_requires_token() const {
  return wiring.admin.require_token || !is_loopback(wiring.admin.bind);
}

expected<profile> parse_profile(std::string_view text, const std::filesystem::path& source) {
  profile p;
  p.source = source;
  const std::string src = source.string();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& ex) {
    return error{errc::bad_profile, src + ":" + std::to_string(ex.mark.line + 1) + ":" +
                                        std::to_string(ex.mark.column + 1) +
                                        ": not valid YAML: " + ex.msg};
  }
  long long map_mb = 64, wait_us = 0;
  if (auto ok = read_map(root, at{src, ""}, profile_keys(p, map_mb, wait_us)); !ok)
    return as_profile_error(ok.error());
  p.policy.journal.initial_map_bytes = static_cast<std::size_t>(map_mb) << 20;
  p.policy.journal.max_wait = std::chrono::microseconds(wait_us);
  if (auto ok = check_across(p, src); !ok)
    return as_profile_error(ok.error());
  return p;
}

expected<profile> load_profile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return error{errc::io, "profile " + path.string() + " does not exist or is not a file"};
  auto text = schemas::read_file_text(path);
  if (!text)
    return error{errc::io, "profile " + path.string() + " is not readable"};
  if (text->find_first_not_of(" \t\r\n") == std::string::npos)
    return error{errc::bad_profile, "profile " + path.string() + " is empty"};
  return parse_profile(*text, path);
}

expected<void> apply_env_overrides(profile& p, const std::function<const char*(const char*)>& env) {
  struct override_spec {
    const char* var;
    std::string* target;
    bool is_address;
  };
  const override_spec overrides[] = {
      {"FP_BUS_BOOTSTRAP", &p.wiring.bus_bootstrap, false},
      {"FP_ADMIN_BIND", &p.wiring.admin.bind, true},
      {"FP_INGRESS_BIND", &p.wiring.ingress.bind, true},
  };
  if (const char* root = env("ORACLE_ROOT"); root != nullptr) {
    if (*root == '\0')
      return error{errc::bad_profile, "environment ORACLE_ROOT: must not be empty when set"};
    p.wiring.oracle_root = root;
  }
  for (auto& o : overrides) {
    const char* v = env(o.var);
    if (v == nullptr)
      continue;
    std::string value = v;
    unsigned char buf[16];
    if (o.is_address && inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
      return error{errc::bad_profile, std::string("environment ") + o.var +
                                          ": must be an IPv4 or IPv6 address, got \"" + value +
                                          "\""};
    if (!o.is_address && value.empty())
      return error{errc::bad_profile,
                   std::string("environment ") + o.var + ": must not be empty when set"};
    *o.target = value;
  }
  if (auto ok = check_across(p, p.source.string() + " (with environment overrides)"); !ok)
    return as_profile_error(ok.error());
  return {};
}

bool is_loopback(std::string_view address) {
  std::string s(address);
  unsigned char v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1)
    return v4[0] == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

} // namespace fp::cluster
