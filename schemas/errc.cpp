#include "schemas/errc.hpp"

#include <cstdio>

namespace fp::schemas {

std::string to_string(errc code) {
  switch (code) {
  case errc::malformed_json:
    return "malformed_json";
  case errc::duplicate_key:
    return "duplicate_key";
  case errc::number_out_of_range:
    return "number_out_of_range";
  case errc::missing_field:
    return "missing_field";
  case errc::unknown_field:
    return "unknown_field";
  case errc::legacy_field:
    return "legacy_field";
  case errc::wrong_type:
    return "wrong_type";
  case errc::bad_format:
    return "bad_format";
  case errc::not_path_safe:
    return "not_path_safe";
  case errc::bad_encoding:
    return "bad_encoding";
  case errc::unsupported_version:
    return "unsupported_version";
  case errc::bad_config:
    return "bad_config";
  }
  return "unknown";
}

std::string_view field_of(const fp::error& err) noexcept {
  std::string_view msg = err.message();
  // The path ends at the first ": " outside a quoted key (path_step quotes odd keys).
  bool quoted = false;
  for (std::size_t i = 0; i + 1 < msg.size(); ++i) {
    if (msg[i] == '\\' && quoted)
      ++i;
    else if (msg[i] == '"')
      quoted = !quoted;
    else if (!quoted && msg[i] == ':' && msg[i + 1] == ' ')
      return msg.substr(0, i);
  }
  return msg;
}

std::string path_step(std::string_view key) {
  bool plain = !key.empty() && key.size() <= 128;
  for (char c : key)
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '$' || c == '-');
  return plain ? "." + std::string(key) : "[" + quote_value(key) + "]";
}

std::string quote_value(std::string_view value, std::size_t max_bytes) {
  std::string out = "\"";
  bool cut = value.size() > max_bytes;
  if (cut)
    value = value.substr(0, max_bytes);
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

} // namespace fp::schemas
