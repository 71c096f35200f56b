#include "actors/ingress/world/files.hpp"

#include "actors/ingress/world/errc.hpp"
#include "actors/ingress/world/params.hpp"
#include "schemas/hash.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace fp::world {

namespace fs = std::filesystem;

fp::error io_error_of(const fs::path& path, std::string_view what) {
  return fp::error{errc::io_error,
                   path.string() + ": " + std::string(what) +
                       (errno != 0 ? std::string(": ") + std::strerror(errno) : "")};
}

// -- sha256_stream ---------------------------------------------------------------------------

sha256_stream::sha256_stream()
    : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
}

void sha256_stream::update(std::string_view bytes) {
  EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

std::string sha256_stream::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &n);
  return schemas::to_hex(std::string_view(reinterpret_cast<char*>(md), n));
}

// -- small files -----------------------------------------------------------------------------

bool fsync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

expected<void> write_durable(const fs::path& path, std::string_view bytes) {
  auto tmp = path;
  tmp += ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    return io_error_of(tmp, "cannot create");
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
            ::fsync(::fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return io_error_of(tmp, "cannot write");
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return io_error_of(path, "cannot rename into place");
  if (!fsync_path(path.parent_path()))
    return io_error_of(path.parent_path(), "cannot fsync directory");
  return {};
}

expected<std::string> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fp::error{errc::not_found, path.string() + ": cannot open"};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// -- output_writer ---------------------------------------------------------------------------

output_writer::output_writer(fs::path world, output o, std::uint64_t part_rows)
    : world_(std::move(world))
    , o_(o)
    , part_rows_(part_rows) {}

output_writer::~output_writer() {
  if (f_ != nullptr)
    std::fclose(f_);
}

void output_writer::write(std::int64_t ts_ms, std::string_view line) {
  if (failed_)
    return;
  if (f_ != nullptr && part_.rows == part_rows_)
    close_part();
  if (f_ == nullptr && !open_part())
    return;
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fputc('\n', f_) == EOF) {
    fail("cannot write");
    return;
  }
  part_hash_.update(line);
  part_hash_.update("\n");
  all_hash_.update(line);
  all_hash_.update("\n");
  part_.bytes += line.size() + 1;
  ++part_.rows;
  if (rows_++ == 0)
    first_ts_ = ts_ms;
  last_ts_ = ts_ms;
}

expected<nlohmann::json> output_writer::finish() {
  if (f_ != nullptr)
    close_part();
  if (parts_.empty() && !failed_ && open_part()) // an empty output still has one part
    close_part();
  if (failed_)
    return error_;
  nlohmann::json parts = nlohmann::json::array();
  for (auto& p : parts_) {
    parts.push_back({{"path", p.path}, {"rows", p.rows}, {"bytes", p.bytes}, {"sha256", p.sha256}});
    bytes_ += p.bytes;
  }
  digest_ = all_hash_.hex();
  nlohmann::json pk = nlohmann::json::array();
  for (auto f : primary_key(o_))
    pk.push_back(std::string(f));
  auto ts = [&](std::int64_t ms) {
    return rows_ == 0 ? nlohmann::json(nullptr) : nlohmann::json(format_ts(ms));
  };
  return nlohmann::json{
      {"output_id", std::string(output_id(o_))},
      {"role", std::string(output_role(o_))},
      {"path", output_dir(o_)},
      {"format", "jsonl"},
      {"row_encoding", "RFC 8785 canonical JSON, one object a line"},
      {"primary_key", pk},
      {"order_by", "ts_utc"},
      {"rows", rows_},
      {"bytes", bytes_},
      {"digest", digest_},
      {"digest_alg", "sha256"},
      {"digest_rule", "sha256 of the parts' bytes concatenated in order"},
      {"first_ts_utc", ts(first_ts_)},
      {"last_ts_utc", ts(last_ts_)},
      {"parts", parts},
  };
}

bool output_writer::open_part() {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu.jsonl", parts_.size());
  part_ = part_info{output_dir(o_) + "/" + name, 0, 0, {}};
  auto path = world_ / part_.path;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) {
    fail("cannot create");
    return false;
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  part_hash_ = sha256_stream();
  return true;
}

void output_writer::close_part() {
  bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
  ok = std::fclose(f_) == 0 && ok;
  f_ = nullptr;
  if (!ok)
    fail("cannot flush");
  part_.sha256 = part_hash_.hex();
  parts_.push_back(part_);
}

void output_writer::fail(std::string_view what) {
  if (!failed_)
    error_ = io_error_of(world_ / part_.path, what);
  failed_ = true;
}

} // namespace fp::world
