#include "bus/kafka/kafka_detail.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace fp::bus::kafka {

bus_stats counters::snapshot() const {
  bus_stats s;
  s.produced = produced.load(std::memory_order_relaxed);
  s.produce_failures = produce_failures.load(std::memory_order_relaxed);
  s.consumed = consumed.load(std::memory_order_relaxed);
  s.commits = commits.load(std::memory_order_relaxed);
  s.rebalances = rebalances.load(std::memory_order_relaxed);
  s.topics_created = topics_created.load(std::memory_order_relaxed);
  s.bad_records = bad_records.load(std::memory_order_relaxed);
  return s;
}

// -- callback_pool ---------------------------------------------------------------------------

namespace {

/// The pools alive, by id: a thread's run of slots goes back to its pool only while the pool
/// lives (a pool is destroyed with its bus; a run of a dead pool is dropped, never touched).
/// Never destroyed: a thread's run may go back after static destructors have begun.
struct live_pools {
  std::mutex mu;
  std::vector<std::uint64_t> ids; ///< mu
};
live_pools& live() {
  static auto* pools = new live_pools;
  return *pools;
}
std::atomic<std::uint64_t> next_pool_id{1};

} // namespace

/// A producing thread's run of spare slots of one pool. A thread that moves to another pool
/// (or ends) gives its run back, so slots are never stranded in a thread.
struct callback_pool::thread_run {
  callback_pool* pool = nullptr;
  std::uint64_t id = 0;
  slot* head = nullptr;

  ~thread_run() { leave(); }

  void leave() {
    if (head == nullptr)
      return;
    auto& pools = live();
    std::lock_guard lock{pools.mu};
    if (std::find(pools.ids.begin(), pools.ids.end(), id) != pools.ids.end())
      pool->leave(head);
    head = nullptr;
  }
};

callback_pool::callback_pool()
    : id_(next_pool_id++) {
  auto& pools = live();
  std::lock_guard lock{pools.mu};
  pools.ids.push_back(id_);
}

callback_pool::~callback_pool() {
  auto& pools = live();
  std::lock_guard lock{pools.mu};
  pools.ids.erase(std::find(pools.ids.begin(), pools.ids.end(), id_));
}

callback_pool::slot* callback_pool::take(event_bus::produce_callback&& done) {
  thread_local thread_run run;
  if (run.id != id_) {
    run.leave();
    run.pool = this;
    run.id = id_;
  }
  if (run.head == nullptr)
    run.head = refill();
  auto* s = run.head;
  run.head = s->next;
  // The next slot's line was last written by the poller: fetch it while this record is made.
  if (run.head != nullptr)
    __builtin_prefetch(run.head, 1);
  s->done = std::move(done);
  return s;
}

callback_pool::slot* callback_pool::refill() {
  if (auto* back = returned_.exchange(nullptr, std::memory_order_acquire))
    return back;
  std::lock_guard lock{mu_};
  // Only refills (under mu_) take from left_, so the head cannot be taken and put back
  // between the load and the exchange below.
  auto* run = left_.load(std::memory_order_acquire);
  while (run != nullptr &&
         !left_.compare_exchange_weak(run, run->next_run, std::memory_order_acquire,
                                      std::memory_order_acquire)) {
  }
  if (run != nullptr)
    return run;
  constexpr std::size_t block = 1024;
  auto& b = blocks_.emplace_back(std::make_unique<slot[]>(block));
  for (std::size_t i = 0; i + 1 < block; ++i)
    b[i].next = &b[i + 1];
  return &b[0];
}

void callback_pool::leave(slot* run) {
  auto* head = left_.load(std::memory_order_relaxed);
  do
    run->next_run = head;
  while (!left_.compare_exchange_weak(head, run, std::memory_order_release,
                                      std::memory_order_relaxed));
}

event_bus::produce_callback callback_pool::give_back(slot* s) {
  auto done = std::move(s->done);
  chain c;
  c.push(s);
  give_back(c);
  return done;
}

void callback_pool::give_back(chain c) {
  if (c.head == nullptr)
    return;
  auto* head = returned_.load(std::memory_order_relaxed);
  do
    c.tail->next = head;
  while (!returned_.compare_exchange_weak(head, c.head, std::memory_order_release,
                                          std::memory_order_relaxed));
}

errc errc_of(rd_kafka_resp_err_t err) {
  switch (err) {
  case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
  case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
  case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    return errc::unknown_topic;
  case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
    return errc::topic_exists;
  case RD_KAFKA_RESP_ERR__INVALID_ARG:
  case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
  case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
  case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
  case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
  case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
  case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
    return errc::invalid_argument;
  case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
  case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    return errc::too_large;
  case RD_KAFKA_RESP_ERR__TIMED_OUT:
  case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
  case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
  case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    return errc::timeout;
  case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
  case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    return errc::offset_out_of_range;
  case RD_KAFKA_RESP_ERR__BAD_MSG:
  case RD_KAFKA_RESP_ERR_INVALID_MSG:
    return errc::corrupt;
  case RD_KAFKA_RESP_ERR__DESTROY:
  case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
  case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    return errc::closed;
  default:
    return errc::broker;
  }
}

fp::error to_error(rd_kafka_resp_err_t err, std::string_view what, std::string_view reason) {
  std::string msg = "kafka: ";
  msg.append(what).append(": ");
  msg.append(reason.empty() ? std::string_view(rd_kafka_err2str(err)) : reason);
  msg.append(" (").append(rd_kafka_err2name(err)).append(")");
  return {errc_of(err), std::move(msg)};
}

