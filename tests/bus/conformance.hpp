#pragma once

// The bus conformance suite (issue 4 §1): one set of doctest cases that every backend passes.
// A backend's test file defines a harness and instantiates the suite once:
//
//   struct my_harness : fp::bus::conformance::bus_harness { ... };
//   FP_BUS_CONFORMANCE_SUITE("embedded", std::make_unique<my_harness>())
//
// Every case makes its own topics and groups (names from `unique`), so the cases share nothing
// and a broker that cannot delete topics (the librdkafka mock) is fine. Volumes are small (the
// mock keeps 5 MiB per partition) and only three cases use groups (a first join costs ~3 s
// there). The cases assert keys, partitions, offsets, bytes and counts, never timing: waits
// are bounded by `patience()` only so that a broken backend fails instead of hanging.

#include "bus/admin_event.hpp"
#include "bus/event_bus.hpp"
#include "bus/partitioner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace fp::bus::conformance {

/// What the suite needs from a backend.
struct bus_harness {
  virtual ~bus_harness() = default;
  virtual event_bus& bus() = 0;
  /// Closes the bus and opens it again over the same storage (embedded: the same journal
  /// directory; kafka: a new client against the same cluster).
  virtual void restart() = 0;
  /// The session timeout group members of this backend use in the suite.
  virtual std::chrono::milliseconds session_timeout() const = 0;
  /// Creates a topic as the suite's admin (and the control topic before it, if need be). A
  /// backend whose test broker serves no CreateTopics pre-creates it its own way.
  virtual void make_topic(const topic_spec& spec) {
    static const admin_context who{"conformance", "suite setup", "2026-01-01T00:00:00Z"};
    auto& b = bus();
    if (spec.name != control_topic) {
      auto c = b.create_topic({std::string(control_topic), 1, -1, -1}, who);
      REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().to_string()));
    }
    auto t = b.create_topic(spec, who);
    REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().to_string()));
  }
  /// A name no earlier case (or earlier run against the same broker) used.
  virtual std::string unique(std::string_view base) {
    return "conf." + std::string(base) + "." + std::to_string(++counter_);
  }
  /// Upper bound for any wait (group joins, deliveries). Not a speed assertion.
  virtual std::chrono::milliseconds patience() const { return std::chrono::seconds(45); }

private:
  int counter_ = 0;
};

inline std::string value_for(const std::string& topic, int i) {
  std::string v = topic + "#" + std::to_string(i) + "|";
  v.push_back('\0'); // values are bytes, not C strings
  v += std::string(static_cast<std::size_t>(i % 7), static_cast<char>(0xff));
  return v;
}

/// Produces `n` records with keys `k0..k{keys-1}` and returns their origins in call order.
inline std::vector<fp::origin_offset> produce_n(event_bus& b, const std::string& topic, int n,
                                                int keys, int from = 0) {
  std::vector<fp::origin_offset> out;
  for (int i = from; i < from + n; ++i) {
    produce_record r;
    r.topic = topic;
    r.key = "k" + std::to_string(i % keys);
    r.value = value_for(topic, i);
    auto o = b.produce(std::move(r));
    REQUIRE_MESSAGE(o.has_value(), (o ? "" : o.error().to_string()));
    out.push_back(*o);
  }
  return out;
}

/// Polls until `enough(all received)` or the harness's patience runs out.
template <class Pred>
std::vector<message> poll_until(bus_harness& h, consumer& c, Pred enough,
                                std::vector<message> got = {}) {
  auto deadline = std::chrono::steady_clock::now() + h.patience();
  while (!enough(got) && std::chrono::steady_clock::now() < deadline) {
    auto batch = c.poll(64, std::chrono::milliseconds(200));
    REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().to_string()));
    for (auto& m : *batch)
      got.push_back(std::move(m));
  }
  return got;
}

inline auto at_least(std::size_t n) {
  return [n](const std::vector<message>& got) { return got.size() >= n; };
}

inline std::vector<topic_partition_offset> all_from(const std::string& topic, int partitions,
                                                    std::int64_t offset = 0) {
  std::vector<topic_partition_offset> out;
  for (int p = 0; p < partitions; ++p)
    out.push_back({topic, p, offset});
  return out;
}

