#include "journal/tables.hpp"
#include "journal/journal.hpp"
#include "journal/verify.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <unistd.h>

using namespace fp::journal;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("fp-tables-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<journal> open_at(const std::filesystem::path& dir, options o = {}) {
  o.dir = dir;
  auto j = journal::open(o);
  REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
  return std::move(*j);
}

table open_tbl(journal& j, std::string_view name) {
  auto t = j.open_table(name);
  REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().to_string()));
  return *t;
}

void require_ok(const fp::expected<std::uint64_t>& r) {
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
}

} // namespace

TEST_CASE("tables: names are checked, a name opens the same table twice") {
  temp_dir dir;
  auto j = open_at(dir.path);
  for (auto bad : {"", "Upper", "events", "meta", "a/b", std::string(65, 'a').c_str()}) {
    auto t = j->open_table(bad);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().is(errc::invalid_argument));
  }
  auto a = open_tbl(*j, "bus.log");
  auto b = open_tbl(*j, "bus.log");
  CHECK(a.dbi == b.dbi);
  CHECK(open_tbl(*j, "bus.topics").dbi != a.dbi);
}

TEST_CASE("tables: put, get, delete, seek and scan inside the group commit") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto t = open_tbl(*j, "kv");
  require_ok(j->transact([&](txn_context& tx) -> fp::expected<void> {
    for (auto k : {"a/1", "a/2", "a/3", "b/1", "c"})
      if (auto ok = tx.put(t, k, std::string("v") + k, put_mode::no_overwrite); !ok)
        return ok;
    auto again = tx.put(t, "a/1", "x", put_mode::no_overwrite);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().is(errc::object_conflict));
    auto out_of_order = tx.put(t, "a/0", "x", put_mode::append);
    REQUIRE_FALSE(out_of_order.has_value());
    CHECK(out_of_order.error().is(errc::object_conflict));
    REQUIRE(tx.put(t, "d", "vd", put_mode::append).has_value());
    REQUIRE(tx.put(t, "c", "vc2", put_mode::upsert).has_value());
    auto last = tx.seek_last(t, "a/");
    REQUIRE(last.has_value());
    REQUIRE(last->has_value());
    CHECK((*last)->first == "a/3");
    auto first = tx.seek_first(t, "a/");
    REQUIRE(first.has_value());
    CHECK((*first)->first == "a/1");
    CHECK((*first)->second == "va/1");
    auto none = tx.seek_last(t, "zz");
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
    auto g = tx.get(t, "c");
    REQUIRE(g.has_value());
    CHECK(**g == "vc2");
    return {};
  }));
  auto v = j->get_table(t, "a/2");
  REQUIRE(v.has_value());
  CHECK(*v == std::optional<std::string>("va/2"));
  CHECK_FALSE(j->get_table(t, "nope")->has_value());
  require_ok(j->transact([&](txn_context& tx) -> fp::expected<void> {
    auto n = tx.del_range(t, "a/", "a/3");
    REQUIRE(n.has_value());
    CHECK(*n == 2);
    CHECK(*tx.del(t, "d") == true);
    CHECK(*tx.del(t, "d") == false);
    return {};
  }));
  std::vector<std::string> keys;
  auto n = j->read_table(t, "", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  require_ok(n);
  CHECK(keys == std::vector<std::string>{"a/3", "b/1", "c"});
}

TEST_CASE("tables: a failing function rolls back only its own writes") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto t = open_tbl(*j, "kv");
  std::promise<fp::expected<std::uint64_t>> good, bad;
  // Queued together, these usually share one commit; the outcome is the same either way.
  j->transact_async(
      [&](txn_context& tx) -> fp::expected<void> {
        if (auto ok = tx.put(t, "bad/1", "x"); !ok)
          return ok;
        return fp::error{errc::invalid_argument, "refused by the caller's rule"};
      },
      [&](fp::expected<std::uint64_t> r) { bad.set_value(std::move(r)); });
  j->transact_async([&](txn_context& tx) { return tx.put(t, "good/1", "y"); },
                    [&](fp::expected<std::uint64_t> r) { good.set_value(std::move(r)); });
  auto b = bad.get_future().get();
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().is(errc::invalid_argument));
  CHECK(b.error().message() == "refused by the caller's rule");
  require_ok(good.get_future().get());
  CHECK_FALSE(j->get_table(t, "bad/1")->has_value());
  CHECK(*j->get_table(t, "good/1") == std::optional<std::string>("y"));
}