expected<void> check_topic_name(std::string_view what, std::string_view name) {
  auto bad = [&](std::string_view rule) {
    return fp::error{errc::invalid_argument, std::string(what) + ": topic \"" +
                                                 std::string(name.substr(0, 300)) +
                                                 "\": " + std::string(rule)};
  };
  if (name.empty() || name.size() > 249)
    return bad("a topic name has 1 to 249 characters");
  if (name == "." || name == "..")
    return bad("a topic name cannot be \".\" or \"..\"");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return bad("a topic name has only the characters [a-zA-Z0-9._-]");
  return {};
}

expected<conf_ptr> make_conf(const kafka_options& opts, const kafka_properties& ours,
                             const kafka_properties& specific) {
  if (opts.bootstrap.empty())
    return fp::error{errc::invalid_argument,
                     "kafka: bootstrap: empty; name the brokers as host:port[,host:port...]"};
  conf_ptr conf{rd_kafka_conf_new()};
  std::array<char, 512> reason{};
  auto set = [&](const std::string& name, const std::string& value) -> expected<void> {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason.data(), reason.size()) !=
        RD_KAFKA_CONF_OK)
      return fp::error{errc::invalid_argument,
                       "kafka: property " + name + ": " + std::string(reason.data())};
    return {};
  };
  kafka_properties base{{"bootstrap.servers", opts.bootstrap}, {"client.id", opts.client_id}};
  for (const kafka_properties* list :
       std::initializer_list<const kafka_properties*>{&base, &ours, &opts.common, &specific})
    for (auto& [name, value] : *list)
      if (auto ok = set(name, value); !ok)
        return std::move(ok).error();
  return conf;
}

expected<rk_ptr> make_client(rd_kafka_type_t type, conf_ptr conf) {
  std::array<char, 512> reason{};
  rk_ptr rk{rd_kafka_new(type, conf.get(), reason.data(), reason.size())};
  if (!rk)
    return fp::error{errc::invalid_argument, "kafka: client: " + std::string(reason.data())};
  conf.release(); // rd_kafka_new took it
  return rk;
}

message to_message(const rd_kafka_message_t& m) {
  message out;
  out.topic = rd_kafka_topic_name(m.rkt);
  out.partition = m.partition;
  out.offset = m.offset;
  if (m.key != nullptr)
    out.key.assign(static_cast<const char*>(m.key), m.key_len);
  if (m.payload != nullptr)
    out.value.assign(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* hs = nullptr;
  if (rd_kafka_message_headers(&m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    out.headers.reserve(rd_kafka_header_cnt(hs));
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(hs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      out.headers.push_back({name, value == nullptr
                                       ? std::string()
                                       : std::string(static_cast<const char*>(value), size)});
  }
  rd_kafka_timestamp_type_t type;
  auto ts = rd_kafka_message_timestamp(&m, &type);
  out.timestamp_ms = ts < 0 ? 0 : ts;
  return out;
}

message_view to_message_view(const rd_kafka_message_t& m, std::string_view topic,
                             std::vector<header_view>& hs) {
  message_view out;
  out.topic = topic;
  out.partition = m.partition;
  out.offset = m.offset;
  if (m.key != nullptr)
    out.key = {static_cast<const char*>(m.key), m.key_len};
  if (m.payload != nullptr)
    out.value = {static_cast<const char*>(m.payload), m.len};
  hs.clear();
  rd_kafka_headers_t* rd = nullptr;
  if (rd_kafka_message_headers(&m, &rd) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(rd, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      hs.push_back({name, value == nullptr
                              ? std::string_view()
                              : std::string_view(static_cast<const char*>(value), size)});
  }
  out.headers = hs;
  rd_kafka_timestamp_type_t type;
  auto ts = rd_kafka_message_timestamp(&m, &type);
  out.timestamp_ms = ts < 0 ? 0 : ts;
  return out;
}

rd_kafka_headers_t* to_rd_headers(std::span<const header_view> hs) {
  if (hs.empty())
    return nullptr;
  auto* out = rd_kafka_headers_new(hs.size());
  for (auto& h : hs)
    rd_kafka_header_add(out, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  return out;
}

rd_kafka_headers_t* to_rd_headers(const headers& hs) {
  if (hs.empty())
    return nullptr;
  auto* out = rd_kafka_headers_new(hs.size());
  for (auto& h : hs)
    rd_kafka_header_add(out, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  return out;
}

std::vector<topic_partition> to_partitions(const rd_kafka_topic_partition_list_t* l) {
  std::vector<topic_partition> out;
  if (l == nullptr)
    return out;
  for (int i = 0; i < l->cnt; ++i)
    out.push_back({l->elems[i].topic, l->elems[i].partition});
  return out;
}

expected<std::vector<std::pair<std::string, std::int32_t>>>
topic_partition_counts(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return to_error(err, "metadata");
  std::vector<std::pair<std::string, std::int32_t>> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    auto& t = md->topics[i];
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && std::strncmp(t.topic, "__", 2) != 0)
      out.emplace_back(t.topic, t.partition_cnt);
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

expected<std::int32_t> partition_count(rd_kafka_t* rk, std::string_view topic,
                                       std::chrono::milliseconds timeout) {
  auto all = topic_partition_counts(rk, timeout);
  if (!all)
    return std::move(all).error();
  for (auto& [name, n] : *all)
    if (name == topic)
      return n;
  return fp::error{errc::unknown_topic,
                   "kafka: topic \"" + std::string(topic) +
                       "\": the cluster does not have it (topics are created by create_topic, "
                       "never on first use)"};
}

} // namespace fp::bus::kafka
