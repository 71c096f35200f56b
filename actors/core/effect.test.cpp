// Side effects that commit with a command's events (entity.hpp, `effect`).

#include "actors/core/region_impl.hpp"
#include "actors/core/runtime.hpp"
#include "journal/journal.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <unistd.h>

using namespace fp;

namespace {

/// A list of notes; a command may carry a table write that must commit with its note.
struct notes_state {
  std::vector<std::string> notes;
};

struct notes_command {
  std::string note; ///< empty: a query
  std::optional<actors::effect<std::string>> fx;
};

struct notes_def {
  static constexpr std::string_view type = "notes";
  static constexpr std::string_view plane = "test";
  using state = notes_state;
  using command = notes_command;
  using event = std::string;
  using reply = std::vector<std::string>;

  static expected<std::vector<event>> handle(const state&, const command& c) {
    if (c.note.empty())
      return std::vector<event>{};
    return std::vector<event>{c.note};
  }
  static void apply(state& s, const event& e) { s.notes.push_back(e); }
  static reply reply_for(const state& s, const command&) { return s.notes; }
  static journal::event_data encode(const event& e) { return {"notes.added", 1, e}; }
  static expected<event> decode(const journal::record_view& r) { return std::string(r.payload); }
  static std::string encode_state(const state&) { return {}; }
  static expected<state> decode_state(const journal::record_view&) {
    return error{actors::errc::recovery_failed, "notes: no snapshots"};
  }
  static std::uint32_t state_version() { return 1; }
  static nlohmann::json to_json(const state& s) { return s.notes; }
  static std::string fingerprint(const command& c) { return c.note; }
  static std::optional<actors::effect<event>> effect_for(const state&, const command& c,
                                                         const std::vector<event>&) {
    return c.fx;
  }
};

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<journal::journal> j;
  std::unique_ptr<actors::runtime> rt;
  actors::entity_client<notes_def> notes;
  journal::table effects;

  fixture() {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-effect-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    journal::options jo;
    jo.dir = dir;
    auto opened = journal::journal::open(jo);
    REQUIRE(opened);
    j = std::move(*opened);
    auto t = j->open_table("test.effects");
    REQUIRE(t);
    effects = *t;
    auto started = actors::runtime::start(*j, {2});
    REQUIRE(started);
    rt = std::move(*started);
    actors::entity_options o;
    o.snapshot_every = 0;
    notes = actors::detail::start_region<notes_def>(*rt, o);
  }
  ~fixture() {
    notes = {};
    rt.reset();
    j.reset();
    std::filesystem::remove_all(dir);
  }
  std::optional<std::string> table_value(std::string_view key) {
    auto v = j->get_table(effects, key);
    REQUIRE(v);
    return *v;
  }
};

/// An effect that puts `key` and records how its write ended; `fail` makes `fn` refuse.
actors::effect<std::string> put_effect(journal::table t, std::string key,
                                       std::shared_ptr<std::atomic<int>> outcome,
                                       bool fail = false) {
  actors::effect<std::string> fx;
  fx.seal = [](std::vector<std::string>& evs) {
    for (auto& e : evs)
      e += "+sealed";
  };
  fx.fn = [t, key, fail](journal::txn_context& tx) -> expected<void> {
    if (auto ok = tx.put(t, key, "v"); !ok)
      return ok;
    if (fail)
      return error{journal::errc::invalid_argument, "test: the effect refuses"};
    return {};
  };
  fx.complete = [outcome](bool committed) { *outcome = committed ? 1 : 2; };
  return fx;
}

} // namespace

TEST_CASE("an effect commits with the command's events, sealed before they are encoded") {
  fixture f;
  auto outcome = std::make_shared<std::atomic<int>>(0);
  auto r = f.notes.ask("a", {"first", put_effect(f.effects, "k1", outcome)});
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"first+sealed"});
  CHECK(*outcome == 1);
  CHECK(f.table_value("k1") == std::optional<std::string>("v"));
  auto head = f.j->head_seq("notes/a");
  REQUIRE(head);
  CHECK(*head == 1);
  std::vector<std::string> stored;
  REQUIRE(f.j->read_entity("notes/a", 1, [&](const journal::record_view& rv) {
    stored.emplace_back(rv.payload);
    return true;
  }));
  CHECK(stored == std::vector<std::string>{"first+sealed"});
  // Commands without an effect keep working and follow in order.
  auto next = f.notes.ask("a", {"second", std::nullopt});
  REQUIRE(next);
  CHECK(*next == std::vector<std::string>{"first+sealed", "second"});
}

TEST_CASE("a failed effect writes nothing and the entity stays with its journal") {
  fixture f;
  REQUIRE(f.notes.ask("b", {"kept", std::nullopt}));
  auto outcome = std::make_shared<std::atomic<int>>(0);
  auto r = f.notes.ask("b", {"lost", put_effect(f.effects, "k2", outcome, true)});
  REQUIRE_FALSE(r);
  CHECK(r.error().is(actors::errc::persist_failed));
  CHECK(*outcome == 2);
  CHECK_FALSE(f.table_value("k2"));
  auto head = f.j->head_seq("notes/b");
  REQUIRE(head);
  CHECK(*head == 1);
  // The entity reloaded: it is not ahead of its journal, and its next append lands at seq 2.
  auto q = f.notes.ask("b", {"", std::nullopt});
  REQUIRE(q);
  CHECK(*q == std::vector<std::string>{"kept"});
  auto ok = std::make_shared<std::atomic<int>>(0);
  auto again = f.notes.ask("b", {"retried", put_effect(f.effects, "k2", ok)});
  REQUIRE(again);
  CHECK(*again == std::vector<std::string>{"kept", "retried+sealed"});
  CHECK(f.table_value("k2") == std::optional<std::string>("v"));
  head = f.j->head_seq("notes/b");
  REQUIRE(head);
  CHECK(*head == 2);
}

TEST_CASE("effects of many entities share commits and each lands with its own events") {
  fixture f;
  constexpr int n = 64;
  std::vector<std::future<expected<std::vector<std::string>>>> replies;
  std::vector<std::shared_ptr<std::atomic<int>>> outcomes;
  for (int i = 0; i < n; ++i) {
    outcomes.push_back(std::make_shared<std::atomic<int>>(0));
    auto p = std::make_shared<std::promise<expected<std::vector<std::string>>>>();
    replies.push_back(p->get_future());
    f.notes.send("e" + std::to_string(i),
                 {"n" + std::to_string(i),
                  put_effect(f.effects, "key" + std::to_string(i), outcomes.back(), i % 7 == 3)},
                 [p](expected<std::vector<std::string>> r) { p->set_value(std::move(r)); });
  }
  for (int i = 0; i < n; ++i) {
    auto r = replies[i].get();
    bool fails = i % 7 == 3;
    CHECK(r.has_value() == !fails);
    CHECK(*outcomes[i] == (fails ? 2 : 1));
    CHECK(f.table_value("key" + std::to_string(i)).has_value() == !fails);
    auto head = f.j->head_seq("notes/e" + std::to_string(i));
    REQUIRE(head);
    CHECK(*head == (fails ? 0u : 1u));
  }
}
