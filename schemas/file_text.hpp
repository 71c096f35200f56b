#pragma once
// The whole of a small file (a profile, a policy, a secret, a receipt), as bytes.

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace fp::schemas {

/// The file's bytes; nullopt when it cannot be opened or read. An empty file is "" (streaming
/// an empty file inserts nothing, which sets the output's failbit: that is not a read error).
inline std::optional<std::string> read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return std::nullopt;
  return std::move(text).str();
}

} // namespace fp::schemas
