// The Kafka backend against librdkafka's mock cluster (real Kafka protocol, in process):
// partitions, offsets, headers, admin no-ops and refusals, group commits and lag, seek.

#include "bus/kafka/kafka_bus.hpp"
#include "bus/kafka/mock_cluster.hpp"
#include "bus/partitioner.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace fp::bus;
using namespace std::chrono_literals;

namespace {

struct cluster_fixture {
  std::unique_ptr<mock_cluster> mock;
  std::unique_ptr<event_bus> bus;

  explicit cluster_fixture(std::vector<topic_spec> topics, kafka_properties consumer = {},
                           kafka_properties producer = {}) {
    auto m = mock_cluster::start(1);
    REQUIRE_MESSAGE(m, (m ? "" : m.error().to_string()));
    mock = std::move(*m);
    for (auto& t : topics)
      REQUIRE(mock->create_topic(t));
    kafka_options o;
    o.bootstrap = mock->bootstrap();
    o.common = {{"log_level", "3"}};
    o.consumer = std::move(consumer);
    o.producer = std::move(producer);
    auto b = open_kafka_bus(o);
    REQUIRE_MESSAGE(b, (b ? "" : b.error().to_string()));
    bus = std::move(*b);
  }

  /// Reads `n` records from every partition of `topic` from offset 0.
  std::vector<message> read_all(const std::string& topic, std::int32_t partitions, std::size_t n) {
    std::vector<topic_partition_offset> from;
    for (std::int32_t p = 0; p < partitions; ++p)
      from.push_back({topic, p, 0});
    auto c = bus->assign(from);
    REQUIRE(c);
    std::vector<message> out;
    for (int i = 0; i < 100 && out.size() < n; ++i) {
      auto got = (*c)->poll(n - out.size(), 200ms);
      REQUIRE_MESSAGE(got, (got ? "" : got.error().to_string()));
      out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }
};

admin_context who() {
  return {"test", "kafka backend test", "2026-01-01T00:00:00Z"};
}

/// This process's connected TCP sockets whose local port is `port`, with their TCP_NODELAY.
std::vector<int> accepted_nodelay(int port) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    auto name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{})
      continue;
    int listening = 1;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0)
      continue;
    sockaddr_in a{};
    len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || a.sin_family != AF_INET ||
        ntohs(a.sin_port) != port)
      continue;
    int nodelay = -1;
    len = sizeof nodelay;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    out.push_back(nodelay);
  }
  return out;
}

} // namespace