TEST_CASE("tables: a refusal in a shared commit fails only its own request, after the batch is "
          "written again") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto t = open_tbl(*j, "kv");
  // The writer is held inside a first write while the others queue: they form one batch.
  std::promise<void> release, entered;
  auto released = release.get_future().share();
  std::atomic<bool> once{false};
  std::promise<fp::expected<std::uint64_t>> held;
  j->transact_async(
      [&](txn_context& tx) -> fp::expected<void> {
        if (!once.exchange(true))
          entered.set_value();
        released.wait();
        return tx.put(t, "held", "h");
      },
      [&](fp::expected<std::uint64_t> r) { held.set_value(std::move(r)); });
  entered.get_future().wait();
  std::atomic<int> runs_b{0}, runs_c{0}, runs_d{0};
  std::promise<fp::expected<append_result>> b, c, e;
  std::promise<fp::expected<std::uint64_t>> d;
  auto done_into = [](auto& p) { return [&p](auto r) { p.set_value(std::move(r)); }; };
  j->append_async(
      "acct-b", 0, {event_data{"opened", 1, "b"}},
      [&](txn_context& tx) -> fp::expected<void> {
        ++runs_b;
        return tx.put(t, "b/1", "record b");
      },
      done_into(b));
  j->append_async(
      "acct-c", 0, {event_data{"opened", 1, "c"}},
      [&](txn_context& tx) -> fp::expected<void> {
        ++runs_c;
        if (auto ok = tx.put(t, "c/1", "record c"); !ok)
          return ok;
        return fp::error{errc::invalid_argument, "refused by the caller's rule"};
      },
      done_into(c));
  j->transact_async(
      [&](txn_context& tx) -> fp::expected<void> {
        ++runs_d;
        return tx.put(t, "d/1", "record d");
      },
      done_into(d));
  j->append_async("acct-e", 0, {event_data{"opened", 1, "e"}}, done_into(e));
  release.set_value();
  require_ok(held.get_future().get());
  auto rb = b.get_future().get();
  auto rc = c.get_future().get();
  auto rd = d.get_future().get();
  auto re = e.get_future().get();
  REQUIRE(rb.has_value());
  REQUIRE(re.has_value());
  require_ok(rd);
  REQUIRE_FALSE(rc.has_value());
  CHECK(rc.error().is(errc::invalid_argument));
  CHECK(rc.error().message() == "refused by the caller's rule");
  // One commit for the three that succeeded; the refused append handed its global seq back.
  CHECK(rb->commit_id == *rd);
  CHECK(re->commit_id == *rd);
  CHECK(rb->first_global == 1);
  CHECK(re->first_global == 2);
  CHECK(*j->head_seq("acct-c") == 0);
  CHECK_FALSE(j->get_table(t, "c/1")->has_value());
  CHECK(*j->get_table(t, "b/1") == std::optional<std::string>("record b"));
  CHECK(*j->get_table(t, "d/1") == std::optional<std::string>("record d"));
  // Straight in the batch until C refused, then the batch again, each in its own nested
  // transaction: D, queued after C, ran only then.
  CHECK(j->stats().table_fn_retries == 1);
  CHECK(runs_b == 2);
  CHECK(runs_c == 2);
  CHECK(runs_d == 1);
  auto report = verify(*j);
  REQUIRE(report.has_value());
  CHECK(report->ok());
  CHECK(report->events == 2);
}

TEST_CASE("tables: an append and its table writes commit together or not at all") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto t = open_tbl(*j, "outbox");
  auto run = [&](std::uint64_t expected, bool fail) {
    std::promise<fp::expected<append_result>> p;
    j->append_async(
        "acct-1", expected, {event_data{"opened", 1, "payload"}},
        [&](txn_context& tx) -> fp::expected<void> {
          if (auto ok = tx.put(t, "published/" + std::to_string(expected), "record"); !ok)
            return ok;
          if (fail)
            return fp::error{errc::invalid_argument, "publish refused"};
          return {};
        },
        [&](fp::expected<append_result> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  auto failed = run(0, true);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().message() == "publish refused");
  CHECK(*j->head_seq("acct-1") == 0);
  CHECK_FALSE(j->get_table(t, "published/0")->has_value());
  auto ok = run(0, false);
  REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().to_string()));
  CHECK(ok->first_seq == 1);
  CHECK(ok->first_global == 1); // the failed append handed its global seq back
  CHECK(*j->get_table(t, "published/0") == std::optional<std::string>("record"));
  auto conflict = run(0, false); // seq conflict: the function does not run its writes
  REQUIRE_FALSE(conflict.has_value());
  CHECK(conflict.error().is(errc::seq_conflict));
  auto report = verify(*j);
  REQUIRE(report.has_value());
  CHECK(report->ok());
  CHECK(report->events == 1);
}

TEST_CASE("tables: the map grows under table writes, reads are chunked, verify and "
          "read-only opens still work") {
  temp_dir dir;
  std::uint64_t written = 0;
  {
    options o;
    o.initial_map_bytes = 1 << 20;
    auto j = open_at(dir.path, o);
    auto t = open_tbl(*j, "bulk");
    std::string value(300, 'v');
    for (int batch = 0; batch < 10; ++batch) {
      require_ok(j->transact([&](txn_context& tx) -> fp::expected<void> {
        for (int i = 0; i < 1000; ++i) {
          char key[16];
          std::snprintf(key, sizeof key, "k%08d", batch * 1000 + i);
          if (auto ok = tx.put(t, key, value, put_mode::append); !ok)
            return ok;
        }
        return {};
      }));
      written += 1000;
    }
    CHECK(j->stats().map_resizes > 0);
    REQUIRE(j->append("acct-1", 0, {event_data{"opened", 1, "x"}}).has_value());
    std::uint64_t seen = 0;
    std::string prev;
    auto n = j->read_table(t, "", [&](std::string_view k, std::string_view v) {
      CHECK(k > prev);
      CHECK(v.size() == 300);
      prev = std::string(k);
      ++seen;
      return true;
    });
    require_ok(n);
    CHECK(seen == written);
  }
  options ro;
  ro.read_only = true;
  auto j = open_at(dir.path, ro);
  auto report = verify(*j);
  REQUIRE(report.has_value());
  CHECK(report->ok());
  auto t = open_tbl(*j, "bulk");
  CHECK(j->get_table(t, "k00000042")->has_value());
  auto missing = j->open_table("never");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().is(errc::not_found));
  std::promise<fp::expected<std::uint64_t>> p;
  j->transact_async([](txn_context&) -> fp::expected<void> { return {}; },
                    [&](fp::expected<std::uint64_t> r) { p.set_value(std::move(r)); });
  CHECK(p.get_future().get().error().is(errc::read_only));
}