/// The next offsets after what `got` holds, one per partition.
inline std::vector<topic_partition_offset> next_offsets(const std::vector<message>& got) {
  std::map<topic_partition, std::int64_t> next;
  for (auto& m : got) {
    auto& n = next[{m.topic, m.partition}];
    n = std::max(n, m.offset + 1);
  }
  std::vector<topic_partition_offset> out;
  for (auto& [tp, off] : next)
    out.push_back({tp.topic, tp.partition, off});
  return out;
}

inline group_options group(bus_harness& h, const std::string& id, const std::string& topic,
                           const std::string& member) {
  group_options g;
  g.group_id = id;
  g.topics = {topic};
  g.member_name = member;
  g.reset = offset_reset::earliest;
  g.session_timeout = h.session_timeout();
  return g;
}

// -- the cases ----------------------------------------------------------------------------------

/// Same key -> same partition as `partition_for`; offsets gap-free from 0 per partition; a
/// reader sees each partition in produce order with the exact bytes.
inline void ordering_and_offsets(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("order");
  h.make_topic({topic, 4, -1, -1});
  auto origins = produce_n(b, topic, 40, 10);
  std::map<int, std::int64_t> next;
  for (int i = 0; i < 40; ++i) {
    auto& o = origins[static_cast<std::size_t>(i)];
    CHECK(o.topic == topic);
    CHECK(o.partition == partition_for("k" + std::to_string(i % 10), 4));
    CHECK(o.offset == next[o.partition]++);
  }
  auto info = b.describe_topic(topic);
  REQUIRE(info.has_value());
  REQUIRE(info->partitions.size() == 4);
  for (auto& p : info->partitions) {
    CHECK(p.low == 0);
    CHECK(p.high == next[p.partition]);
  }
  auto c = b.assign(all_from(topic, 4));
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().to_string()));
  auto got = poll_until(h, **c, at_least(40));
  REQUIRE(got.size() == 40);
  std::map<int, std::vector<message>> by_partition;
  for (auto& m : got)
    by_partition[m.partition].push_back(m);
  for (int i = 0; i < 40; ++i) {
    auto& o = origins[static_cast<std::size_t>(i)];
    auto& list = by_partition[o.partition];
    auto it = std::find_if(list.begin(), list.end(), [&](auto& m) { return m.offset == o.offset; });
    REQUIRE(it != list.end());
    CHECK(it->key == "k" + std::to_string(i % 10));
    CHECK(it->value == value_for(topic, i));
    CHECK(it->origin() == o);
  }
  for (auto& [p, list] : by_partition)
    for (std::size_t i = 0; i < list.size(); ++i)
      CHECK(list[i].offset == static_cast<std::int64_t>(i));
  auto more = (*c)->poll(8, std::chrono::milliseconds(50));
  REQUIRE(more.has_value());
  CHECK(more->empty());
  (*c)->close();
}

/// Headers (order, duplicates, binary), an explicit partition, empty key and value.
inline void headers_round_trip(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("headers");
  h.make_topic({topic, 3, -1, -1});
  produce_record r;
  r.topic = topic;
  r.key = "";
  r.value = "";
  r.partition = 2;
  r.headers = {{"fp.schema", "x.v1"}, {"trace", std::string("a\0b", 3)}, {"trace", "second"}};
  auto o = b.produce(r);
  REQUIRE_MESSAGE(o.has_value(), (o ? "" : o.error().to_string()));
  CHECK(o->partition == 2);
  CHECK(o->offset == 0);
  auto c = b.assign({{topic, 2, 0}});
  REQUIRE(c.has_value());
  auto got = poll_until(h, **c, at_least(1));
  REQUIRE(got.size() == 1);
  CHECK(got[0].headers == r.headers);
  CHECK(got[0].key.empty());
  CHECK(got[0].value.empty());
  CHECK(got[0].timestamp_ms > 0);
}