TEST_CASE("the mock's brokers accept with TCP_NODELAY, as a Kafka or Redpanda broker does") {
  auto m = mock_cluster::start(3);
  REQUIRE_MESSAGE(m, (m ? "" : m.error().to_string()));
  CHECK((*m)->nodelay_brokers() == 3);
  // A plain TCP client on each broker's port: the socket the broker accepts has the option.
  int brokers = 0;
  for (int port : (*m)->ports()) {
    int client = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(client >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    std::vector<int> seen;
    for (int i = 0; i < 200 && seen.empty(); ++i) {
      std::this_thread::sleep_for(10ms);
      seen = accepted_nodelay(port);
    }
    CHECK(seen == std::vector<int>{1});
    close(client);
    brokers++;
  }
  CHECK(brokers == 3);
}

TEST_CASE("keys land on partition_for's partition (Java murmur2), offsets count per partition") {
  cluster_fixture f({{"fp.test.keys", 8}, {std::string(control_topic), 1}});
  std::map<std::int32_t, std::int64_t> next;
  for (int i = 0; i < 40; ++i) {
    auto key = "acct-" + std::to_string(i);
    auto o = f.bus->produce({"fp.test.keys", key, "v" + std::to_string(i), {{"h", key}}, {}});
    REQUIRE_MESSAGE(o, (o ? "" : o.error().to_string()));
    CHECK(o->topic == "fp.test.keys");
    CHECK(o->partition == partition_for(key, 8));
    CHECK(o->offset == next[o->partition]++);
  }
  // Kafka's Utils.murmur2("foobar") = -790332482: the Java client puts it on 6 of 8.
  auto o = f.bus->produce({"fp.test.keys", "foobar", "x", {}, {}});
  REQUIRE(o);
  CHECK(o->partition == (static_cast<std::uint32_t>(-790332482) & 0x7fffffff) % 8);

  auto got = f.read_all("fp.test.keys", 8, 41);
  REQUIRE(got.size() == 41);
  std::map<std::int32_t, std::int64_t> seen;
  for (auto& m : got) {
    CHECK(m.partition == partition_for(m.key, 8));
    CHECK(m.offset == seen[m.partition]++); // in partition order, no gaps
    if (m.key != "foobar") {
      CHECK(m.value == "v" + m.key.substr(5));
      REQUIRE(m.headers.size() == 1);
      CHECK(m.headers[0] == header{"h", m.key});
    }
  }
  CHECK(f.bus->stats().produced == 41);
}

TEST_CASE("produce_async reports every outcome, flush waits for them, explicit partitions") {
  cluster_fixture f({{"fp.test.async", 4}});
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
  for (int i = 0; i < 2000; ++i)
    f.bus->produce_async({"fp.test.async",
                          "k" + std::to_string(i),
                          std::string(100, 'x'),
                          {},
                          i % 2 == 0 ? std::optional<std::int32_t>(3) : std::nullopt},
                         [&](fp::expected<fp::origin_offset> o) {
                           if (!o) {
                             failed++;
                             return;
                           }
                           std::lock_guard lock{mu};
                           offsets[o->partition].push_back(o->offset);
                           ok++;
                         });
  REQUIRE(f.bus->flush(10s));
  CHECK(ok == 2000);
  CHECK(failed == 0);
  for (auto& [p, offs] : offsets)
    for (std::size_t i = 0; i < offs.size(); ++i)
      CHECK(offs[i] == static_cast<std::int64_t>(i)); // stored in call order
  auto info = f.bus->describe_topic("fp.test.async");
  REQUIRE(info);
  CHECK(info->spec.partitions == 4);
  REQUIRE(info->partitions.size() == 4);
  CHECK(info->partitions[3].high >= 1000);
  std::int64_t total = 0;
  for (auto& p : info->partitions)
    total += p.high - p.low;
  CHECK(total == 2000);
}

TEST_CASE("flush sends lingering records at once, and a callback may not flush") {
  // linger.ms of 25 s (under the 30 s delivery timeout): a flush that waited for it would
  // time out below.
  cluster_fixture f({{"fp.test.flush", 2}}, {}, {{"linger.ms", "25000"}});
  std::atomic<int> ok{0};
  std::atomic<bool> refused{false};
  for (int i = 0; i < 50; ++i)
    f.bus->produce_async({"fp.test.flush", "k" + std::to_string(i), "v", {}, {}},
                         [&](fp::expected<fp::origin_offset> o) {
                           if (!o)
                             return;
                           if (ok++ == 0) {
                             auto inner = f.bus->flush(1s);
                             refused = !inner && inner.error() == errc::invalid_argument;
                           }
                         });
  auto flushed = f.bus->flush(10s);
  REQUIRE_MESSAGE(flushed, (flushed ? "" : flushed.error().to_string()));
  CHECK(ok == 50);
  CHECK(refused);
  // The bus keeps producing after a flush, and a second flush sends again.
  auto later = std::make_shared<std::atomic<int>>(0);
  f.bus->produce_async({"fp.test.flush", "after", "v", {}, {}},
                       [later](fp::expected<fp::origin_offset> o) { *later += o ? 1 : 0; });
  REQUIRE(f.bus->flush(10s));
  CHECK(*later == 1);
  auto info = f.bus->describe_topic("fp.test.flush");
  REQUIRE(info);
  std::int64_t total = 0;
  for (auto& p : info->partitions)
    total += p.high - p.low;
  CHECK(total == 51);
}

TEST_CASE("refusals: unknown topics, bad partitions, bad properties, nothing auto-created") {
  cluster_fixture f({{"fp.test.refuse", 2}});
  auto o = f.bus->produce({"fp.test.nope", "k", "v", {}, {}});
  REQUIRE_FALSE(o);
  CHECK(o.error() == errc::unknown_topic);
  auto p = f.bus->produce({"fp.test.refuse", "k", "v", {}, 2});
  REQUIRE_FALSE(p);
  CHECK(p.error() == errc::invalid_argument);
  auto bad = f.bus->produce({"bad topic!", "k", "v", {}, {}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == errc::invalid_argument);
  auto topics = f.bus->list_topics();
  REQUIRE(topics);
  CHECK(*topics == std::vector<std::string>{"fp.test.refuse"});
  CHECK(f.bus->stats().produce_failures == 3);

  kafka_options opts;
  opts.bootstrap = f.mock->bootstrap();
  opts.producer = {{"linger.mss", "5"}};
  auto b = open_kafka_bus(opts);
  REQUIRE_FALSE(b);
  CHECK(b.error() == errc::invalid_argument);
  CHECK(b.error().message().find("linger.mss") != std::string::npos);
}

TEST_CASE("create_topic: an existing topic with the same shape is a no-op, another is refused") {
  cluster_fixture f({{"fp.test.admin", 3}, {std::string(control_topic), 1}});
  auto same = f.bus->create_topic({"fp.test.admin", 3}, who());
  REQUIRE_MESSAGE(same, (same ? "" : same.error().to_string()));
  CHECK(same->spec.partitions == 3);
  CHECK(f.bus->stats().topics_created == 0);
  auto control = f.bus->describe_topic(control_topic);
  REQUIRE(control);
  CHECK(control->partitions.at(0).high == 0); // a no-op emits no AdminEvent

  auto other = f.bus->create_topic({"fp.test.admin", 5}, who());
  REQUIRE_FALSE(other);
  CHECK(other.error() == errc::topic_exists);

  // The 2.0.2 mock names a controller that is none of its brokers: no CreateTopics there.
  auto fresh = f.bus->create_topic({"fp.test.fresh", 2}, who());
  REQUIRE_FALSE(fresh);
  CHECK(fresh.error() == errc::broker);
  CHECK(fresh.error().message().find("controller") != std::string::npos);
  auto missing = f.bus->describe_topic("fp.test.fresh");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == errc::unknown_topic);
}

TEST_CASE("admin refusals: a bad admin context changes nothing, retention needs a controller") {
  cluster_fixture f({{std::string(control_topic), 1}, {"fp.test.ret", 2}});
  auto bad = f.bus->create_topic({"fp.test.ret", 2}, {"", "no actor", "2026-01-01T00:00:00Z"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == errc::invalid_argument);
  CHECK(bad.error().message().find("actor") != std::string::npos);
  auto ret = f.bus->set_retention("fp.test.ret", 1000, -1, who());
  REQUIRE_FALSE(ret);
  CHECK(ret.error() == errc::broker);
  CHECK(ret.error().message().find("controller") != std::string::npos);
  auto control = f.bus->describe_topic(control_topic);
  REQUIRE(control);
  CHECK(control->partitions.at(0).high == 0); // nothing was emitted
}

TEST_CASE("group-less readers: no commits, out-of-range starts are errors, seek re-reads") {
  cluster_fixture f({{"fp.test.reader", 1}});
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.bus->produce({"fp.test.reader", "k", std::to_string(i), {}, {}}));
  auto c = f.bus->assign({{"fp.test.reader", 0, 3}});
  REQUIRE(c);
  auto commit = (*c)->commit({{"fp.test.reader", 0, 4}});
  REQUIRE_FALSE(commit);
  CHECK(commit.error() == errc::invalid_argument);
  std::vector<message> got;
  for (int i = 0; i < 20 && got.size() < 2; ++i) {
    auto more = (*c)->poll(10, 200ms);
    REQUIRE(more);
    got.insert(got.end(), more->begin(), more->end());
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0].value == "3");
  CHECK(got[1].offset == 4);
  REQUIRE((*c)->seek({"fp.test.reader", 0, 0}));
  std::vector<message> again;
  for (int i = 0; i < 20 && again.size() < 5; ++i) {
    auto more = (*c)->poll(10, 200ms);
    REQUIRE(more);
    again.insert(again.end(), more->begin(), more->end());
  }
  REQUIRE(again.size() == 5);
  CHECK(again[0].offset == 0);
  (*c)->close();
  auto closed = (*c)->poll(1, 10ms);
  REQUIRE_FALSE(closed);
  CHECK(closed.error() == errc::closed);

  auto beyond = f.bus->assign({{"fp.test.reader", 0, 50}});
  REQUIRE(beyond);
  fp::expected<std::vector<message>> r = std::vector<message>{};
  for (int i = 0; i < 20 && r; ++i)
    r = (*beyond)->poll(10, 200ms);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::offset_out_of_range);
}

