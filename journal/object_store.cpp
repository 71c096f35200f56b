#include "journal/object_store.hpp"

#include "journal/journal.hpp"
#include "journal/journal_impl.hpp"
#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <unistd.h>

namespace fp::journal {

namespace {

constexpr std::size_t max_path_bytes = 400;
constexpr std::size_t off_storage = 1, off_sv_len = 2, off_size = 4, off_digest = 12,
                      off_obj_checksum = 44;

std::string sha256_raw(std::string_view bytes) {
  auto d = schemas::sha256(bytes);
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string hex(std::string_view raw) {
  return schemas::to_hex(raw);
}

/// Same scheme as records: XXH3-64 of the bytes after the header, seeded with the XXH3-64 of
/// the header before the checksum field.
std::uint64_t entry_checksum(std::string_view e) {
  auto seed = XXH3_64bits(e.data(), off_obj_checksum);
  return XXH3_64bits_withSeed(e.data() + format::object_header_size,
                              e.size() - format::object_header_size, seed);
}

std::string encode_entry(std::uint8_t storage, std::uint64_t size, std::string_view digest,
                         std::string_view schema_version, std::string_view inline_bytes) {
  std::string e(format::object_header_size, '\0');
  e[0] = static_cast<char>(format::version);
  e[off_storage] = static_cast<char>(storage);
  format::put_le<std::uint16_t>(e, off_sv_len, static_cast<std::uint16_t>(schema_version.size()));
  format::put_le<std::uint64_t>(e, off_size, size);
  e.replace(off_digest, 32, digest);
  e.append(schema_version);
  e.append(inline_bytes);
  format::put_le<std::uint64_t>(e, off_obj_checksum, entry_checksum(e));
  return e;
}

struct entry {
  std::uint8_t storage = 0;
  std::uint64_t size = 0;
  std::string_view digest; // raw 32 bytes
  std::string_view schema_version;
  std::string_view inline_bytes;
};

bool decode_entry(std::string_view e, entry& out) {
  if (e.size() < format::object_header_size || static_cast<std::uint8_t>(e[0]) != format::version)
    return false;
  out.storage = static_cast<std::uint8_t>(e[off_storage]);
  std::size_t sv_len = format::get_le<std::uint16_t>(e, off_sv_len);
  out.size = format::get_le<std::uint64_t>(e, off_size);
  if (format::object_header_size + sv_len > e.size())
    return false;
  if (format::get_le<std::uint64_t>(e, off_obj_checksum) != entry_checksum(e))
    return false;
  out.digest = e.substr(off_digest, 32);
  out.schema_version = e.substr(format::object_header_size, sv_len);
  out.inline_bytes = e.substr(format::object_header_size + sv_len);
  if (out.storage == format::object_inline)
    return out.inline_bytes.size() == out.size;
  return out.storage == format::object_file && out.inline_bytes.empty();
}

artifact_ref to_ref(std::string path, const entry& e) {
  artifact_ref ref;
  ref.ref = std::move(path);
  ref.digest = hex(e.digest);
  ref.digest_alg = "sha256";
  if (!e.schema_version.empty())
    ref.schema_version = std::string(e.schema_version);
  ref.size_bytes = e.size;
  return ref;
}

error errno_error(const std::string& what) {
  return error{errc::io, "journal: " + what + ": " + std::strerror(errno)};
}

expected<void> fsync_path(const std::filesystem::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return errno_error("open " + p.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return errno_error("fsync " + p.string());
  return {};
}

/// Writes a content-addressed file durably: temp file, fsync, rename, fsync the directory.
expected<void> write_blob(const std::filesystem::path& file, std::string_view bytes) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec) && std::filesystem::file_size(file, ec) == bytes.size()) {
    // Same digest, same size: the same content. Another put may have renamed it and not yet
    // synced the directory, so sync both before this put's reference is committed.
    if (auto ok = fsync_path(file, O_RDONLY); !ok)
      return ok;
    return fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
  }
  auto dir = file.parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return error{errc::io, "journal: create " + dir.string() + ": " + ec.message()};
  static std::atomic<std::uint64_t> counter{0};
  auto tmp = file;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno_error("create " + tmp.string());
  const char* p = bytes.data();
  auto left = bytes.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = errno_error("write " + tmp.string());
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = errno_error("fsync " + tmp.string());
    ::close(fd);
    ::unlink(tmp.c_str());
    return err;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    auto err = errno_error("rename " + tmp.string());
    ::unlink(tmp.c_str());
    return err;
  }
  return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

} // namespace