/// Many async produces: every callback succeeds, offsets are gap-free per partition and each
/// partition keeps call order.
inline void async_produce(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("async");
  h.make_topic({topic, 2, -1, -1});
  constexpr int n = 200;
  std::mutex mu;
  std::map<int, fp::origin_offset> acked;
  std::vector<std::string> failures;
  for (int i = 0; i < n; ++i) {
    produce_record r;
    r.topic = topic;
    r.key = "k" + std::to_string(i % 5);
    r.value = value_for(topic, i);
    b.produce_async(std::move(r), [&, i](expected<fp::origin_offset> o) {
      std::lock_guard g{mu};
      if (o)
        acked[i] = *o;
      else
        failures.push_back(o.error().to_string());
    });
  }
  auto f = b.flush(h.patience());
  REQUIRE_MESSAGE(f.has_value(), (f ? "" : f.error().to_string()));
  std::lock_guard g{mu};
  CHECK(failures.empty());
  REQUIRE(acked.size() == n);
  std::map<int, std::int64_t> next;
  for (auto& [i, o] : acked) { // call order
    CHECK(o.partition == partition_for("k" + std::to_string(i % 5), 2));
    CHECK(o.offset == next[o.partition]++);
  }
}

/// The view paths: `produce_async_view` stores what `produce_async` would (partition, call
/// order, bytes, headers), and `poll_each` hands over what `poll` would, as views that stay
/// valid during the call; it counts in `stats().consumed`, hands nothing when `max` is 0 or
/// nothing is left, and reports the same errors.
inline void view_paths(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("views");
  h.make_topic({topic, 2, -1, -1});
  constexpr int n = 30;
  std::mutex mu;
  std::map<int, fp::origin_offset> acked;
  std::vector<std::string> failures;
  for (int i = 0; i < n; ++i) {
    auto key = i % 3 == 0 ? std::string() : "k" + std::to_string(i % 4);
    auto value = value_for(topic, i);
    auto seq = std::to_string(i);
    const header_view hs[] = {{"fp.schema", "x.v1"}, {"seq", seq}, {"bin", {"a\0b", 3}}};
    std::span<const header_view> headers{hs, static_cast<std::size_t>(i % 4)};
    b.produce_async_view({topic, key, value, headers, std::nullopt},
                         [&, i](expected<fp::origin_offset> o) {
                           std::lock_guard g{mu};
                           if (o)
                             acked[i] = *o;
                           else
                             failures.push_back(o.error().to_string());
                         });
  }
  auto f = b.flush(h.patience());
  REQUIRE_MESSAGE(f.has_value(), (f ? "" : f.error().to_string()));
  {
    std::lock_guard g{mu};
    CHECK(failures.empty());
    REQUIRE(acked.size() == n);
    std::map<int, std::int64_t> next;
    for (auto& [i, o] : acked) { // call order
      auto key = i % 3 == 0 ? std::string() : "k" + std::to_string(i % 4);
      CHECK(o.topic == topic);
      if (!key.empty())
        CHECK(o.partition == partition_for(key, 2));
      CHECK(o.offset == next[o.partition]++);
    }
  }

  auto c = b.assign(all_from(topic, 2));
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().to_string()));
  auto none = (*c)->poll_each(0, std::chrono::milliseconds(10),
                              [](const message_view&) { FAIL("max 0 hands nothing over"); });
  REQUIRE(none.has_value());
  CHECK(*none == 0);
  auto consumed_before = b.stats().consumed;
  std::vector<message> got; // copied out during the calls
  auto deadline = std::chrono::steady_clock::now() + h.patience();
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::size_t seen = 0;
    auto k = (*c)->poll_each(7, std::chrono::milliseconds(200), [&](const message_view& m) {
      ++seen;
      got.push_back(m.to_message());
      CHECK(m.origin() == got.back().origin());
    });
    REQUIRE_MESSAGE(k.has_value(), (k ? "" : k.error().to_string()));
    CHECK(*k <= 7);
    CHECK(*k == seen);
  }
  REQUIRE(got.size() == n);
  CHECK(b.stats().consumed == consumed_before + n);
  std::map<int, std::int64_t> next;
  for (auto& m : got) {
    CHECK(m.topic == topic);
    CHECK(m.offset == next[m.partition]++); // partition order
    CHECK(m.timestamp_ms > 0);
    auto it = std::find_if(acked.begin(), acked.end(), [&](auto& a) {
      return a.second.partition == m.partition && a.second.offset == m.offset;
    });
    REQUIRE(it != acked.end());
    int i = it->first;
    CHECK(m.key == (i % 3 == 0 ? std::string() : "k" + std::to_string(i % 4)));
    CHECK(m.value == value_for(topic, i));
    headers want{
        {"fp.schema", "x.v1"}, {"seq", std::to_string(i)}, {"bin", std::string("a\0b", 3)}};
    want.resize(static_cast<std::size_t>(i % 4));
    CHECK(m.headers == want);
  }
  auto more = (*c)->poll_each(8, std::chrono::milliseconds(50),
                              [](const message_view&) { FAIL("nothing is left"); });
  REQUIRE(more.has_value());
  CHECK(*more == 0);
  // Replay through seek: the same bytes again.
  REQUIRE((*c)->seek({topic, 0, 0}).has_value());
  std::size_t again = 0;
  while (again < static_cast<std::size_t>(next[0]) && std::chrono::steady_clock::now() < deadline) {
    auto k = (*c)->poll_each(64, std::chrono::milliseconds(200), [&](const message_view& m) {
      CHECK(m.partition == 0);
      CHECK(m.offset == static_cast<std::int64_t>(again));
      ++again;
    });
    REQUIRE(k.has_value());
  }
  CHECK(again == static_cast<std::size_t>(next[0]));
  (*c)->close();
  auto closed = (*c)->poll_each(1, std::chrono::milliseconds(10), [](const message_view&) {});
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().is(errc::closed));
}

