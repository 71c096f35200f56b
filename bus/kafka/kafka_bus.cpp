// The Kafka backend's event_bus: one idempotent producer (also used for admin requests and
// metadata), a delivery-report poller thread, and consumers made on demand.

#include "bus/kafka/kafka_bus.hpp"

#include "bus/admin_event.hpp"
#include "bus/kafka/kafka_detail.hpp"
#include "bus/partitioner.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace fp::bus {

namespace {

using namespace std::chrono_literals;

class kafka_bus final : public event_bus {
public:
  explicit kafka_bus(kafka_options opts)
      : opts_(std::move(opts))
      , stats_(std::make_shared<kafka::counters>()) {}

  ~kafka_bus() override {
    if (!rk_)
      return;
    // Give records in flight their outcome: delivered, or failed as purged.
    if (!flush(opts_.request_timeout)) {
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      (void)flush(opts_.request_timeout);
    }
    stop_ = true;
    rd_kafka_yield(rk_.get());
    poller_.join();
  }

  expected<void> start() {
    // linger/batch: librdkafka's throughput settings; a produce() waits at most linger.ms.
    kafka_properties ours{
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"partitioner", "murmur2_random"},
        {"allow.auto.create.topics", "false"},
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", "1000000"},
        {"message.timeout.ms", std::to_string(opts_.delivery_timeout.count())},
    };
    auto conf = kafka::make_conf(opts_, ours, opts_.producer);
    if (!conf)
      return std::move(conf).error();
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &kafka_bus::on_delivery);
    rd_kafka_conf_set_opaque(conf->get(), this);
    auto rk = kafka::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk)
      return std::move(rk).error();
    rk_ = std::move(*rk);
    poller_ = std::thread([this] {
      while (!stop_)
        rd_kafka_poll(rk_.get(), 200);
    });
    // Fail early when no broker answers.
    if (auto all = kafka::topic_partition_counts(rk_.get(), opts_.request_timeout); !all)
      return fp::error{static_cast<errc>(all.error().code()),
                       "kafka: bootstrap " + opts_.bootstrap + ": no metadata within " +
                           std::to_string(opts_.request_timeout.count()) +
                           " ms: " + all.error().message()};
    return {};
  }

  std::string_view backend() const override { return "kafka"; }

  // -- admin ---------------------------------------------------------------------------------

  expected<topic_info> create_topic(const topic_spec& spec, const admin_context& who) override {
    // A bad actor, reason or time is refused before anything changes.
    if (auto ev = make_admin_event(action_create_topic, who, {spec.name}, std::nullopt, spec); !ev)
      return std::move(ev).error();
    auto out = kafka::create(rk_.get(), spec, admin());
    if (!out)
      return std::move(out).error();
    forget_partitions(spec.name);
    if (!out->created)
      return std::move(out->info);
    stats_->topics_created++;
    if (auto ok = emit(action_create_topic, who, spec.name, std::nullopt, out->info.spec); !ok)
      return std::move(ok).error();
    return std::move(out->info);
  }

  expected<topic_info> set_retention(std::string_view topic, std::int64_t retention_ms,
                                     std::int64_t retention_bytes,
                                     const admin_context& who) override {
    if (auto ev =
            make_admin_event(action_set_retention, who, {std::string(topic)}, std::nullopt,
                             topic_spec{std::string(topic), 1, retention_ms, retention_bytes});
        !ev)
      return std::move(ev).error();
    auto out = kafka::alter_retention(rk_.get(), topic, retention_ms, retention_bytes, admin());
    if (!out)
      return std::move(out).error();
    if (auto ok = emit(action_set_retention, who, std::string(topic), out->first, out->second.spec);
        !ok)
      return std::move(ok).error();
    return std::move(out->second);
  }

  expected<topic_info> describe_topic(std::string_view topic) override {
    return kafka::describe(rk_.get(), topic, admin());
  }

  expected<std::vector<std::string>> list_topics() override {
    auto all = kafka::topic_partition_counts(rk_.get(), opts_.request_timeout);
    if (!all)
      return std::move(all).error();
    std::vector<std::string> out;
    for (auto& t : *all)
      out.push_back(t.first);
    std::sort(out.begin(), out.end());
    return out;
  }

  // -- produce -------------------------------------------------------------------------------

  expected<fp::origin_offset> produce(produce_record r) override {
    if (std::this_thread::get_id() == poller_.get_id())
      return fp::error{errc::invalid_argument,
                       "kafka: produce: called from a produce_async callback, it would wait on "
                       "itself; use produce_async there"};
    std::promise<expected<fp::origin_offset>> result;
    auto outcome = result.get_future();
    produce_async(std::move(r),
                  [&result](expected<fp::origin_offset> o) { result.set_value(std::move(o)); });
    return outcome.get();
  }

  void produce_async(produce_record r, produce_callback done) override {
    auto fail = [&](fp::error e) {
      stats_->produce_failures++;
      if (done)
        done(std::move(e));
    };
    auto n = partitions(r.topic);
    if (!n)
      return fail(std::move(n).error());
    auto p = r.partition ? *r.partition : partition_for(r.key, *n);
    if (p < 0 || p >= *n)
      return fail({errc::invalid_argument, "kafka: produce to " + r.topic + ": partition " +
                                               std::to_string(p) + " outside 0.." +
                                               std::to_string(*n - 1)});
    auto* hs = kafka::to_rd_headers(r.headers);
    auto* ctx = done ? new produce_callback(std::move(done)) : nullptr;
    in_flight_++;
    for (;;) {
      auto err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()), RD_KAFKA_V_PARTITION(p),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
          RD_KAFKA_V_VALUE(r.value.data(), r.value.size()), RD_KAFKA_V_HEADERS(hs),
          RD_KAFKA_V_OPAQUE(ctx), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
      // A full local queue is backpressure: wait for delivery reports (not on the poller
      // thread, which serves them).
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::this_thread::get_id() != poller_.get_id()) {
        std::unique_lock lock{mu_};
        waiters_++;
        cv_.wait_for(lock, 10ms);
        waiters_--;
        continue;
      }
      if (hs != nullptr)
        rd_kafka_headers_destroy(hs);
      if (ctx != nullptr)
        done = std::move(*ctx);
      delete ctx;
      release_one();
      return fail(kafka::to_error(err, "produce to " + r.topic + "[" + std::to_string(p) + "]"));
    }
  }

  expected<void> flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock{mu_};
    waiters_++;
    bool ok = cv_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
    waiters_--;
    if (!ok)
      return fp::error{errc::timeout, "kafka: flush: " + std::to_string(in_flight_.load()) +
                                          " records without an outcome after " +
                                          std::to_string(timeout.count()) + " ms"};
    return {};
  }

  // -- consume -------------------------------------------------------------------------------

  expected<std::unique_ptr<consumer>> subscribe(group_options opts) override {
    for (auto& t : opts.topics)
      if (auto n = partitions(t); !n)
        return std::move(n).error();
    return kafka::subscribe(opts_, std::move(opts), stats_);
  }

  expected<std::unique_ptr<consumer>>
  assign(const std::vector<topic_partition_offset>& from) override {
    for (auto& tpo : from) {
      auto n = partitions(tpo.topic);
      if (!n)
        return std::move(n).error();
      if (tpo.partition < 0 || tpo.partition >= *n)
        return fp::error{errc::invalid_argument, "kafka: assign " + tpo.topic + ": partition " +
                                                     std::to_string(tpo.partition) +
                                                     " outside 0.." + std::to_string(*n - 1)};
    }
    return kafka::assign(opts_, from, stats_);
  }

  expected<std::vector<partition_lag>> lag(std::string_view group_id,
                                           std::string_view topic) override {
    return kafka::group_lag(opts_, rk_.get(), group_id, topic, admin());
  }

  bus_stats stats() const override { return stats_->snapshot(); }