TEST_CASE("cooperative-sticky members: incremental assign, commits, revoke on close") {
  cluster_fixture f({{"fp.test.coop", 3}},
                    {{"partition.assignment.strategy", "cooperative-sticky"}});
  for (int i = 0; i < 9; ++i)
    REQUIRE(f.bus->produce({"fp.test.coop", "k" + std::to_string(i), "v", {}, {}}));
  std::vector<topic_partition> assigned, revoked;
  group_options g;
  g.group_id = "fp.test.coop.g";
  g.topics = {"fp.test.coop"};
  g.session_timeout = 6000ms;
  g.on_assigned = [&](const std::vector<topic_partition>& tps) {
    assigned.insert(assigned.end(), tps.begin(), tps.end());
  };
  g.on_revoked = [&](const std::vector<topic_partition>& tps) {
    revoked.insert(revoked.end(), tps.begin(), tps.end());
  };
  auto c = f.bus->subscribe(g);
  REQUIRE(c);
  std::vector<message> got;
  for (int i = 0; i < 150 && got.size() < 9; ++i) {
    auto more = (*c)->poll(16, 100ms);
    REQUIRE(more);
    got.insert(got.end(), more->begin(), more->end());
  }
  REQUIRE(got.size() == 9);
  CHECK(assigned.size() == 3);
  CHECK((*c)->assignment().size() == 3);
  std::vector<topic_partition_offset> next;
  for (auto& tp : (*c)->assignment())
    next.push_back({tp.topic, tp.partition, 1});
  REQUIRE((*c)->commit(next));
  (*c)->close();
  CHECK(revoked.size() == 3);
  auto lag = f.bus->lag("fp.test.coop.g", "fp.test.coop");
  REQUIRE(lag);
  for (auto& l : *lag)
    CHECK(l.committed == 1);
  CHECK(f.bus->stats().commits == 1);
  CHECK(f.bus->stats().consumed == 9);
}