namespace {

error damaged_log(std::string_view path, std::uint64_t seq, std::string_view what) {
  return error{errc::corrupt, "journal: object \"" + std::string(path) + "\": object_log entry " +
                                  std::to_string(seq) + " " + std::string(what)};
}

/// The entry of `path` in the log value `value` at `seq`.
expected<std::string_view> entry_in_log(std::string_view path, std::uint64_t seq,
                                        std::string_view value) {
  std::string_view logged_path, entry;
  if (!decode_log_value(value, seq, logged_path, entry))
    return damaged_log(path, seq, "is damaged (its path fails its checksum)");
  if (logged_path != path)
    return damaged_log(path, seq, "holds another path");
  return entry;
}

} // namespace

namespace {

/// The `object_log` entry of `path` at `seq` as of `txn`.
expected<std::optional<std::string_view>> logged_entry(const journal::impl& j, MDB_txn* txn,
                                                       std::string_view path, std::uint64_t seq) {
  if (!j.has_object_log)
    return damaged_log(path, seq, "is indexed, but the journal has no object_log");
  auto k = format::u64be(seq);
  MDB_val lk = as_val(k), lv;
  int rc = mdb_get(txn, j.object_log, &lk, &lv);
  if (rc == MDB_NOTFOUND)
    return damaged_log(path, seq, "is indexed but missing");
  if (rc != 0)
    return lmdb_error(rc, "read object \"" + std::string(path) + "\"");
  auto entry = entry_in_log(path, seq, as_view(lv));
  if (!entry)
    return std::move(entry).error();
  return std::optional<std::string_view>{*entry};
}

/// The entry an `objects` value stands for: the value itself (written by format 1), or the
/// `object_log` entry whose seq it holds.
expected<std::optional<std::string_view>>
indexed_entry(const journal::impl& j, MDB_txn* txn, std::string_view path, std::string_view value) {
  if (value.size() != 8)
    return std::optional<std::string_view>{value};
  return logged_entry(j, txn, path, format::read_u64be(value));
}

} // namespace

expected<std::optional<std::string_view>> find_object(const journal::impl& j, MDB_txn* txn,
                                                      std::string_view path,
                                                      std::optional<std::uint64_t> delta_seq) {
  MDB_val key = as_val(path), val;
  int rc = mdb_get(txn, j.objects, &key, &val);
  if (rc == 0)
    return indexed_entry(j, txn, path, as_view(val));
  if (rc != MDB_NOTFOUND)
    return lmdb_error(rc, "read object \"" + std::string(path) + "\"");
  if (delta_seq)
    return logged_entry(j, txn, path, *delta_seq);
  // A damaged log entry not yet indexed may be this path's: fail closed.
  if (j.objidx.has_unattributed())
    return error{errc::corrupt, "journal: object \"" + std::string(path) +
                                    "\": not indexed, and object_log entry " +
                                    std::to_string(j.objidx.unattributed().front()) +
                                    " is damaged (it may be this object)"};
  return std::optional<std::string_view>{};
}

expected<std::string> write_object(journal::impl& j, txn_context& tx, std::string_view path,
                                   std::string_view entry, std::string_view digest) {
  const table objects{j.objects, format::objects_db}, log{j.object_log, format::object_log_db};
  // Where the path may already be: this batch, the delta, then `objects`.
  std::optional<std::string_view> existing;
  std::optional<std::uint64_t> seq = j.objidx.find_for_write(path);
  if (!seq) {
    auto indexed = tx.get(objects, path);
    if (!indexed)
      return std::move(indexed).error();
    if (*indexed && (*indexed)->size() != 8)
      existing = **indexed; // an entry written by format 1
    else if (*indexed)
      seq = format::read_u64be(**indexed);
  }
  if (seq) {
    auto logged = tx.get(log, format::u64be(*seq));
    if (!logged)
      return std::move(logged).error();
    if (!*logged)
      return damaged_log(path, *seq, "is indexed but missing");
    auto e = entry_in_log(path, *seq, **logged);
    if (!e)
      return std::move(e).error();
    existing = *e;
  }
  if (existing) {
    // Write-once: the same bytes are already there, or this write must not happen.
    if (existing->size() < format::object_header_size || existing->substr(off_digest, 32) != digest)
      return error{errc::object_conflict, "journal: object \"" + std::string(path) +
                                              "\" already exists with other bytes (write-once)"};
    return std::string(*existing);
  }
  if (j.objidx.has_unattributed())
    return error{errc::corrupt, "journal: object \"" + std::string(path) +
                                    "\": refused while object_log entry " +
                                    std::to_string(j.objidx.unattributed().front()) +
                                    " is damaged (it may be this object)"};
  auto mark = j.objidx.now();
  auto s = j.objidx.stage(path);
  if (auto put = tx.put(log, format::u64be(s), encode_log_value(path, s, entry), put_mode::append);
      !put) {
    j.objidx.roll_back(mark);
    return std::move(put).error();
  }
  return std::string(entry);
}