private:
  kafka::admin_options admin() const {
    return {opts_.request_timeout, opts_.replication_factor, &opts_.topic_creator};
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<kafka_bus*>(opaque);
    std::unique_ptr<produce_callback> done{static_cast<produce_callback*>(m->_private)};
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->stats_->produce_failures++;
      if (done)
        (*done)(self->delivery_error(*m));
    } else {
      self->stats_->produced++;
      if (done)
        (*done)(fp::origin_offset{rd_kafka_topic_name(m->rkt), m->partition, m->offset});
    }
    self->release_one();
  }

  fp::error delivery_error(const rd_kafka_message_t& m) {
    auto what = "produce to " + std::string(rd_kafka_topic_name(m.rkt)) + "[" +
                std::to_string(m.partition) + "]";
    std::array<char, 512> reason{};
    if (rd_kafka_fatal_error(rk_.get(), reason.data(), reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return kafka::to_error(m.err, what, "producer failed fatally: " + std::string(reason.data()));
    return kafka::to_error(m.err, what);
  }

  void release_one() {
    if (--in_flight_ == 0 || waiters_ > 0) {
      std::lock_guard lock{mu_};
      cv_.notify_all();
    }
  }

  /// The topic's partition count, looked up once (create_topic refreshes it). A producing
  /// thread remembers its last answer, so a run of records to one topic takes no lock.
  expected<std::int32_t> partitions(const std::string& topic) {
    struct last_lookup {
      std::uint64_t bus = 0, generation = 0;
      std::string topic;
      std::int32_t partitions = 0;
    };
    thread_local last_lookup last;
    auto generation = generation_.load(std::memory_order_acquire);
    if (last.bus == id_ && last.generation == generation && last.topic == topic)
      return last.partitions;
    {
      std::lock_guard lock{mu_};
      if (auto it = partitions_.find(topic); it != partitions_.end()) {
        last = {id_, generation, topic, it->second};
        return it->second;
      }
    }
    if (auto ok = kafka::check_topic_name("kafka", topic); !ok)
      return std::move(ok).error();
    auto all = kafka::topic_partition_counts(rk_.get(), opts_.request_timeout);
    if (!all)
      return std::move(all).error();
    std::lock_guard lock{mu_};
    for (auto& [name, n] : *all)
      partitions_[name] = n;
    if (auto it = partitions_.find(topic); it != partitions_.end())
      return it->second;
    return fp::error{errc::unknown_topic,
                     "kafka: topic \"" + topic +
                         "\": the cluster does not have it (topics are created by create_topic, "
                         "never on first use)"};
  }

  void forget_partitions(const std::string& topic) {
    std::lock_guard lock{mu_};
    partitions_.erase(topic);
    generation_++;
  }

  expected<void> emit(std::string_view action, const admin_context& who, std::string target,
                      std::optional<topic_spec> before, std::optional<topic_spec> after) {
    auto ev =
        make_admin_event(action, who, {std::move(target)}, std::move(before), std::move(after));
    if (!ev)
      return std::move(ev).error();
    auto r = produce(admin_event_record(*ev));
    if (!r)
      return std::move(r).error();
    return {};
  }

  kafka_options opts_;
  std::shared_ptr<kafka::counters> stats_;
  kafka::rk_ptr rk_;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::int32_t> partitions_;
  std::atomic<std::uint64_t> generation_{1}; ///< bumped when partitions_ forgets a topic
  std::uint64_t id_ = next_id++;             ///< tells buses apart in the thread-local cache
  static inline std::atomic<std::uint64_t> next_id{1};
};

} // namespace

expected<std::unique_ptr<event_bus>> open_kafka_bus(kafka_options opts) {
  auto bus = std::make_unique<kafka_bus>(std::move(opts));
  if (auto ok = bus->start(); !ok)
    return std::move(ok).error();
  return std::unique_ptr<event_bus>(std::move(bus));
}

} // namespace fp::bus
