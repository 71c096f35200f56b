// bus_bench, Kafka half (DESIGN.md §9): the Kafka backend against raw librdkafka, both talking
// to one in-process mock cluster in the same run, with the same producer settings (idempotent,
// acks=all, murmur2, linger 5 ms, batches of 10k, 5 in flight), the same records and
// group-less (assign) readers, in 21 interleaved rounds (each side first in every other
// round): each line gives the best round of either side (value, baseline, ratio) and the
// median rounds (median_*). Then produce->consume latency at a fixed moderate rate.
//
// The mock's brokers answer with TCP_NODELAY, as Kafka and Redpanda brokers do
// (`broker_tcp_nodelay` on each line; see mock_cluster.hpp). Without it, about one round in
// three of either side waited 40 ms at the end of its flush (a response held back by Nagle's
// algorithm until the client's delayed ACK), half the round's rate.
//
// The raw side is the best plain librdkafka program we know for the job: producev in a loop
// with delivery reports served by rd_kafka_poll every 1k records, rd_kafka_flush, and a
// reader that takes batches with rd_kafka_consume_batch_queue and only looks at the bytes
// (no copies). The bus side produces with `produce_async_view` (a callback per record, run on
// the bus's poller thread) and reads with `poll_each`, which lends views of librdkafka's
// buffers the same way; `poll`, which copies each record into a `message`, costs more.

#include "tests/bench/bench_common.hpp"

#include "bus/kafka/kafka_bus.hpp"
#include "bus/kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

int bus_bench_kafka(bool quick);

