#pragma once

// File primitives of the sealed world (internal to fp_world): streaming SHA-256, durable
// small files, and the writer that rolls one output into fsynced, hashed parts.

#include "actors/ingress/world/types.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;

namespace fp::world {

/// `io_error`: `path: what: strerror(errno)`.
fp::error io_error_of(const std::filesystem::path& path, std::string_view what);

/// Streaming SHA-256 (OpenSSL EVP, the function schemas::sha256 uses) for files too large to
/// hold in memory.
class sha256_stream {
public:
  sha256_stream();
  void update(std::string_view bytes);
  /// The digest as 64 lowercase hex digits; call once.
  std::string hex();

private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

bool fsync_path(const std::filesystem::path& path);

/// Writes `bytes` to `path` through `path.tmp`, fsynced, renamed into place, directory fsynced.
expected<void> write_durable(const std::filesystem::path& path, std::string_view bytes);

/// The whole file; `not_found` when it cannot be opened.
expected<std::string> read_all(const std::filesystem::path& path);

/// One output's rows into `world/output_dir(o)/part-NNNNN.jsonl`, a new part every
/// `part_rows` rows; each part fsynced on close. The first I/O failure stops the writing and
/// is returned by `finish`.
class output_writer {
public:
  output_writer(std::filesystem::path world, output o, std::uint64_t part_rows);
  ~output_writer();
  output_writer(const output_writer&) = delete;
  output_writer& operator=(const output_writer&) = delete;

  void write(std::int64_t ts_ms, std::string_view line);
  /// Closes the last part; the output's manifest entry (rows, bytes, digest, parts).
  expected<nlohmann::json> finish();

  /// sha256 of all parts' bytes concatenated (after `finish`).
  const std::string& digest() const noexcept { return digest_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

private:
  struct part_info {
    std::string path; ///< relative to the world directory
    std::uint64_t rows = 0, bytes = 0;
    std::string sha256;
  };
  bool open_part();
  void close_part();
  void fail(std::string_view what);

  std::filesystem::path world_;
  output o_;
  std::uint64_t part_rows_;
  std::FILE* f_ = nullptr;
  part_info part_;
  std::vector<part_info> parts_;
  sha256_stream part_hash_, all_hash_;
  std::uint64_t rows_ = 0, bytes_ = 0;
  std::int64_t first_ts_ = 0, last_ts_ = 0;
  std::string digest_;
  bool failed_ = false;
  fp::error error_;
};

} // namespace fp::world
