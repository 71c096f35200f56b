#include "bus/kafka/mock_cluster.hpp"

#include "bus/kafka/kafka_detail.hpp"

#include <librdkafka/rdkafka_mock.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>

namespace fp::bus {

namespace {

/// The ports of `host:port,host:port,...`.
std::vector<int> ports_of(std::string_view bootstrap) {
  std::vector<int> out;
  while (!bootstrap.empty()) {
    auto comma = bootstrap.find(',');
    auto one = bootstrap.substr(0, comma);
    if (auto colon = one.rfind(':'); colon != std::string_view::npos) {
      int port = 0;
      auto digits = one.substr(colon + 1);
      if (std::from_chars(digits.data(), digits.data() + digits.size(), port).ec == std::errc{})
        out.push_back(port);
    }
    bootstrap = comma == std::string_view::npos ? "" : bootstrap.substr(comma + 1);
  }
  return out;
}

/// The local port of socket `fd`, or -1 (not an IPv4/IPv6 socket, or not a socket).
int local_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  if (a.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

/// librdkafka 2.0.2's mock brokers accept connections without TCP_NODELAY, which every Kafka
/// and Redpanda broker sets. Without it a response written while the previous one is still
/// unacknowledged waits for the client's delayed ACK, 40 ms on Linux: the last produce
/// response of a flush often does, which doubles a 50 ms produce run. A socket accepted on
/// Linux inherits the option from its listener, and the mock offers no handle on its
/// listeners: they are found among this process's descriptors by their ports. Returns how
/// many listeners now have it.
int set_nodelay_on_listeners(const std::vector<int>& ports) {
  int done = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    auto name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{})
      continue;
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0)
      continue;
    if (std::find(ports.begin(), ports.end(), local_port(fd)) == ports.end())
      continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0)
      done++;
  }
  return done;
}

} // namespace

struct mock_cluster::impl {
  kafka::rk_ptr host; ///< the client handle the mock cluster lives in
  rd_kafka_mock_cluster_t* cluster = nullptr;
  ~impl() {
    if (cluster != nullptr)
      rd_kafka_mock_cluster_destroy(cluster);
  }
};

mock_cluster::mock_cluster(std::unique_ptr<impl> p, int brokers)
    : impl_(std::move(p))
    , bootstrap_(rd_kafka_mock_cluster_bootstraps(impl_->cluster))
    , brokers_(brokers)
    , ports_(ports_of(bootstrap_))
    , nodelay_listeners_(set_nodelay_on_listeners(ports_)) {}

mock_cluster::~mock_cluster() = default;

expected<std::unique_ptr<mock_cluster>> mock_cluster::start(int brokers) {
  if (brokers < 1 || brokers > 64)
    return fp::error{errc::invalid_argument,
                     "mock cluster: brokers: must be 1..64, got " + std::to_string(brokers)};
  kafka::conf_ptr conf{rd_kafka_conf_new()};
  std::array<char, 512> reason{};
  rd_kafka_conf_set(conf.get(), "log_level", "3", reason.data(), reason.size());
  auto host = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf));
  if (!host)
    return std::move(host).error();
  auto p = std::make_unique<impl>();
  p->host = std::move(*host);
  p->cluster = rd_kafka_mock_cluster_new(p->host.get(), brokers);
  if (p->cluster == nullptr)
    return fp::error{errc::broker, "mock cluster: could not start " + std::to_string(brokers) +
                                       " brokers (no free local ports?)"};
  return std::unique_ptr<mock_cluster>(new mock_cluster(std::move(p), brokers));
}

expected<void> mock_cluster::create_topic(const topic_spec& spec) {
  if (auto ok = kafka::check_topic_name("mock cluster: create_topic", spec.name); !ok)
    return ok;
  if (spec.partitions < 1)
    return fp::error{errc::invalid_argument, "mock cluster: create_topic " + spec.name +
                                                 ": partitions: must be at least 1"};
  auto err = rd_kafka_mock_topic_create(impl_->cluster, spec.name.c_str(), spec.partitions,
                                        std::min(3, brokers_));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return kafka::to_error(err, "mock cluster: create_topic " + spec.name);
  return {};
}

} // namespace fp::bus