TEST_CASE("a small local queue: produce_async waits for room and every record is delivered") {
  // Reported records count against queue.buffering.max.messages until they are freed, which
  // the next producing call does: a full queue must free them rather than wait for nothing.
  cluster_fixture f({{"fp.test.small", 3}}, {}, {{"queue.buffering.max.messages", "16"}});
  constexpr int n = 600;
  std::mutex mu;
  std::map<int, fp::origin_offset> acked;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    auto key = "k" + std::to_string(i % 7);
    auto value = "v" + std::to_string(i);
    const header_view hs[] = {{"i", value}};
    auto done = [&, i](fp::expected<fp::origin_offset> o) {
      std::lock_guard g{mu};
      if (o)
        acked[i] = *o;
      else
        failed++;
    };
    if (i % 2 == 0)
      f.bus->produce_async({"fp.test.small", key, value, {{"i", value}}, {}}, done);
    else
      f.bus->produce_async_view({"fp.test.small", key, value, hs, {}}, done);
    if (i % 100 == 0) // a durable produce among them
      REQUIRE(f.bus->produce({"fp.test.small", key, "sync", {}, {}}));
  }
  REQUIRE(f.bus->flush(30s));
  std::lock_guard g{mu};
  CHECK(failed == 0);
  REQUIRE(acked.size() == n);
  CHECK(f.bus->stats().produced == n + n / 100);
  std::map<std::int32_t, std::int64_t> last;
  for (auto& [i, o] : acked) { // call order within each partition
    CHECK(o.partition == partition_for("k" + std::to_string(i % 7), 3));
    CHECK(last.emplace(o.partition, -1).first->second < o.offset);
    last[o.partition] = o.offset;
  }
}

TEST_CASE("poll_each: a callback that throws stops the call, seek reads the rest again") {
  cluster_fixture f({{"fp.test.each", 1}});
  for (int i = 0; i < 10; ++i)
    REQUIRE(f.bus->produce({"fp.test.each", "k", "v" + std::to_string(i), {}, {}}));
  auto c = f.bus->assign({{"fp.test.each", 0, 0}});
  REQUIRE(c);
  std::vector<std::int64_t> seen;
  bool thrown = false;
  for (int i = 0; i < 100 && !thrown; ++i) {
    try {
      auto got = (*c)->poll_each(10, 200ms, [&](const message_view& m) {
        if (m.offset == 2)
          throw std::runtime_error("refused");
        seen.push_back(m.offset);
      });
      REQUIRE(got);
    } catch (const std::runtime_error&) {
      thrown = true;
    }
  }
  REQUIRE(thrown);
  CHECK(seen == std::vector<std::int64_t>{0, 1});
  REQUIRE((*c)->seek({"fp.test.each", 0, 3}));
  for (int i = 0; i < 100 && seen.size() < 9; ++i) {
    auto got = (*c)->poll_each(10, 200ms, [&](const message_view& m) {
      seen.push_back(m.offset);
      CHECK(m.value == "v" + std::to_string(m.offset));
    });
    REQUIRE(got);
  }
  CHECK(seen == std::vector<std::int64_t>{0, 1, 3, 4, 5, 6, 7, 8, 9});
}