/// Topics are explicit: unknown ones are refused, bad names and shapes named, creation is
/// idempotent for the same shape and emits an AdminEvent on the control topic.
inline void topics_are_explicit(bus_harness& h) {
  auto& b = h.bus();
  auto missing = h.unique("never-created");
  produce_record r{missing, "k", "v", {}, std::nullopt};
  auto o = b.produce(r);
  REQUIRE_FALSE(o.has_value());
  CHECK(o.error().is(errc::unknown_topic));
  CHECK(o.error().message().find(missing) != std::string::npos);
  auto d = b.describe_topic(missing);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().is(errc::unknown_topic));

  auto topic = h.unique("admin");
  h.make_topic({topic, 2, -1, -1});
  admin_context who{"conformance", "again", "2026-01-01T00:00:05Z"};
  auto same = b.create_topic({topic, 2, -1, -1}, who);
  REQUIRE_MESSAGE(same.has_value(), (same ? "" : same.error().to_string()));
  CHECK(same->spec.partitions == 2);
  auto other = b.create_topic({topic, 3, -1, -1}, who);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().is(errc::topic_exists));
  auto bad_name = b.create_topic({"no spaces allowed", 1, -1, -1}, who);
  REQUIRE_FALSE(bad_name.has_value());
  CHECK(bad_name.error().is(errc::invalid_argument));
  auto bad_parts = b.create_topic({h.unique("zero"), 0, -1, -1}, who);
  REQUIRE_FALSE(bad_parts.has_value());
  CHECK(bad_parts.error().is(errc::invalid_argument));
  CHECK(bad_parts.error().message().find("partitions") != std::string::npos);
  r.topic = topic;
  r.partition = 2;
  o = b.produce(r);
  REQUIRE_FALSE(o.has_value());
  CHECK(o.error().is(errc::invalid_argument));
  auto listed = b.list_topics();
  REQUIRE(listed.has_value());
  CHECK(std::find(listed->begin(), listed->end(), topic) != listed->end());

  // The creation left an AdminEvent naming the topic on the control topic.
  auto ctl = b.describe_topic(control_topic);
  REQUIRE(ctl.has_value());
  std::vector<topic_partition_offset> from;
  std::size_t total = 0;
  for (auto& p : ctl->partitions) {
    from.push_back({std::string(control_topic), p.partition, p.low});
    total += static_cast<std::size_t>(p.high - p.low);
  }
  auto c = b.assign(from);
  REQUIRE(c.has_value());
  auto got = poll_until(h, **c, at_least(total));
  int creations = 0;
  for (auto& m : got) {
    auto e = decode_admin_event(m.value);
    if (!e || e->targets != std::vector<std::string>{topic})
      continue;
    CHECK(e->action_type == action_create_topic);
    REQUIRE(e->after.has_value());
    CHECK(e->after->partitions == 2);
    CHECK(m.headers == headers{{std::string(schema_header), std::string(admin_event_schema)}});
    ++creations;
  }
  CHECK(creations == 1); // the no-op and the refused shape emitted nothing
}