std::filesystem::path journal::impl::object_file(std::string_view digest_hex) const {
  return opts.dir / "objects" / std::string(digest_hex.substr(0, 2)) / std::string(digest_hex);
}

expected<void> object_store::validate_path(std::string_view path) {
  // The platform's object-key rule (schemas/ids.hpp), plus the LMDB key size this store allows.
  if (path.size() > max_path_bytes)
    return error{errc::invalid_argument, "journal: object path of " + std::to_string(path.size()) +
                                             " bytes: must be at most " +
                                             std::to_string(max_path_bytes) + " bytes"};
  if (!schemas::is_object_key(path))
    return error{errc::invalid_argument,
                 "journal: object path " + schemas::quote_value(path) +
                     ": must be '/'-separated segments of 1..128 of [A-Za-z0-9._:=-], none "
                     "'.' or '..'"};
  return {};
}

namespace {

/// What `put_async` and `stage` both refuse before writing anything.
expected<void> check_put(const journal::impl& j, std::string_view path, std::string_view sv) {
  if (j.opts.read_only)
    return error{errc::read_only, "journal: opened read-only; object put refused"};
  if (auto ok = object_store::validate_path(path); !ok)
    return ok.error();
  if (sv.size() > 255)
    return error{errc::invalid_argument, "journal: object \"" + std::string(path) +
                                             "\": schema_version longer than 255 bytes"};
  return {};
}

} // namespace

void object_store::put_async(std::string path, std::string bytes,
                             std::optional<std::string> schema_version, put_callback done) {
  auto& j = journal_->internals();
  auto sv = schema_version.value_or("");
  if (auto ok = check_put(j, path, sv); !ok)
    return done(ok.error());
  auto digest = sha256_raw(bytes);
  std::string e;
  if (bytes.size() <= j.opts.max_inline_object_bytes) {
    e = encode_entry(format::object_inline, bytes.size(), digest, sv, bytes);
  } else {
    // Large artifacts go to their own file first; only the reference joins the group commit.
    if (auto ok = write_blob(j.object_file(hex(digest)), bytes); !ok)
      return done(ok.error());
    e = encode_entry(format::object_file, bytes.size(), digest, sv, {});
  }
  j.enqueue(object_req{path, std::move(e), digest,
                       [path, done = std::move(done)](expected<std::string> stored) {
                         if (!stored)
                           return done(stored.error());
                         entry en;
                         if (!decode_entry(*stored, en))
                           return done(error{errc::corrupt, "journal: object \"" + path +
                                                                "\": stored entry is damaged"});
                         done(to_ref(path, en));
                       }},
            1);
}

expected<staged_object> object_store::stage(std::string path, std::string bytes,
                                            std::optional<std::string> schema_version) {
  auto& j = journal_->internals();
  auto sv = schema_version.value_or("");
  if (auto ok = check_put(j, path, sv); !ok)
    return ok.error();
  if (bytes.size() > j.opts.max_inline_object_bytes)
    return error{errc::invalid_argument,
                 "journal: object \"" + path + "\": " + std::to_string(bytes.size()) +
                     " bytes cannot be staged (at most " +
                     std::to_string(j.opts.max_inline_object_bytes) + ", stored inline)"};
  auto digest = sha256_raw(bytes);
  auto e = std::make_shared<std::string>(
      encode_entry(format::object_inline, bytes.size(), digest, sv, bytes));
  staged_object out;
  out.ref = to_ref(path, entry{format::object_inline, bytes.size(), digest, sv, {}});
  out.fn = [&j, path = std::move(path), e](txn_context& tx) -> expected<void> {
    auto stored = write_object(j, tx, path, *e, std::string_view(*e).substr(off_digest, 32));
    if (!stored)
      return std::move(stored).error();
    return {};
  };
  out.complete = [&j](bool committed) {
    if (committed)
      j.stat.objects_written++;
  };
  return out;
}

expected<artifact_ref> object_store::put(std::string path, std::string bytes,
                                         std::optional<std::string> schema_version) {
  std::promise<expected<artifact_ref>> p;
  auto f = p.get_future();
  put_async(std::move(path), std::move(bytes), std::move(schema_version),
            [&p](expected<artifact_ref> r) { p.set_value(std::move(r)); });
  return f.get();
}