namespace {

using namespace fp::bench;
using namespace std::chrono_literals;

constexpr int partitions = 8;
constexpr std::size_t value_bytes = 200;

/// The producer settings both sides use (the bus sets these itself; raw gets them here).
const fp::bus::kafka_properties producer_props{{"enable.idempotence", "true"},
                                               {"acks", "all"},
                                               {"partitioner", "murmur2_random"},
                                               {"linger.ms", "5"},
                                               {"batch.num.messages", "10000"},
                                               {"queue.buffering.max.messages", "1000000"},
                                               {"max.in.flight.requests.per.connection", "5"}};

std::string key_of(std::size_t i) {
  return "acct-" + std::to_string(i % 50'000);
}

/// One side of the comparison: produce n records, then read them back from offset 0.
struct side {
  virtual ~side() = default;
  virtual const char* name() const = 0;
  /// Produces the records and waits for every delivery report; false on any failure.
  virtual bool produce_all(const std::string& topic, std::size_t n) = 0;
  /// Reads n records from every partition's start; returns the records seen.
  virtual std::size_t read_all(const std::string& topic, std::size_t n) = 0;
};

// -- the Kafka backend ---------------------------------------------------------------------------

struct ours final : side {
  std::atomic<std::size_t> failed{0}; ///< outlives the bus: destruction may still report
  std::unique_ptr<fp::bus::event_bus> bus;
  explicit ours(const std::string& bootstrap, fp::bus::kafka_properties consumer = {}) {
    fp::bus::kafka_options o;
    o.bootstrap = bootstrap;
    o.common = {{"log_level", "3"}};
    o.consumer = std::move(consumer);
    o.producer = {{"max.in.flight.requests.per.connection", "5"}};
    auto b = fp::bus::open_kafka_bus(o);
    if (!b)
      throw std::runtime_error(b.error().to_string());
    bus = std::move(*b);
  }
  const char* name() const override { return "bus"; }
  bool produce_all(const std::string& topic, std::size_t n) override {
    failed = 0;
    std::string value(value_bytes, 'v');
    const fp::bus::header_view schema[] = {{"fp.schema", "bench.v1"}};
    for (std::size_t i = 0; i < n; ++i) {
      auto key = key_of(i);
      bus->produce_async_view({topic, key, value, schema, {}},
                              [this](fp::expected<fp::origin_offset> o) {
                                if (!o)
                                  failed++;
                              });
    }
    return bus->flush(60s).has_value() && failed == 0;
  }
  std::size_t read_all(const std::string& topic, std::size_t n) override {
    std::vector<fp::bus::topic_partition_offset> from;
    for (int p = 0; p < partitions; ++p)
      from.push_back({topic, p, 0});
    auto c = bus->assign(from);
    if (!c)
      return 0;
    std::size_t seen = 0, bytes = 0;
    auto deadline = clock_type::now() + 60s;
    while (seen < n && clock_type::now() < deadline) {
      auto got = (*c)->poll_each(10'000, 100ms, [&](const fp::bus::message_view& m) {
        bytes += m.value.size() + m.key.size();
        for (auto& h : m.headers)
          bytes += h.value.size();
      });
      if (!got)
        return seen;
      seen += *got;
    }
    return bytes > 0 ? seen : 0;
  }
};

// -- raw librdkafka ------------------------------------------------------------------------------

rd_kafka_conf_t* raw_conf(const std::string& bootstrap, const fp::bus::kafka_properties& props) {
  auto* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  for (auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error(k + ": " + err);
  return conf;
}

struct raw final : side {
  std::string bootstrap;
  rd_kafka_t* producer = nullptr;
  std::atomic<std::size_t> failed{0};
  explicit raw(std::string b)
      : bootstrap(std::move(b)) {
    auto* conf = raw_conf(bootstrap, producer_props);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      if (m->err)
        static_cast<raw*>(opaque)->failed++;
    });
    rd_kafka_conf_set_opaque(conf, this);
    char err[512];
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (producer == nullptr)
      throw std::runtime_error(err);
  }
  ~raw() override { rd_kafka_destroy(producer); }
  const char* name() const override { return "raw librdkafka"; }
  bool produce_all(const std::string& topic, std::size_t n) override {
    // Like the bus, learn the new topic's partitions first rather than let the records wait
    // in the unassigned queue for the next metadata refresh.
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(producer, 1, nullptr, &md, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return false;
    rd_kafka_metadata_destroy(md);
    // A topic handle made once, as the bus keeps one per topic: producing by name would look
    // the topic up under librdkafka's client-wide lock for every record.
    auto* rkt = rd_kafka_topic_new(producer, topic.c_str(), nullptr);
    if (rkt == nullptr)
      return false;
    std::string value(value_bytes, 'v');
    for (std::size_t i = 0; i < n; ++i) {
      auto key = key_of(i);
      auto* hs = rd_kafka_headers_new(1);
      rd_kafka_header_add(hs, "fp.schema", -1, "bench.v1", 8);
      for (;;) {
        auto err = rd_kafka_producev(
            producer, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value.data(), value.size()),
            RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
          break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_topic_destroy(rkt);
          return false;
        }
        rd_kafka_poll(producer, 10);
      }
      if (i % 1000 == 0)
        rd_kafka_poll(producer, 0);
    }
    auto flushed = rd_kafka_flush(producer, 60'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_destroy(rkt);
    return flushed && failed == 0;
  }
  std::size_t read_all(const std::string& topic, std::size_t n) override {
    auto* conf = raw_conf(bootstrap, {{"group.id", "bench.raw"},
                                      {"enable.auto.commit", "false"},
                                      {"enable.auto.offset.store", "false"}});
    char err[512];
    auto* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    auto* parts = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = 0;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    auto* q = rd_kafka_queue_get_consumer(rk);
    std::vector<rd_kafka_message_t*> batch(10'000);
    std::size_t seen = 0, bytes = 0;
    auto deadline = clock_type::now() + 60s;
    while (seen < n && clock_type::now() < deadline) {
      // What is ready, at once; when nothing is, wait for one record (a batch call with a
      // timeout would wait for a full batch).
      auto got = rd_kafka_consume_batch_queue(q, 0, batch.data(), batch.size());
      if (got == 0) {
        batch[0] = rd_kafka_consume_queue(q, 100);
        got = batch[0] == nullptr ? 0 : 1;
      }
      for (ssize_t i = 0; i < got; ++i) {
        auto* m = batch[i];
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          // What the bus hands over (key, value, headers), as views into librdkafka's buffer.
          bytes += m->len + m->key_len;
          rd_kafka_headers_t* hs = nullptr;
          if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name;
            const void* value;
            std::size_t size;
            for (std::size_t h = 0; !rd_kafka_header_get_all(hs, h, &name, &value, &size); ++h)
              bytes += size;
          }
          ++seen;
        }
        rd_kafka_message_destroy(batch[i]);
      }
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return bytes > 0 ? seen : 0;
  }
};

struct rates {
  double produce = 0, consume = 0, both = 0;
};

/// One round: a fresh topic, n records produced then read back.
std::optional<rates> run_round(fp::bus::mock_cluster& mock, side& s, const std::string& topic,
                               std::size_t n) {
  if (!mock.create_topic({topic, partitions, -1, -1}))
    return std::nullopt;
  auto t0 = clock_type::now();
  if (!s.produce_all(topic, n))
    return std::nullopt;
  double tp = seconds_since(t0);
  auto t1 = clock_type::now();
  if (s.read_all(topic, n) != n)
    return std::nullopt;
  double tc = seconds_since(t1);
  return rates{n / tp, n / tc, n / (tp + tc)};
}

/// The best round of each side (the line's value and baseline), and each side's median round.
void emit_rate(const std::string& metric, const std::vector<double>& ours,
               const std::vector<double>& raw, bool nodelay) {
  auto j = rounds_line(metric, ours, raw, "records/s", 0.9);
  j["broker_tcp_nodelay"] = nodelay;
  emit(j);
}

/// Produce->consume latency through the bus at a fixed rate: the producer stamps each value
/// with its send time (steady clock), an assign reader on another thread takes the difference.
int latency(fp::bus::mock_cluster& mock, bool quick) {
  const std::string topic = "bench.kafka.latency";
  const int rate = 2000;
  const int fetch_wait_ms = 5;
  const std::size_t total = quick ? 2000 : 6000;
  if (!mock.create_topic({topic, partitions, -1, -1})) {
    emit_error("kafka_e2e_latency_p50_us", "cannot create " + topic);
    return 1;
  }
  // The mock answers an empty fetch only when fetch.wait.max.ms runs out (a real broker
  // answers as soon as a record arrives): bound that wait, or it is what gets measured.
  ours a{mock.bootstrap(), {{"fetch.wait.max.ms", std::to_string(fetch_wait_ms)}}};
  std::vector<fp::bus::topic_partition_offset> from;
  for (int p = 0; p < partitions; ++p)
    from.push_back({topic, p, 0});
  auto c = a.bus->assign(from);
  if (!c) {
    emit_error("kafka_e2e_latency_p50_us", c.error().to_string());
    return 1;
  }
  auto stamp = [] {
    std::string v(value_bytes, 'v');
    auto ns = clock_type::now().time_since_epoch().count();
    std::memcpy(v.data(), &ns, sizeof ns);
    return v;
  };
  // Warm up: the reader has fetched a first record before the clock starts.
  if (!a.bus->produce({topic, "warm-up", stamp(), {}, 0}))
    return 1;
  for (int i = 0; i < 100; ++i)
    if (auto got = (*c)->poll(10, 100ms); got && !got->empty())
      break;
  std::vector<double> us;
  us.reserve(total);
  std::thread reader([&] {
    auto deadline = clock_type::now() + 60s;
    while (us.size() < total && clock_type::now() < deadline) {
      auto got = (*c)->poll(1000, 100ms);
      if (!got)
        return;
      auto now = clock_type::now().time_since_epoch().count();
      for (auto& m : *got) {
        std::int64_t sent = 0;
        std::memcpy(&sent, m.value.data(), sizeof sent);
        us.push_back(static_cast<double>(now - sent) / 1e3);
      }
    }
  });
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::microseconds(i * 1'000'000 / rate));
    a.bus->produce_async({topic, key_of(i), stamp(), {}, {}}, nullptr);
  }
  (void)a.bus->flush(30s);
  reader.join();
  if (us.size() != total) {
    emit_error("kafka_e2e_latency_p50_us",
               "read " + std::to_string(us.size()) + " of " + std::to_string(total));
    return 1;
  }
  std::sort(us.begin(), us.end());
  for (auto [metric, q] :
       {std::pair{"kafka_e2e_latency_p50_us", 0.50}, {"kafka_e2e_latency_p99_us", 0.99}}) {
    auto j = line(metric);
    j["value"] = round_to(us[static_cast<std::size_t>(q * (us.size() - 1))], 1);
    j["unit"] = "us";
    j["rate_per_s"] = rate;
    j["records"] = total;
    j["linger_ms"] = 5;
    j["fetch_wait_max_ms"] = fetch_wait_ms;
    emit(j);
  }
  return 0;
}

} // namespace

