#include "journal/object_store.hpp"

#include "journal/journal.hpp"
#include "journal/verify.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

using namespace fp::journal;

namespace {

struct store_fixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fp-objects-test-" + std::to_string(::getpid()));
  std::unique_ptr<journal> j;
  explicit store_fixture(std::size_t inline_max = 256 << 10) {
    std::filesystem::remove_all(dir);
    options o;
    o.dir = dir;
    o.max_inline_object_bytes = inline_max;
    auto opened = journal::open(o);
    REQUIRE(opened);
    j = std::move(*opened);
  }
  ~store_fixture() {
    j.reset();
    std::filesystem::remove_all(dir);
  }
};

} // namespace

TEST_CASE("put returns a sha256 ref, the same bytes again are a no-op, other bytes conflict") {
  store_fixture f;
  object_store store{*f.j};
  auto path = "fraud-platform/platform_20260101T000000Z/ig/receipts/r1.json";
  auto ref = store.put(path, "abc", "v1");
  REQUIRE(ref);
  CHECK(ref->ref == path);
  // sha256("abc")
  CHECK(*ref->digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(*ref->digest_alg == "sha256");
  CHECK(*ref->size_bytes == 3);
  CHECK(*ref->schema_version == "v1");
  auto again = store.put(path, "abc", "v1");
  REQUIRE(again);
  CHECK(*again == *ref);
  auto other = store.put(path, "abd");
  REQUIRE_FALSE(other);
  CHECK(other.error() == errc::object_conflict);
  CHECK(*store.get(path) == "abc");
  CHECK(*store.stat(path) == *ref);
  auto missing = store.get("fraud-platform/nothing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == errc::not_found);
}

TEST_CASE("object paths are validated") {
  for (auto bad : {"", "/abs", "a//b", "a/../b", "a/./b", "a/b/", "a b", "a/b\\c", "ü"})
    CHECK_FALSE(object_store::validate_path(bad));
  for (auto good : {"a", "fraud-platform/x/ig/receipts/1.json", "oracle/seed=42/parameter_hash=ab"})
    CHECK(object_store::validate_path(good));
  store_fixture f;
  object_store store{*f.j};
  auto r = store.put("../escape", "x");
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::invalid_argument);
}

TEST_CASE("many small puts share commits") {
  store_fixture f;
  object_store store{*f.j};
  std::atomic<int> done{0};
  auto before = f.j->stats().commits;
  for (int i = 0; i < 2000; ++i)
    store.put_async("p/receipts/" + std::to_string(i) + ".json", std::string(200, 'r'), {},
                    [&](fp::expected<fp::artifact_ref> r) {
                      CHECK(r);
                      done++;
                    });
  while (done < 2000)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(f.j->stats().commits - before < 2000);
  std::uint64_t listed = 0;
  auto n = store.list("p/receipts/", [&](const fp::artifact_ref&) {
    ++listed;
    return true;
  });
  REQUIRE(n);
  CHECK(listed == 2000);
}

TEST_CASE("large objects stream to a content-addressed file and are verified on read") {
  store_fixture f{1024};
  object_store store{*f.j};
  std::string big(100000, 'q');
  auto ref = store.put("runs/big.bin", big);
  REQUIRE(ref);
  auto file = f.dir / "objects" / ref->digest->substr(0, 2) / *ref->digest;
  CHECK(std::filesystem::file_size(file) == big.size());
  CHECK(*store.get("runs/big.bin") == big);
  {
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(500);
    out.put('X');
  }
  auto damaged = store.get("runs/big.bin");
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error() == errc::corrupt);
  auto report = verify(*f.j);
  REQUIRE(report);
  CHECK_FALSE(report->ok());
  CHECK(report->first_problem->where == "object \"runs/big.bin\"");
}

TEST_CASE("a staged object commits with the write that carries it, write-once, or not at all") {
  store_fixture f(64);
  object_store store{*f.j};
  auto path = "fraud-platform/platform_20260101T000000Z/ig/receipts/staged.json";
  auto staged = store.stage(path, "abc", "v1");
  REQUIRE(staged);
  CHECK(staged->ref.ref == path);
  CHECK(*staged->ref.digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(*staged->ref.size_bytes == 3);
  auto written = f.j->stats().objects_written;
  auto commit = f.j->transact(staged->fn);
  REQUIRE(commit);
  staged->complete(true);
  CHECK(f.j->stats().objects_written == written + 1);
  CHECK(store.get(path).value() == "abc");
  CHECK(store.stat(path).value() == staged->ref);
  // The same bytes again: the write succeeds and the object is unchanged.
  auto again = store.stage(path, "abc", "v1");
  REQUIRE(again);
  CHECK(f.j->transact(again->fn));
  // Other bytes: the carrying write fails as a whole (its event is not written either).
  auto other = store.stage(path, "abd", "v1");
  REQUIRE(other);
  auto appended = f.j->append("s", 0, {{"e", 1, "x"}});
  REQUIRE(appended);
  std::promise<fp::expected<append_result>> p;
  f.j->append_async("s", 1, {{"e", 1, "y"}}, other->fn,
                    [&p](fp::expected<append_result> r) { p.set_value(std::move(r)); });
  auto refused = p.get_future().get();
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == fp::journal::errc::object_conflict);
  CHECK(*f.j->head_seq("s") == 1);
  CHECK(store.get(path).value() == "abc");
  // Objects over the inline limit, and bad paths, cannot be staged.
  CHECK(store.stage("fraud-platform/x/big.json", std::string(65, 'b')).error() ==
        fp::journal::errc::invalid_argument);
  CHECK(store.stage("../escape", "abc").error() == fp::journal::errc::invalid_argument);
  auto report = verify(*f.j);
  REQUIRE(report);
  CHECK(report->ok());
}