/// Two members of one group split the partitions (each owned by exactly one) and together
/// receive every record once; a commit for a partition a member does not own is refused.
inline void group_split(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("split");
  auto gid = h.unique("g-split");
  h.make_topic({topic, 4, -1, -1});
  auto a = b.subscribe(group(h, gid, topic, "a"));
  REQUIRE_MESSAGE(a.has_value(), (a ? "" : a.error().to_string()));
  auto deadline = std::chrono::steady_clock::now() + h.patience();
  while ((*a)->assignment().size() != 4 && std::chrono::steady_clock::now() < deadline)
    REQUIRE((*a)->poll(16, std::chrono::milliseconds(200)).has_value());
  REQUIRE((*a)->assignment().size() == 4);
  auto bm = b.subscribe(group(h, gid, topic, "b"));
  REQUIRE(bm.has_value());
  auto settled = [&] {
    auto x = (*a)->assignment(), y = (*bm)->assignment();
    std::set<topic_partition> all(x.begin(), x.end());
    all.insert(y.begin(), y.end());
    return !x.empty() && !y.empty() && all.size() == 4 && x.size() + y.size() == 4;
  };
  while (!settled() && std::chrono::steady_clock::now() < deadline) {
    REQUIRE((*a)->poll(16, std::chrono::milliseconds(100)).has_value());
    REQUIRE((*bm)->poll(16, std::chrono::milliseconds(100)).has_value());
  }
  REQUIRE(settled());
  auto origins = produce_n(b, topic, 40, 16);
  std::vector<message> got_a, got_b;
  while (got_a.size() + got_b.size() < 40 && std::chrono::steady_clock::now() < deadline) {
    for (auto [c, got] : {std::pair{a->get(), &got_a}, std::pair{bm->get(), &got_b}}) {
      auto batch = c->poll(64, std::chrono::milliseconds(100));
      REQUIRE(batch.has_value());
      got->insert(got->end(), batch->begin(), batch->end());
    }
  }
  CHECK(got_a.size() + got_b.size() == 40);
  auto owned = [](consumer& c, const message& m) {
    auto as = c.assignment();
    return std::find(as.begin(), as.end(), topic_partition{m.topic, m.partition}) != as.end();
  };
  for (auto& m : got_a)
    CHECK(owned(**a, m));
  for (auto& m : got_b)
    CHECK(owned(**bm, m));
  std::set<std::pair<int, std::int64_t>> seen;
  for (auto* got : {&got_a, &got_b})
    for (auto& m : *got)
      CHECK(seen.insert({m.partition, m.offset}).second);
  auto not_mine = (*bm)->assignment().front();
  auto refused = (*a)->commit({{not_mine.topic, not_mine.partition, 0}});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().is(errc::not_assigned));
  REQUIRE((*a)->commit(next_offsets(got_a)).has_value());
  REQUIRE((*bm)->commit(next_offsets(got_b)).has_value());
  (*a)->close();
  (*bm)->close();
}

