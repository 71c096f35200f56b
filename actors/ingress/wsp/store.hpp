#pragma once

// Where the WSP keeps what must survive a restart: each output's checkpoint and the READYs it
// has finished (dedupe by `message_id`). The node keeps them in its journal (plane_wsp.cpp);
// `fp wsp run` in a directory (`file_store`).

#include "actors/ingress/wsp/types.hpp"
#include "schemas/expected.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace fp::wsp {

class progress_store {
public:
  virtual ~progress_store() = default;
  virtual expected<std::optional<checkpoint>> load(std::string_view message_id,
                                                   std::string_view output_id) = 0;
  /// Durable on return.
  virtual expected<void> save(std::string_view message_id, std::string_view output_id,
                              const checkpoint& c) = 0;
  /// The summary recorded when the READY was finished, or nullopt when it was not.
  virtual expected<std::optional<std::string>> ready_done(std::string_view message_id) = 0;
  /// Records the READY as finished (durable on return); a later READY with this id is a no-op.
  virtual expected<void> mark_ready_done(std::string_view message_id, std::string summary) = 0;
};

/// A checkpoint as compact JSON, and back (`io_error` names what is wrong).
std::string encode_checkpoint(const checkpoint& c);
expected<checkpoint> decode_checkpoint(std::string_view text);

/// Files under `dir`: `stream/<message_id>/<output_id>.json` and `ready/<message_id>.json`,
/// each written to a temp file, fsynced and renamed into place (then the directory fsynced).
class file_store final : public progress_store {
public:
  explicit file_store(std::filesystem::path dir);
  expected<std::optional<checkpoint>> load(std::string_view message_id,
                                           std::string_view output_id) override;
  expected<void> save(std::string_view message_id, std::string_view output_id,
                      const checkpoint& c) override;
  expected<std::optional<std::string>> ready_done(std::string_view message_id) override;
  expected<void> mark_ready_done(std::string_view message_id, std::string summary) override;

private:
  std::filesystem::path dir_;
};

/// Writes `bytes` to `path` durably: temp file, fsync, rename, fsync of the directory.
expected<void> write_file_durably(const std::filesystem::path& path, std::string_view bytes);

} // namespace fp::wsp
