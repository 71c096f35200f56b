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
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

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
    collect(); // before rd_kafka_destroy: a report batch's records count against the client
    for (auto& [name, rkt] : handles_)
      rd_kafka_topic_destroy(rkt);
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
    // Delivery reports as events: a batch per partition per produce response, which the
    // poller serves as a whole.
    rd_kafka_conf_set_events(conf->get(), RD_KAFKA_EVENT_DR);
    auto rk = kafka::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk)
      return std::move(rk).error();
    rk_ = std::move(*rk);
    poller_ = std::thread([this] {
      kafka::queue_ptr reports{rd_kafka_queue_get_main(rk_.get())};
      while (!stop_) {
        kafka::event_ptr ev{rd_kafka_queue_poll(reports.get(), 200)};
        if (!ev) {
          collect(); // idle: what no producing thread took, the poller frees
          continue;
        }
        if (rd_kafka_event_type(ev.get()) != RD_KAFKA_EVENT_DR)
          continue;
        auto records = serve(ev.get());
        retire(std::move(ev), records); // before settle: a flush that returns finds it
        settle();
      }
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
    auto out = outcome.get();
    collect();
    return out;
  }

  void produce_async(produce_record r, produce_callback done) override {
    produce_one(r.topic, r.key, r.value, r.partition, r.headers, std::move(done));
  }

  void produce_async_view(const record_view& r, produce_callback done) override {
    produce_one(r.topic, r.key, r.value, r.partition, r.headers, std::move(done));
  }

  expected<void> flush(std::chrono::milliseconds timeout) override {
    if (std::this_thread::get_id() == poller_.get_id())
      return fp::error{errc::invalid_argument,
                       "kafka: flush: called from a produce_async callback, it would wait on "
                       "itself"};
    auto ms = std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0,
                                                         std::numeric_limits<int>::max());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    // librdkafka's flush sends what lingers at once (linger.ms counts as elapsed while it
    // waits) and returns when its records are destroyed: while it waits the poller destroys
    // each report batch as soon as its callbacks ran, instead of retiring it.
    {
      std::lock_guard lock{retired_.mu};
      retired_.flushing++;
    }
    collect(); // what was retired before the flush began
    (void)rd_kafka_flush(rk_.get(), static_cast<int>(ms)); // librdkafka takes an int
    {
      std::lock_guard lock{retired_.mu};
      retired_.flushing--;
    }
    std::unique_lock lock{mu_};
    waiters_++;
    bool ok = cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
    waiters_--;
    lock.unlock();
    collect();
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

  /// One record into librdkafka (which copies key, value and headers before returning).
  template <class Headers>
  void produce_one(std::string_view topic, std::string_view key, std::string_view value,
                   std::optional<std::int32_t> partition, const Headers& headers,
                   produce_callback&& done) {
    auto fail = [&](fp::error e) {
      stats_->produce_failures++;
      if (done)
        done(std::move(e));
    };
    if (retired_.any.load(std::memory_order_relaxed))
      collect();
    auto t = produce_topic(topic);
    if (!t)
      return fail(std::move(t).error());
    auto n = t->partitions;
    auto p = partition ? *partition : partition_for(key, n);
    if (p < 0 || p >= n)
      return fail({errc::invalid_argument, "kafka: produce to " + std::string(topic) +
                                               ": partition " + std::to_string(p) + " outside 0.." +
                                               std::to_string(n - 1)});
    auto* hs = kafka::to_rd_headers(headers);
    auto* ctx = done ? pool_.take(std::move(done)) : nullptr;
    in_flight_++;
    for (;;) {
      auto err = rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(t->rkt), RD_KAFKA_V_PARTITION(p),
                                   // F_COPY: librdkafka copies the bytes and never writes to them.
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                                   RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                   RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_OPAQUE(ctx), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
      // A full local queue is backpressure: free the reported records (they count until
      // destroyed), then wait for delivery reports (not on the poller thread, which serves
      // them).
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::this_thread::get_id() != poller_.get_id()) {
        collect();
        std::unique_lock lock{mu_};
        waiters_++;
        cv_.wait_for(lock, 10ms);
        waiters_--;
        continue;
      }
      if (hs != nullptr)
        rd_kafka_headers_destroy(hs);
      if (ctx != nullptr)
        done = pool_.give_back(ctx);
      release(1);
      return fail(
          kafka::to_error(err, "produce to " + std::string(topic) + "[" + std::to_string(p) + "]"));
    }
  }

  /// Runs on the poller thread once per report batch: the counters move for the whole batch
  /// before its callbacks run (a caller of `produce` sees them), then each record's callback.
  /// Returns the records served.
  std::size_t serve(rd_kafka_event_t* ev) {
    auto& batch = settled_.batch;
    batch.resize(rd_kafka_event_message_count(ev));
    batch.resize(rd_kafka_event_message_array(ev, batch.data(), batch.size()));
    std::uint64_t failed = 0;
    for (auto* m : batch)
      failed += m->err != RD_KAFKA_RESP_ERR_NO_ERROR ? 1 : 0;
    stats_->produced.fetch_add(batch.size() - failed, std::memory_order_relaxed);
    stats_->produce_failures.fetch_add(failed, std::memory_order_relaxed);
    // A callback slot was last written by a producing thread: fetch a few records ahead.
    constexpr std::size_t ahead = 4;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i + ahead < batch.size())
        __builtin_prefetch(batch[i + ahead]->_private);
      on_delivery(*batch[i]);
    }
    return batch.size();
  }

  /// One record's outcome to its callback; what the records release (the in-flight count,
  /// callback slots) is settled once per report batch.
  void on_delivery(const rd_kafka_message_t& m) {
    auto& s = settled_;
    auto* ctx = static_cast<kafka::callback_pool::slot*>(m._private);
    s.released++;
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (ctx != nullptr)
        ctx->done(delivery_error(m));
    } else {
      if (ctx != nullptr) {
        // The records of a batch share a topic handle: look its name up once.
        if (m.rkt != s.rkt) {
          s.rkt = m.rkt;
          s.topic = rd_kafka_topic_name(m.rkt);
        }
        ctx->done(fp::origin_offset{s.topic, m.partition, m.offset});
      }
    }
    if (ctx != nullptr)
      s.slots.push(ctx);
  }

  /// A report batch whose callbacks have run. Destroying it frees its records, and glibc frees
  /// cheapest on the thread that allocated them, so the next producing call (`produce_async`,
  /// `produce`, `flush`) takes it, as a raw librdkafka program serving its own reports would;
  /// the poller frees it when idle or when too much waits.
  void retire(kafka::event_ptr ev, std::size_t records) {
    constexpr std::size_t most_waiting = 100'000; // records (each ~ its bytes + 200 B)
    std::vector<kafka::event_ptr> too_much;
    {
      std::lock_guard lock{retired_.mu};
      if (retired_.flushing > 0)
        return; // a flush waits for its records to be destroyed: `ev` goes now
      retired_.events.push_back(std::move(ev));
      retired_.records += records;
      if (retired_.records > most_waiting) {
        too_much.swap(retired_.events);
        retired_.records = 0;
      }
      retired_.any.store(!retired_.events.empty(), std::memory_order_relaxed);
    }
  }

  /// Destroys the retired report batches (see `retire`).
  void collect() {
    std::vector<kafka::event_ptr> batches;
    std::lock_guard lock{retired_.mu};
    batches.swap(retired_.events);
    retired_.records = 0;
    retired_.any.store(false, std::memory_order_relaxed);
  }

  /// After a report batch: the callback slots and the in-flight count, once for all of it.
  void settle() {
    auto& s = settled_;
    if (s.released == 0)
      return;
    pool_.give_back(std::exchange(s.slots, {}));
    s.rkt = nullptr;
    release(std::exchange(s.released, 0));
  }

  fp::error delivery_error(const rd_kafka_message_t& m) {
    auto what = "produce to " + std::string(rd_kafka_topic_name(m.rkt)) + "[" +
                std::to_string(m.partition) + "]";
    std::array<char, 512> reason{};
    if (rd_kafka_fatal_error(rk_.get(), reason.data(), reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return kafka::to_error(m.err, what, "producer failed fatally: " + std::string(reason.data()));
    return kafka::to_error(m.err, what);
  }

  /// `n` records have their outcome: wake whoever waits for the count (flush) or for room.
  void release(std::uint64_t n) {
    if (in_flight_.fetch_sub(n) == n || waiters_ > 0) {
      std::lock_guard lock{mu_};
      cv_.notify_all();
    }
  }

  /// What the produce path needs of a topic: librdkafka's handle and the partition count.
  struct topic_ref {
    rd_kafka_topic_t* rkt;
    std::int32_t partitions;
  };

  /// The topic's handle and partition count. A producing thread remembers its last answer,
  /// so a run of records to one topic takes no lock, and librdkafka gets the handle instead
  /// of a name to look up (under its client-wide lock) for every record.
  expected<topic_ref> produce_topic(std::string_view topic) {
    struct last_lookup {
      std::uint64_t bus = 0, generation = 0;
      std::string topic;
      topic_ref ref{};
    };
    thread_local last_lookup last;
    auto generation = generation_.load(std::memory_order_acquire);
    if (last.bus == id_ && last.generation == generation && last.topic == topic)
      return last.ref;
    auto n = partitions(topic);
    if (!n)
      return std::move(n).error();
    auto* rkt = handle(topic);
    if (rkt == nullptr)
      return kafka::to_error(rd_kafka_last_error(), "topic \"" + std::string(topic) + "\"");
    last.bus = id_;
    last.generation = generation;
    last.topic.assign(topic);
    last.ref = {rkt, *n};
    return last.ref;
  }

  /// The producer's handle of `topic`, made once and kept until the bus is destroyed (a
  /// producing thread may hold it across a `create_topic`); null when librdkafka refuses it.
  rd_kafka_topic_t* handle(std::string_view topic) {
    std::lock_guard lock{mu_};
    if (auto it = handles_.find(topic); it != handles_.end())
      return it->second;
    std::string name(topic);
    auto* rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
    if (rkt != nullptr)
      handles_.emplace(std::move(name), rkt);
    return rkt;
  }

  /// The topic's partition count, looked up once (create_topic refreshes it).
  expected<std::int32_t> partitions(std::string_view topic) {
    {
      std::lock_guard lock{mu_};
      if (auto it = partitions_.find(topic); it != partitions_.end())
        return it->second;
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
                     "kafka: topic \"" + std::string(topic) +
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
  kafka::callback_pool pool_; ///< before rk_: outlives every record librdkafka holds
  /// Delivery-report batches served, waiting to be destroyed (`retire`, `collect`).
  struct {
    std::mutex mu;
    std::vector<kafka::event_ptr> events; ///< mu
    std::size_t records = 0;              ///< mu
    int flushing = 0;                     ///< mu: flushes waiting in rd_kafka_flush
    std::atomic<bool> any{false};
  } retired_;
  /// What the delivery reports of one poll released (the poller thread's alone).
  struct {
    std::vector<const rd_kafka_message_t*> batch; ///< the report batch being served
    std::uint64_t released = 0;
    kafka::callback_pool::chain slots;
    const rd_kafka_topic_t* rkt = nullptr;
    std::string topic;
  } settled_;
  kafka::rk_ptr rk_;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::int32_t, std::less<>> partitions_;   ///< mu_
  std::map<std::string, rd_kafka_topic_t*, std::less<>> handles_; ///< mu_
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
