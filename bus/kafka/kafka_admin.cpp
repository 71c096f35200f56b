// Topic administration through the Admin API (CreateTopics, DescribeConfigs, AlterConfigs),
// metadata and watermarks; a group's checkpoints through OffsetFetch.

#include "bus/kafka/kafka_detail.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <thread>

namespace fp::bus::kafka {

namespace {

using ms = std::chrono::milliseconds;

/// Runs one admin request: `start` submits it on `q`; returns its result event.
template <class Start>
expected<event_ptr> run_admin(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::string_view what,
                              ms timeout, Start start) {
  std::array<char, 512> reason{};
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> o{
      rd_kafka_AdminOptions_new(rk, op), &rd_kafka_AdminOptions_destroy};
  rd_kafka_AdminOptions_set_request_timeout(o.get(), static_cast<int>(timeout.count()),
                                            reason.data(), reason.size());
  rd_kafka_AdminOptions_set_operation_timeout(o.get(), static_cast<int>(timeout.count()),
                                              reason.data(), reason.size());
  queue_ptr q{rd_kafka_queue_new(rk)};
  start(o.get(), q.get());
  event_ptr ev{rd_kafka_queue_poll(q.get(), static_cast<int>(timeout.count()) + 1000)};
  if (!ev)
    return to_error(RD_KAFKA_RESP_ERR__TIMED_OUT, what);
  if (auto err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, what, rd_kafka_event_error_string(ev.get()));
  return ev;
}

std::int64_t to_int(const char* s) {
  std::int64_t v = -1;
  if (s != nullptr)
    std::from_chars(s, s + std::strlen(s), v);
  return v;
}

/// The topic's dynamic configs (DescribeConfigs).
struct topic_configs {
  std::map<std::string, std::string> dynamic; ///< set on the topic itself
  std::int64_t retention_ms = -1, retention_bytes = -1;
};

expected<topic_configs> describe_configs(rd_kafka_t* rk, std::string_view topic, ms timeout) {
  std::string name(topic);
  auto what = "describe configs of " + name;
  auto ev = run_admin(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, what, timeout,
                      [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                        auto* r =
                            rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
                        rd_kafka_DescribeConfigs(rk, &r, 1, o, q);
                        rd_kafka_ConfigResource_destroy(r);
                      });
  if (!ev)
    return std::move(ev).error();
  std::size_t n = 0;
  auto** rs = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev->get()), &n);
  if (n != 1)
    return fp::error{errc::broker, "kafka: " + what + ": no result for the topic"};
  if (auto err = rd_kafka_ConfigResource_error(rs[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, what, rd_kafka_ConfigResource_error_string(rs[0]));
  topic_configs out;
  std::size_t m = 0;
  auto** entries = rd_kafka_ConfigResource_configs(rs[0], &m);
  for (std::size_t i = 0; i < m; ++i) {
    std::string key = rd_kafka_ConfigEntry_name(entries[i]);
    const char* value = rd_kafka_ConfigEntry_value(entries[i]);
    if (key == "retention.ms")
      out.retention_ms = to_int(value);
    if (key == "retention.bytes")
      out.retention_bytes = to_int(value);
    if (rd_kafka_ConfigEntry_source(entries[i]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG &&
        !rd_kafka_ConfigEntry_is_sensitive(entries[i]) && value != nullptr)
      out.dynamic[key] = value;
  }
  return out;
}

/// Whether the cluster's controller is one of its brokers. CreateTopics, DescribeConfigs and
/// AlterConfigs go to it; librdkafka's 2.0.2 mock cluster names controller 0, which is none
/// of its brokers (ids from 1), so those requests would only wait out their timeout.
bool controller_known(rd_kafka_t* rk, ms timeout) {
  auto id = rd_kafka_controllerid(rk, static_cast<int>(timeout.count()));
  const rd_kafka_metadata_t* md = nullptr;
  if (id < 0 || rd_kafka_metadata(rk, 0, nullptr, &md, static_cast<int>(timeout.count())) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR)
    return false;
  bool found = false;
  for (int i = 0; i < md->broker_cnt; ++i)
    found = found || md->brokers[i].id == id;
  rd_kafka_metadata_destroy(md);
  return found;
}

fp::error no_controller(std::string_view what) {
  return {errc::broker,
          "kafka: " + std::string(what) +
              ": the cluster names no reachable controller, so it cannot serve CreateTopics, "
              "DescribeConfigs or AlterConfigs (librdkafka's mock cluster, fp devbroker: "
              "pre-create topics there; retention cannot be changed)"};
}

} // namespace

namespace {

/// The outcome of a creation: the shape asked for and its partitions. Brokers learn of a new
/// topic a little after the controller: wait (within the request timeout) until metadata
/// lists it, so that the AdminEvent and the first records can be produced at once.
expected<create_outcome> created(rd_kafka_t* rk, const topic_spec& spec, const admin_options& a) {
  auto deadline = std::chrono::steady_clock::now() + a.timeout;
  auto info = describe(rk, spec.name, a);
  while (!info && info.error().is(errc::unknown_topic) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    info = describe(rk, spec.name, a);
  }
  if (!info)
    return fp::error{info.error().is(errc::unknown_topic) ? errc::timeout : errc::broker,
                     "kafka: create_topic " + spec.name +
                         ": created, but not listed by the brokers yet: " + info.error().message()};
  create_outcome out{std::move(*info), true};
  out.info.spec = spec;
  return out;
}

} // namespace

expected<topic_info> describe(rd_kafka_t* rk, std::string_view topic, const admin_options& a) {
  auto timeout = a.timeout;
  if (auto ok = check_topic_name("describe", topic); !ok)
    return std::move(ok).error();
  auto n = partition_count(rk, topic, timeout);
  if (!n)
    return std::move(n).error();
  topic_info out;
  out.spec.name = std::string(topic);
  out.spec.partitions = *n;
  if (controller_known(rk, timeout)) {
    auto cfg = describe_configs(rk, topic, timeout);
    if (!cfg)
      return std::move(cfg).error();
    out.spec.retention_ms = cfg->retention_ms;
    out.spec.retention_bytes = cfg->retention_bytes;
  }
  for (std::int32_t p = 0; p < *n; ++p) {
    partition_info pi{p, 0, 0};
    auto err = rd_kafka_query_watermark_offsets(rk, out.spec.name.c_str(), p, &pi.low, &pi.high,
                                                static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return to_error(err, "watermarks of " + out.spec.name + "[" + std::to_string(p) + "]");
    out.partitions.push_back(pi);
  }
  return out;
}

expected<create_outcome> create(rd_kafka_t* rk, const topic_spec& spec, const admin_options& a) {
  auto timeout = a.timeout;
  if (auto ok = check_topic_name("create_topic", spec.name); !ok)
    return std::move(ok).error();
  if (spec.partitions < 1)
    return fp::error{errc::invalid_argument, "kafka: create_topic " + spec.name +
                                                 ": partitions: must be at least 1, got " +
                                                 std::to_string(spec.partitions)};
  // An existing topic is compared, not re-created: the same shape is a no-op. Brokers that
  // serve no CreateTopics (librdkafka's mock) work this way with pre-created topics.
  bool configs = controller_known(rk, timeout); // otherwise retention is unknown, not compared
  auto same_or_conflict = [&](topic_info info) -> expected<create_outcome> {
    if (info.spec.partitions == spec.partitions &&
        (!configs || (info.spec.retention_ms == spec.retention_ms &&
                      info.spec.retention_bytes == spec.retention_bytes)))
      return create_outcome{std::move(info), false};
    return fp::error{errc::topic_exists,
                     "kafka: create_topic " + spec.name + ": exists with " +
                         std::to_string(info.spec.partitions) + " partitions, retention.ms " +
                         std::to_string(info.spec.retention_ms) + ", retention.bytes " +
                         std::to_string(info.spec.retention_bytes) +
                         " (asked: " + std::to_string(spec.partitions) + ", " +
                         std::to_string(spec.retention_ms) + ", " +
                         std::to_string(spec.retention_bytes) + ")"};
  };
  if (auto existing = describe(rk, spec.name, a))
    return same_or_conflict(std::move(*existing));
  else if (!existing.error().is(errc::unknown_topic))
    return std::move(existing).error();

  auto what = "create_topic " + spec.name;
  if (a.creator != nullptr && *a.creator) {
    if (auto ok = (*a.creator)(spec); !ok)
      return std::move(ok).error();
    return created(rk, spec, a);
  }
  if (!configs)
    return no_controller(what);
  std::array<char, 512> reason{};
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> nt{
      rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, a.replication_factor, reason.data(),
                            reason.size()),
      &rd_kafka_NewTopic_destroy};
  if (!nt)
    return fp::error{errc::invalid_argument, "kafka: " + what + ": " + reason.data()};
  rd_kafka_NewTopic_set_config(nt.get(), "retention.ms", std::to_string(spec.retention_ms).c_str());
  rd_kafka_NewTopic_set_config(nt.get(), "retention.bytes",
                               std::to_string(spec.retention_bytes).c_str());
  auto ev = run_admin(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, what, timeout,
                      [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                        auto* p = nt.get();
                        rd_kafka_CreateTopics(rk, &p, 1, o, q);
                      });
  if (!ev)
    return std::move(ev).error();
  std::size_t n = 0;
  auto** rs =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &n);
  if (n != 1)
    return fp::error{errc::broker, "kafka: " + what + ": no result for the topic"};
  auto err = rd_kafka_topic_result_error(rs[0]);
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { // created meanwhile by someone else
    auto existing = describe(rk, spec.name, a);
    if (!existing)
      return std::move(existing).error();
    return same_or_conflict(std::move(*existing));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, what, rd_kafka_topic_result_error_string(rs[0]));
  return created(rk, spec, a);
}

expected<std::pair<topic_spec, topic_info>> alter_retention(rd_kafka_t* rk, std::string_view topic,
                                                            std::int64_t retention_ms,
                                                            std::int64_t retention_bytes,
                                                            const admin_options& a) {
  auto timeout = a.timeout;
  std::string name(topic);
  auto what = "set_retention " + name;
  if (!controller_known(rk, timeout))
    return no_controller(what);
  auto before = describe(rk, topic, a);
  if (!before)
    return std::move(before).error();
  auto cfg = describe_configs(rk, topic, timeout);
  if (!cfg)
    return std::move(cfg).error();
  // AlterConfigs replaces the topic's whole dynamic config: send the others back unchanged.
  cfg->dynamic["retention.ms"] = std::to_string(retention_ms);
  cfg->dynamic["retention.bytes"] = std::to_string(retention_bytes);
  auto ev = run_admin(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, what, timeout,
                      [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                        auto* r =
                            rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
                        for (auto& [k, v] : cfg->dynamic)
                          rd_kafka_ConfigResource_set_config(r, k.c_str(), v.c_str());
                        rd_kafka_AlterConfigs(rk, &r, 1, o, q);
                        rd_kafka_ConfigResource_destroy(r);
                      });
  if (!ev)
    return std::move(ev).error();
  std::size_t n = 0;
  auto** rs =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev->get()), &n);
  if (n != 1)
    return fp::error{errc::broker, "kafka: " + what + ": no result for the topic"};
  if (auto err = rd_kafka_ConfigResource_error(rs[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, what, rd_kafka_ConfigResource_error_string(rs[0]));
  topic_info after = *before;
  after.spec.retention_ms = retention_ms;
  after.spec.retention_bytes = retention_bytes;
  return std::pair{before->spec, std::move(after)};
}

expected<std::vector<partition_lag>> group_lag(const kafka_options& opts, rd_kafka_t* rk,
                                               std::string_view group_id, std::string_view topic,
                                               const admin_options& a) {
  if (group_id.empty())
    return fp::error{errc::invalid_argument, "kafka: lag: group_id: empty"};
  auto info = describe(rk, topic, a);
  if (!info)
    return std::move(info).error();
  // A member that never subscribes never joins: it only asks the coordinator (OffsetFetch).
  auto conf = make_conf(opts, {{"group.id", std::string(group_id)}}, opts.consumer);
  if (!conf)
    return std::move(conf).error();
  auto reader = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!reader)
    return std::move(reader).error();
  tpl_ptr parts{rd_kafka_topic_partition_list_new(static_cast<int>(info->partitions.size()))};
  for (auto& p : info->partitions)
    rd_kafka_topic_partition_list_add(parts.get(), info->spec.name.c_str(), p.partition);
  auto err = rd_kafka_committed(reader->get(), parts.get(),
                                static_cast<int>(opts.request_timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, "lag of group " + std::string(group_id) + " on " + info->spec.name);
  std::vector<partition_lag> out;
  for (auto& p : info->partitions) {
    auto* c = rd_kafka_topic_partition_list_find(parts.get(), info->spec.name.c_str(), p.partition);
    std::int64_t committed = (c == nullptr || c->offset < 0) ? -1 : c->offset;
    out.push_back(
        {info->spec.name, p.partition, committed, p.high, p.high - std::max(committed, p.low)});
  }
  rd_kafka_consumer_close(reader->get());
  return out;
}

} // namespace fp::bus::kafka
