#pragma once

// Strict reading of a YAML mapping against a table of known keys: each key's reader checks
// its type and range; unknown, repeated and missing keys are refused. Every message is
// `SOURCE: KEY.PATH: RULE`. Used by the node profile and the planes' policy files.

#include "schemas/expected.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::yaml_fields {

/// Where a value sits, for messages: the file and the dotted key path.
struct at {
  const std::string& source;
  std::string path;
  at key(std::string_view k) const;
  at item(std::size_t i) const;
  fp::error fail(std::string rule) const;
};

using reader = std::function<expected<void>(const YAML::Node&, const at&)>;

struct key {
  std::string_view name;
  bool required;
  reader read;                ///< empty for a refused key
  std::string_view refusal{}; ///< the rule shown when a refused key is present
};

/// Reads mapping `n` with `keys`: unknown, repeated or missing keys are refused.
expected<void> read_map(const YAML::Node& n, const at& where, const std::vector<key>& keys);

/// A nested mapping.
reader section(std::vector<key> keys);
/// An integer in lo..hi, written as a plain (unquoted) scalar.
reader integer(long long& out, long long lo, long long hi);
template <class T>
reader integer_as(T& out, long long lo, long long hi) {
  return [&out, lo, hi](const YAML::Node& n, const at& w) -> expected<void> {
    long long v = 0;
    if (auto ok = integer(v, lo, hi)(n, w); !ok)
      return ok;
    out = static_cast<T>(v);
    return {};
  };
}
reader millis(std::chrono::milliseconds& out, long long lo, long long hi);
reader boolean(bool& out);
/// Any scalar; `one_of` (when not empty) lists the accepted values.
reader text(std::string& out, std::vector<std::string_view> one_of = {});
/// An IPv4 or IPv6 address literal.
reader address(std::string& out);
/// A sequence of scalars.
reader text_list(std::vector<std::string>& out);

/// A sequence of mappings, each read with the keys `keys_for(item)` returns for a fresh item.
template <class T>
reader map_list(std::vector<T>& out, std::function<std::vector<key>(T&)> keys_for) {
  return
      [&out, keys_for = std::move(keys_for)](const YAML::Node& n, const at& w) -> expected<void> {
        if (!n.IsSequence())
          return w.fail("must be a list of mappings");
        out.clear();
        for (std::size_t i = 0; i < n.size(); ++i) {
          T item{};
          if (auto ok = read_map(n[i], w.item(i), keys_for(item)); !ok)
            return ok;
          out.push_back(std::move(item));
        }
        return {};
      };
}

} // namespace fp::yaml_fields