namespace {

/// Reads the entry at `path` and hands it to `fn` inside the read transaction.
template <class F>
auto with_entry(const journal::impl& j, std::string_view path, F&& fn) -> decltype(fn(entry{})) {
  if (auto ok = object_store::validate_path(path); !ok)
    return ok.error();
  j.refresh();
  auto delta_seq = j.objidx.find(path); // before the transaction: see object_index.hpp
  read_txn txn{j};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  auto found = find_object(j, txn.get(), path, delta_seq);
  if (!found) {
    if (found.error().is(errc::corrupt))
      j.stat.checksum_failures++;
    return std::move(found).error();
  }
  if (!*found)
    return error{errc::not_found, "journal: no object at \"" + std::string(path) + "\""};
  entry e;
  if (!decode_entry(**found, e)) {
    j.stat.checksum_failures++;
    return error{errc::corrupt,
                 "journal: object \"" + std::string(path) + "\": entry fails its checksum"};
  }
  return fn(e);
}

} // namespace

expected<artifact_ref> object_store::stat(std::string_view path) const {
  return with_entry(journal_->internals(), path, [&](const entry& e) -> expected<artifact_ref> {
    return to_ref(std::string(path), e);
  });
}

expected<std::string> object_store::get(std::string_view path) const {
  auto& j = journal_->internals();
  return with_entry(j, path, [&](const entry& e) -> expected<std::string> {
    std::string bytes;
    if (e.storage == format::object_inline) {
      bytes = std::string(e.inline_bytes);
    } else {
      auto file = j.object_file(hex(e.digest));
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return errno_error("object \"" + std::string(path) + "\": open " + file.string());
      bytes.resize(e.size);
      std::size_t got = 0;
      while (got < e.size) {
        auto n = ::read(fd, bytes.data() + got, e.size - got);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          break;
        got += static_cast<std::size_t>(n);
      }
      ::close(fd);
      bytes.resize(got);
    }
    if (bytes.size() != e.size || sha256_raw(bytes) != e.digest) {
      j.stat.checksum_failures++;
      return error{errc::corrupt, "journal: object \"" + std::string(path) +
                                      "\": bytes do not match digest sha256:" + hex(e.digest)};
    }
    return bytes;
  });
}

expected<std::uint64_t>
object_store::list(std::string_view prefix,
                   const std::function<bool(const artifact_ref&)>& fn) const {
  auto& j = journal_->internals();
  j.refresh();
  // Paths not yet flushed to `objects`, taken before the transaction (object_index.hpp).
  auto delta = j.objidx.range(prefix);
  read_txn txn{j};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  scoped_cursor cursor_guard;
  if (auto rc = cursor_guard.open(txn.get(), j.objects); rc != 0)
    return lmdb_error(rc, "open object cursor");
  MDB_cursor* cur = cursor_guard.c;
  MDB_val key{prefix.size(), const_cast<char*>(prefix.data())}, val;
  int rc = prefix.empty() ? mdb_cursor_get(cur, &key, &val, MDB_FIRST)
                          : mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  if (rc == 0 && !as_view(key).starts_with(prefix))
    rc = MDB_NOTFOUND;
  std::uint64_t count = 0;
  std::size_t d = 0;
  // Merges the two in path order; a path in both (flushed after the delta was copied) once.
  for (;;) {
    bool from_tree = rc == 0;
    bool from_delta = d < delta.size();
    if (!from_tree && !from_delta)
      break;
    std::string path;
    expected<std::optional<std::string_view>> found = std::optional<std::string_view>{};
    if (from_tree && (!from_delta || as_view(key) <= delta[d].first)) {
      path = std::string(as_view(key));
      if (from_delta && delta[d].first == path)
        ++d;
      found = indexed_entry(j, txn.get(), path, as_view(val));
      rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
      if (rc == 0 && !as_view(key).starts_with(prefix))
        rc = MDB_NOTFOUND;
    } else {
      path = delta[d].first;
      found = logged_entry(j, txn.get(), path, delta[d].second);
      ++d;
    }
    entry e;
    if (found && *found && !decode_entry(**found, e))
      found = error{errc::corrupt, "journal: object \"" + path + "\": entry fails its checksum"};
    if (!found) {
      if (found.error().is(errc::corrupt))
        j.stat.checksum_failures++;
      return std::move(found).error();
    }
    if (!*found)
      continue;
    ++count;
    if (!fn(to_ref(std::move(path), e)))
      break;
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan objects");
  return count;
}

} // namespace fp::journal
