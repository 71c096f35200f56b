// The bus conformance suite against the Kafka backend and librdkafka's mock cluster (real
// Kafka protocol in process). The 2.0.2 mock serves no CreateTopics, so the bus creates topics
// through kafka_options::topic_creator = the mock's own topic creation; everything else
// (refusals, no-ops, the AdminEvent on fp.bus.control.v1) is the backend's normal path.

#include "tests/bus/conformance.hpp"

#include "bus/kafka/kafka_bus.hpp"
#include "bus/kafka/mock_cluster.hpp"

using namespace std::chrono_literals;

namespace {

class kafka_harness final : public fp::bus::conformance::bus_harness {
public:
  kafka_harness() {
    auto m = fp::bus::mock_cluster::start(1);
    REQUIRE_MESSAGE(m.has_value(), (m ? "" : m.error().to_string()));
    mock_ = std::move(*m);
    open();
  }

  fp::bus::event_bus& bus() override { return *bus_; }

  void restart() override {
    bus_.reset();
    open();
  }

  std::chrono::milliseconds session_timeout() const override { return 6000ms; }

private:
  void open() {
    fp::bus::kafka_options o;
    o.bootstrap = mock_->bootstrap();
    o.client_id = "fp-conformance";
    o.common = {{"log_level", "3"}};
    o.topic_creator = [m = mock_.get()](const fp::bus::topic_spec& s) {
      return m->create_topic(s);
    };
    auto b = fp::bus::open_kafka_bus(std::move(o));
    REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error().to_string()));
    bus_ = std::move(*b);
  }

  std::unique_ptr<fp::bus::mock_cluster> mock_;
  std::unique_ptr<fp::bus::event_bus> bus_;
};

} // namespace

FP_BUS_CONFORMANCE_SUITE("kafka", std::make_unique<kafka_harness>())
