// Retention of the embedded log: time (by an injected clock) and bytes per partition, low
// watermarks that survive a restart, and what readers below `low` get.

#include "bus/admin_event.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "bus/partitioner.hpp"
#include "tests/bus/embedded_fixture.hpp"

#include <doctest/doctest.h>
#include <lmdb.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace fp::bus;
using namespace fp::bus::test;

TEST_CASE("embedded: time retention trims whole records from the low end by the injected clock") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 1, -1, -1}, who).has_value());
  for (int i = 0; i < 10; ++i) {
    f.now = 1000 + i;
    f.produce("t", "v" + std::to_string(i));
  }
  auto changed = f.bus->set_retention("t", 5, -1, who);
  REQUIRE(changed.has_value());
  CHECK(changed->spec.retention_ms == 5);
  f.now = 1012; // keeps timestamps >= 1007: offsets 7, 8, 9
  auto trimmed = enforce_retention(*f.bus);
  REQUIRE(trimmed.has_value());
  CHECK(*trimmed == 7);
  CHECK(f.part("t").low == 7);
  CHECK(f.part("t").high == 10);
  auto got = read_all(*f.bus, "t", 7, 3);
  REQUIRE(got.size() == 3);
  CHECK(got[0].value == "v7");
  CHECK(got[0].timestamp_ms == 1007);
  // An assigned reader below low is told; a group member resets by its policy.
  auto c = f.bus->assign({{"t", 0, 2}});
  REQUIRE(c.has_value());
  auto below = (*c)->poll(10, std::chrono::milliseconds(10));
  REQUIRE_FALSE(below.has_value());
  CHECK(below.error().is(errc::offset_out_of_range));
  group_options g;
  g.group_id = "g";
  g.topics = {"t"};
  auto m = f.bus->subscribe(g);
  REQUIRE(m.has_value());
  auto first = (*m)->poll(10, std::chrono::milliseconds(100));
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 3);
  CHECK(first->front().offset == 7);
  // The change is on the control topic with before and after.
  auto ctl = read_all(*f.bus, std::string(control_topic), 0, 3);
  bool found = false;
  for (auto& msg : ctl) {
    auto e = decode_admin_event(msg.value);
    REQUIRE(e.has_value());
    if (e->action_type != action_set_retention)
      continue;
    found = true;
    CHECK(e->before->retention_ms == -1);
    CHECK(e->after->retention_ms == 5);
    CHECK(e->targets == std::vector<std::string>{"t"});
  }
  CHECK(found);
}

TEST_CASE("embedded: byte retention per partition, low and offsets survive a restart") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 2, -1, 1000}, who).has_value());
  for (int i = 0; i < 20; ++i)
    f.produce("t", std::string(300, 'a' + i % 26), 0);
  f.produce("t", "other partition", 1);
  auto trimmed = enforce_retention(*f.bus);
  REQUIRE(trimmed.has_value());
  auto p0 = f.part("t", 0);
  CHECK(p0.high == 20);
  CHECK(p0.low > 0);
  CHECK(p0.high - p0.low <= 3); // a stored record is 300 bytes of value + header + key
  CHECK(f.part("t", 1).low == 0);
  REQUIRE(f.bus->set_retention("t", -1, 0, who).has_value());
  REQUIRE(enforce_retention(*f.bus).has_value());
  CHECK(f.part("t", 0).low == 20); // everything gone: low == high
  f.close();
  f.open();
  CHECK(f.part("t", 0).low == 20);
  CHECK(f.part("t", 0).high == 20);
  REQUIRE(f.bus->set_retention("t", -1, -1, who).has_value());
  CHECK(f.produce("t", "after restart", 0).offset == 20); // never reused
  auto got = read_all(*f.bus, "t", 20, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].value == "after restart");
}

TEST_CASE("embedded: retention runs by itself after produce batches") {
  fixture f;
  f.close();
  f.open(true);
  REQUIRE(f.bus->create_topic({"t", 1, -1, 2000}, who).has_value());
  for (int i = 0; i < 30; ++i)
    f.produce("t", std::string(300, 'x'));
  for (int i = 0; i < 200 && f.part("t").low == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(f.part("t").low > 0);
}
