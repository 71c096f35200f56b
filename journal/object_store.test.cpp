#include "journal/object_store.hpp"

#include "journal/journal.hpp"
#include "journal/record_format.hpp"
#include "journal/verify.hpp"

#include <lmdb.h>

#include <doctest/doctest.h>

#include <algorithm>
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
  explicit store_fixture(std::size_t inline_max = 256 << 10, std::size_t flush_at = 32768) {
    std::filesystem::remove_all(dir);
    reopen(inline_max, flush_at);
  }
  void reopen(std::size_t inline_max = 256 << 10, std::size_t flush_at = 32768) {
    j.reset();
    options o;
    o.dir = dir;
    o.max_inline_object_bytes = inline_max;
    o.object_index_flush_records = flush_at;
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

namespace {

std::vector<std::string> listed(const object_store& store, std::string_view prefix) {
  std::vector<std::string> out;
  auto n = store.list(prefix, [&](const fp::artifact_ref& r) {
    out.push_back(r.ref);
    return true;
  });
  REQUIRE(n);
  CHECK(*n == out.size());
  return out;
}

std::string receipt_path(int i) {
  return "fraud-platform/p/ig/receipts/r" + std::to_string(1000 + i) + ".json";
}

/// Objects 0..n-1 ("n0", "n1", ... under receipt_path) read back, are listed once each, and
/// verify; returns the objects verify counted.
std::uint64_t check_numbered(const object_store& store, const journal& j, int n) {
  for (int i = 0; i < n; ++i)
    CHECK(store.get(receipt_path(i)).value() == "n" + std::to_string(i));
  auto all = listed(store, "");
  CHECK(all.size() == static_cast<std::size_t>(n));
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  auto report = verify(j);
  REQUIRE(report);
  CHECK(report->ok());
  return report->objects;
}

std::unique_ptr<journal> open_read_only(const std::filesystem::path& dir) {
  options o;
  o.dir = dir;
  o.read_only = true;
  auto opened = journal::open(o);
  REQUIRE(opened);
  return std::move(*opened);
}

/// Raw LMDB access to a closed journal's environment.
struct raw_env {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  explicit raw_env(const std::filesystem::path& dir) {
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  }
  MDB_dbi db(const char* name) {
    MDB_dbi d = 0;
    REQUIRE(mdb_dbi_open(txn, name, 0, &d) == 0);
    return d;
  }
  std::optional<std::string> get(MDB_dbi d, std::string_view key) {
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    if (mdb_get(txn, d, &k, &v) != 0)
      return std::nullopt;
    return std::string(static_cast<const char*>(v.mv_data), v.mv_size);
  }
  void put(MDB_dbi d, std::string_view key, std::string_view value) {
    MDB_val k{key.size(), const_cast<char*>(key.data())},
        v{value.size(), const_cast<char*>(value.data())};
    REQUIRE(mdb_put(txn, d, &k, &v, 0) == 0);
  }
  void del(MDB_dbi d, std::string_view key) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    REQUIRE(mdb_del(txn, d, &k, nullptr) == 0);
  }
  std::uint64_t entries(MDB_dbi d) {
    MDB_stat st{};
    mdb_stat(txn, d, &st);
    return st.ms_entries;
  }
  ~raw_env() {
    if (txn != nullptr)
      REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
};

} // namespace

TEST_CASE("objects: paths are found before and after the index flush, and after a reopen") {
  store_fixture f(256 << 10, 4); // the delta is flushed to `objects` at 4 paths
  object_store store{*f.j};
  std::vector<std::string> paths;
  for (int i = 0; i < 10; ++i) {
    // Puts in descending path order: listing must sort the delta and the flushed paths.
    paths.push_back(receipt_path(9 - i));
    REQUIRE(store.put(paths.back(), "receipt " + std::to_string(9 - i), "r.v1"));
  }
  // A flush begins once 4 paths are held and writes two a commit (twice what each commit
  // adds): the flushes of seqs 1-3 and 4-6 ended, the one of 7-9 has written two paths.
  CHECK(f.j->stats().object_index_flushes == 2);
  CHECK(f.j->stats().object_index_entries_flushed == 8);
  auto check_all = [&](const object_store& store) {
    for (int i = 0; i < 10; ++i)
      CHECK(store.get(receipt_path(i)).value() == "receipt " + std::to_string(i));
    auto all = listed(store, "fraud-platform/p/ig/receipts/");
    std::vector<std::string> want;
    for (int i = 0; i < 10; ++i)
      want.push_back(receipt_path(i));
    CHECK(all == want);
    CHECK(listed(store, "fraud-platform/p/ig/receipts/r1001") == std::vector{receipt_path(1)});
    CHECK(listed(store, "fraud-platform/q/").empty());
    auto report = verify(*f.j);
    REQUIRE(report);
    CHECK(report->ok());
    CHECK(report->objects == 10);
  };
  check_all(store);
  // Write-once holds whether the path is flushed (r1009) or still in the delta (r1000).
  for (int i : {9, 0}) {
    CHECK(store.put(receipt_path(i), "receipt " + std::to_string(i), "r.v1"));
    CHECK(store.put(receipt_path(i), "other").error() == errc::object_conflict);
  }
  f.reopen(256 << 10, 4); // the delta is rebuilt from object_log
  object_store reopened{*f.j};
  CHECK(reopened.put(receipt_path(0), "other").error() == errc::object_conflict);
  check_all(reopened);
  // The objects' entries live in object_log, one each, in the order they were written; the
  // flushed paths point at them.
  f.j.reset();
  {
    raw_env raw(f.dir);
    auto log = raw.db(format::object_log_db), objects = raw.db(format::objects_db),
         meta = raw.db(format::meta_db);
    CHECK(raw.entries(log) == 10);
    // receipt_path(i) was written as object seq 10 - i. Every path in `objects` points at its
    // own entry, and every entry up to the watermark has its path there.
    auto through = raw.get(meta, "objects_indexed_through");
    REQUIRE(through);
    auto w = format::read_u64be(*through);
    CHECK(w >= 6);
    std::uint64_t indexed = 0;
    for (int i = 0; i < 10; ++i) {
      std::uint64_t seq = 10 - i;
      auto got = raw.get(objects, receipt_path(i));
      if (got) {
        ++indexed;
        CHECK(*got == format::u64be(seq));
      }
      if (seq <= w)
        CHECK_MESSAGE(got, receipt_path(i));
    }
    CHECK(raw.entries(objects) == indexed);
    CHECK(raw.get(meta, "format") == std::string(1, '\2'));
  }
}

TEST_CASE("objects: a staged object that its write refuses leaves nothing behind") {
  store_fixture f;
  object_store store{*f.j};
  auto kept = store.stage(receipt_path(1), "kept", "r.v1");
  auto dropped = store.stage(receipt_path(2), "dropped", "r.v1");
  auto after = store.stage(receipt_path(3), "after", "r.v1");
  REQUIRE(kept);
  REQUIRE(dropped);
  REQUIRE(after);
  // One function writes two objects, the second the first's path with other bytes: the
  // write-once check sees objects staged earlier in the same transaction.
  auto twice = store.stage(receipt_path(1), "kept, but other bytes", "r.v1");
  REQUIRE(twice);
  auto both = f.j->transact([&](txn_context& tx) -> fp::expected<void> {
    if (auto ok = kept->fn(tx); !ok)
      return ok;
    return twice->fn(tx);
  });
  REQUIRE_FALSE(both);
  CHECK(both.error() == errc::object_conflict);
  CHECK(store.get(receipt_path(1)).error() == errc::not_found);
  // A function that writes an object and then refuses.
  auto refused = f.j->transact([&](txn_context& tx) -> fp::expected<void> {
    if (auto ok = dropped->fn(tx); !ok)
      return ok;
    return fp::error{errc::invalid_argument, "refused after writing"};
  });
  REQUIRE_FALSE(refused);
  CHECK(store.get(receipt_path(2)).error() == errc::not_found);
  REQUIRE(f.j->transact(kept->fn));
  REQUIRE(f.j->transact(after->fn));
  CHECK(store.get(receipt_path(1)).value() == "kept");
  CHECK(store.get(receipt_path(3)).value() == "after");
  CHECK(listed(store, "") == std::vector{receipt_path(1), receipt_path(3)});
  auto report = verify(*f.j);
  REQUIRE(report);
  CHECK(report->ok());
  f.j.reset();
  raw_env raw(f.dir);
  auto log = raw.db(format::object_log_db);
  CHECK(raw.entries(log) == 2); // the refused writes left no log entry
  CHECK(raw.get(log, format::u64be(1)).has_value());
  CHECK(raw.get(log, format::u64be(2)).has_value());
}

TEST_CASE("objects: a format-1 journal's objects stay readable and write-once") {
  store_fixture f;
  {
    object_store store{*f.j};
    REQUIRE(store.put(receipt_path(1), "old one", "r.v1"));
    REQUIRE(store.put(receipt_path(2), "old two", "r.v1"));
  }
  f.j.reset();
  {
    // What format 1 wrote: the entries themselves in `objects`, no object_log.
    raw_env raw(f.dir);
    auto log = raw.db(format::object_log_db), objects = raw.db(format::objects_db),
         meta = raw.db(format::meta_db);
    for (std::uint64_t seq : {1, 2}) {
      auto value = raw.get(log, format::u64be(seq));
      REQUIRE(value);
      auto path = receipt_path(static_cast<int>(seq));
      // u16 path length, path, u64 path checksum, then the entry
      raw.put(objects, path, value->substr(2 + path.size() + 8));
      raw.del(log, format::u64be(seq));
    }
    REQUIRE(mdb_drop(raw.txn, log, 1) == 0);
    raw.put(meta, "format", std::string(1, '\1'));
  }
  {
    auto reader = open_read_only(f.dir);
    object_store store{*reader};
    CHECK(store.get(receipt_path(1)).value() == "old one");
    CHECK(listed(store, "") == std::vector{receipt_path(1), receipt_path(2)});
    auto report = verify(*reader);
    REQUIRE(report);
    CHECK(report->ok());
  }
  f.reopen();
  object_store store{*f.j};
  CHECK(store.get(receipt_path(2)).value() == "old two");
  CHECK(store.put(receipt_path(1), "old one", "r.v1"));
  CHECK(store.put(receipt_path(1), "new bytes").error() == errc::object_conflict);
  REQUIRE(store.put(receipt_path(3), "new three", "r.v1"));
  CHECK(listed(store, "") == std::vector{receipt_path(1), receipt_path(2), receipt_path(3)});
  auto report = verify(*f.j);
  REQUIRE(report);
  CHECK(report->ok());
  CHECK(report->objects == 3);
  f.j.reset();
  raw_env raw(f.dir);
  CHECK(raw.get(raw.db(format::meta_db), "format") == std::string(1, '\2'));
}

TEST_CASE("objects: a journal of a newer format is refused") {
  store_fixture f;
  f.j.reset();
  {
    raw_env raw(f.dir);
    raw.put(raw.db(format::meta_db), "format", std::string(1, '\3'));
  }
  options o;
  o.dir = f.dir;
  auto opened = journal::open(o);
  REQUIRE_FALSE(opened);
  CHECK(opened.error() == errc::corrupt);
  CHECK(opened.error().message().find("unknown format version") != std::string::npos);
}

TEST_CASE("objects: a damaged object_log entry fails closed and verify names it") {
  store_fixture f;
  {
    object_store store{*f.j};
    REQUIRE(store.put(receipt_path(1), "one"));
    REQUIRE(store.put(receipt_path(2), "two"));
  }
  f.j.reset();
  {
    raw_env raw(f.dir);
    auto log = raw.db(format::object_log_db);
    auto value = raw.get(log, format::u64be(2));
    REQUIRE(value);
    (*value)[5] ^= 0x20; // inside the path: its checksum no longer matches
    raw.put(log, format::u64be(2), *value);
  }
  f.reopen();
  object_store store{*f.j};
  CHECK(store.get(receipt_path(1)).value() == "one");
  // The damaged entry may be any path not found elsewhere: reads and writes of such a path
  // are refused rather than answered "not found" or written.
  CHECK(store.get(receipt_path(2)).error() == errc::corrupt);
  CHECK(store.get(receipt_path(3)).error() == errc::corrupt);
  CHECK(store.put(receipt_path(3), "three").error() == errc::corrupt);
  CHECK(f.j->stats().checksum_failures >= 2);
  auto report = verify(*f.j);
  REQUIRE(report);
  CHECK_FALSE(report->ok());
  REQUIRE(report->first_problem);
  CHECK(report->first_problem->where == "object_log entry 2");
}

TEST_CASE("objects: a flush is spread over commits, and every path is found and listed once") {
  store_fixture f(256 << 10, 16); // a flush begins at 16 paths and writes 2 a commit (twice
                                  // what each commit adds)
  object_store store{*f.j};
  int written = 0;
  auto check_all = [&] {
    CHECK(check_numbered(store, *f.j, written) == static_cast<std::uint64_t>(written));
  };
  for (; written < 16; ++written)
    REQUIRE(store.put(receipt_path(written), "n" + std::to_string(written)));
  // The 16th commit began the flush of the 15 committed before it and wrote 2 of them.
  CHECK(f.j->stats().object_index_flushes == 0);
  CHECK(f.j->stats().object_index_entries_flushed == 2);
  check_all();
  for (int step = 1; step <= 6; ++step) {
    REQUIRE(store.put(receipt_path(written), "n" + std::to_string(written)));
    ++written;
    CHECK(f.j->stats().object_index_entries_flushed == 2 + 2 * static_cast<std::uint64_t>(step));
    CHECK(f.j->stats().object_index_flushes == 0);
    check_all(); // paths written to `objects` and still held in memory are listed once
  }
  REQUIRE(store.put(receipt_path(written), "n" + std::to_string(written)));
  ++written;
  CHECK(f.j->stats().object_index_flushes == 1); // the 8th chunk: the last path, the watermark
  CHECK(f.j->stats().object_index_entries_flushed == 15);
  check_all();
}

TEST_CASE("objects: a flush cut short by a stop is written again after the reopen") {
  store_fixture f(256 << 10, 16);
  {
    object_store store{*f.j};
    for (int i = 0; i < 20; ++i) // the flush of the first 15 has written 2 + 4 x 2 paths
      REQUIRE(store.put(receipt_path(i), "n" + std::to_string(i)));
    CHECK(f.j->stats().object_index_flushes == 0);
    CHECK(f.j->stats().object_index_entries_flushed == 10);
  }
  f.reopen(256 << 10, 16); // its progress was in memory only: the watermark did not move
  object_store store{*f.j};
  check_numbered(store, *f.j, 20);
  CHECK(store.put(receipt_path(3), "other").error() == errc::object_conflict);
  // The next flush takes all 20 again, the 10 already in `objects` among them (same seqs).
  for (int i = 20; i < 32; ++i)
    REQUIRE(store.put(receipt_path(i), "n" + std::to_string(i)));
  CHECK(f.j->stats().object_index_flushes >= 1);
  CHECK(f.j->stats().checksum_failures == 0);
  check_numbered(store, *f.j, 32);
}

TEST_CASE("objects: a read-only journal sees objects written after it was opened") {
  store_fixture f(256 << 10, 3);
  object_store writer{*f.j};
  REQUIRE(writer.put(receipt_path(1), "one"));
  auto reader = open_read_only(f.dir);
  object_store store{*reader};
  CHECK(store.get(receipt_path(1)).value() == "one");
  for (int i = 2; i <= 7; ++i) // the writer flushes two paths at 3, 5 and 7
    REQUIRE(writer.put(receipt_path(i), "n" + std::to_string(i)));
  CHECK(f.j->stats().object_index_flushes == 3);
  for (int i = 2; i <= 7; ++i)
    CHECK(store.get(receipt_path(i)).value() == "n" + std::to_string(i));
  CHECK(listed(store, "").size() == 7);
  auto report = verify(*reader);
  REQUIRE(report);
  CHECK(report->ok());
}
