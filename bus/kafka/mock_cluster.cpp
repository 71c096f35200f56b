#include "bus/kafka/mock_cluster.hpp"

#include "bus/kafka/kafka_detail.hpp"

#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <array>

namespace fp::bus {

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
    , brokers_(brokers) {}

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