int bus_bench_kafka(bool quick) {
  auto mock = fp::bus::mock_cluster::start(1);
  if (!mock) {
    emit_error("kafka_produce_consume_rps", mock.error().to_string());
    return 1;
  }
  // 200-byte values: 64k records are ~2 MiB per partition, under the mock's 5 MiB.
  std::size_t n = quick ? 16'000 : 64'000;
  // Interleaved rounds, best of each (and the medians): a round is ~0.1 s of a mock broker
  // sharing 2 cores, and single rounds of either side vary by 10-20%. With 21 rounds (about
  // 6 s) the produce+consume best-round ratio of 16 runs was 0.88-1.03; 11 gave 0.88-1.09.
  int rounds = quick ? 1 : 21;
  try {
    ours a{(*mock)->bootstrap()};
    raw b{(*mock)->bootstrap()};
    std::vector<rates> got_a, got_b;
    // A first small round each (connections, producer id, coordinator) is not measured.
    for (side* s : {static_cast<side*>(&b), static_cast<side*>(&a)})
      if (!run_round(**mock, *s, std::string("bench.kafka.warm.") + (s == &a ? "bus" : "raw"),
                     2000)) {
        emit_error("kafka_produce_consume_rps", std::string(s->name()) + " warm-up failed");
        return 1;
      }
    for (int r = 0; r < rounds; ++r)
      // Each side goes first in every other round: the side that follows the other's reader
      // shares the cores with its teardown (threads exiting, the mock dropping connections).
      for (side* s : r % 2 == 0 ? std::array<side*, 2>{&b, &a} : std::array<side*, 2>{&a, &b}) {
        auto topic = "bench.kafka." + std::string(s == &a ? "bus." : "raw.") + std::to_string(r);
        auto got = run_round(**mock, *s, topic, n);
        if (!got) {
          emit_error("kafka_produce_consume_rps", std::string(s->name()) + " round failed");
          return 1;
        }
        progress("kafka ", s->name(), " round ", r, ": produce ", static_cast<long>(got->produce),
                 "/s, consume ", static_cast<long>(got->consume), "/s");
        (s == &a ? got_a : got_b).push_back(*got);
      }
    auto of = [](const std::vector<rates>& v, double rates::*field) {
      std::vector<double> out;
      for (auto& r : v)
        out.push_back(r.*field);
      return out;
    };
    bool nodelay = (*mock)->nodelay_brokers() == (*mock)->brokers();
    emit_rate("kafka_produce_consume_rps", of(got_a, &rates::both), of(got_b, &rates::both),
              nodelay);
    emit_rate("kafka_produce_rps", of(got_a, &rates::produce), of(got_b, &rates::produce), nodelay);
    emit_rate("kafka_consume_rps", of(got_a, &rates::consume), of(got_b, &rates::consume), nodelay);
  } catch (const std::exception& e) {
    emit_error("kafka_produce_consume_rps", e.what());
    return 1;
  }
  return latency(**mock, quick);
}