/// A member commits part of what it read and closes; after a restart of the bus a new member
/// of the group starts at the checkpoint, and lag reports the rest. Records read but never
/// committed (a crash before the commit) are delivered again.
inline void resume_and_redeliver(bus_harness& h) {
  auto topic = h.unique("resume");
  auto gid = h.unique("g-resume");
  h.make_topic({topic, 1, -1, -1});
  produce_n(h.bus(), topic, 10, 3);
  {
    auto c = h.bus().subscribe(group(h, gid, topic, "first"));
    REQUIRE(c.has_value());
    auto got = poll_until(h, **c, at_least(10));
    REQUIRE(got.size() == 10);
    for (int i = 0; i < 10; ++i)
      CHECK(got[static_cast<std::size_t>(i)].offset == i);
    // Side effects of offsets 0..5 are done: commit 6. 6..9 are read but not done.
    REQUIRE((*c)->commit({{topic, 0, 6}}).has_value());
    (*c)->close();
  }
  auto lag = h.bus().lag(gid, topic);
  REQUIRE_MESSAGE(lag.has_value(), (lag ? "" : lag.error().to_string()));
  REQUIRE(lag->size() == 1);
  CHECK((*lag)[0].committed == 6);
  CHECK((*lag)[0].high == 10);
  CHECK((*lag)[0].lag == 4);
  h.restart();
  auto c = h.bus().subscribe(group(h, gid, topic, "second"));
  REQUIRE(c.has_value());
  auto got = poll_until(h, **c, at_least(4));
  REQUIRE(got.size() == 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(got[static_cast<std::size_t>(i)].offset == 6 + i);
    CHECK(got[static_cast<std::size_t>(i)].value == value_for(topic, 6 + i));
  }
  REQUIRE((*c)->commit({{topic, 0, 10}}).has_value());
  lag = h.bus().lag(gid, topic);
  REQUIRE(lag.has_value());
  CHECK((*lag)[0].lag == 0);
  auto other = h.bus().lag(h.unique("g-none"), topic);
  REQUIRE(other.has_value());
  CHECK((*other)[0].committed == -1);
  CHECK((*other)[0].lag == 10);
  (*c)->close();
}

/// `assign` + `seek`: replay a pinned range, again and again, with the same bytes.
inline void seek_replay(bus_harness& h) {
  auto& b = h.bus();
  auto topic = h.unique("replay");
  h.make_topic({topic, 1, -1, -1});
  produce_n(b, topic, 20, 1);
  auto c = b.assign({{topic, 0, 5}});
  REQUIRE(c.has_value());
  auto first = poll_until(h, **c, at_least(5));
  REQUIRE(first.size() >= 5);
  for (int i = 0; i < 5; ++i)
    CHECK(first[static_cast<std::size_t>(i)].offset == 5 + i);
  REQUIRE((*c)->seek({topic, 0, 2}).has_value());
  auto again = poll_until(h, **c, at_least(18));
  REQUIRE(again.size() == 18);
  for (int i = 0; i < 18; ++i) {
    CHECK(again[static_cast<std::size_t>(i)].offset == 2 + i);
    CHECK(again[static_cast<std::size_t>(i)].value == value_for(topic, 2 + i));
  }
  auto bad = (*c)->seek({topic, 1, 0});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().is(errc::not_assigned));
  auto unknown = b.assign({{h.unique("nope"), 0, 0}});
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().is(errc::unknown_topic));
}

} // namespace fp::bus::conformance

/// Instantiates every conformance case for one backend. `NAME` is a string literal prefixing
/// the case names; `MAKE_HARNESS` an expression giving a std::unique_ptr<bus_harness>, called
/// once per case.
#define FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, TITLE, FN)                                     \
  TEST_CASE(NAME ": " TITLE) {                                                                     \
    auto harness_ = MAKE_HARNESS;                                                                  \
    ::fp::bus::conformance::FN(*harness_);                                                         \
  }

#define FP_BUS_CONFORMANCE_SUITE(NAME, MAKE_HARNESS)                                               \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "ordering per partition and offsets",                \
                          ordering_and_offsets)                                                    \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "headers round-trip", headers_round_trip)            \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "async produce", async_produce)                      \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "view paths: produce_async_view, poll_each",         \
                          view_paths)                                                              \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "topics are explicit", topics_are_explicit)          \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "group split across two consumers", group_split)     \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "restart resumes, uncommitted is redelivered",       \
                          resume_and_redeliver)                                                    \
  FP_BUS_CONFORMANCE_CASE(NAME, MAKE_HARNESS, "seek and replay of a pinned range", seek_replay)
