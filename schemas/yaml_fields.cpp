#include "schemas/yaml_fields.hpp"

#include "schemas/errc.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace fp::yaml_fields {

namespace {

/// What a node holds, for `got ...` in messages.
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
  case YAML::NodeType::Null:
    return "nothing (null)";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Scalar:
    return (n.Tag() == "!" ? "the quoted string " : "") + schemas::quote_value(n.Scalar());
  case YAML::NodeType::Undefined:
    break;
  }
  return "nothing";
}

bool plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() != "!";
}

} // namespace

at at::key(std::string_view k) const {
  return {source, path.empty() ? std::string(k) : path + "." + std::string(k)};
}

at at::item(std::size_t i) const {
  return {source, path + "[" + std::to_string(i) + "]"};
}

fp::error at::fail(std::string rule) const {
  return {schemas::errc::bad_config,
          source + ": " + (path.empty() ? "(top level)" : path) + ": " + rule};
}

expected<void> read_map(const YAML::Node& n, const at& where, const std::vector<key>& keys) {
  if (!n.IsMap())
    return where.fail("must be a mapping, got " + describe(n));
  std::string known;
  for (auto& k : keys)
    if (k.read)
      known += (known.empty() ? "" : ", ") + std::string(k.name);
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar())
      return where.fail("keys must be plain words, got " + describe(kv.first));
    auto name = kv.first.Scalar();
    auto here = where.key(name);
    if (!seen.insert(name).second)
      return here.fail("given twice");
    const key* spec = nullptr;
    for (auto& k : keys)
      if (k.name == name)
        spec = &k;
    if (spec == nullptr)
      return here.fail("unknown key (known: " + known + ")");
    if (!spec->read)
      return here.fail(std::string(spec->refusal));
    if (auto ok = spec->read(kv.second, here); !ok)
      return ok;
  }
  for (auto& k : keys)
    if (k.required && k.read && !seen.contains(k.name))
      return where.key(k.name).fail("missing (required)");
  return {};
}

reader section(std::vector<key> keys) {
  return
      [keys = std::move(keys)](const YAML::Node& n, const at& w) { return read_map(n, w, keys); };
}

reader integer(long long& out, long long lo, long long hi) {
  return [&out, lo, hi](const YAML::Node& n, const at& w) -> expected<void> {
    auto rule = "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi);
    if (!plain_scalar(n))
      return w.fail(rule + ", got " + describe(n));
    const auto& s = n.Scalar();
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
      return w.fail(rule + ", got " + describe(n));
    out = v;
    return {};
  };
}

reader millis(std::chrono::milliseconds& out, long long lo, long long hi) {
  return [&out, lo, hi](const YAML::Node& n, const at& w) -> expected<void> {
    long long v = 0;
    if (auto ok = integer(v, lo, hi)(n, w); !ok)
      return ok;
    out = std::chrono::milliseconds(v);
    return {};
  };
}

reader boolean(bool& out) {
  return [&out](const YAML::Node& n, const at& w) -> expected<void> {
    if (plain_scalar(n) && (n.Scalar() == "true" || n.Scalar() == "false")) {
      out = n.Scalar() == "true";
      return {};
    }
    return w.fail("must be true or false, got " + describe(n));
  };
}

reader text(std::string& out, std::vector<std::string_view> one_of) {
  return [&out, one_of = std::move(one_of)](const YAML::Node& n, const at& w) -> expected<void> {
    std::string rule = "must be a string";
    if (!one_of.empty()) {
      rule = "must be one of";
      for (auto v : one_of)
        rule += " " + std::string(v);
    }
    if (!n.IsScalar())
      return w.fail(rule + ", got " + describe(n));
    if (!one_of.empty() && std::find(one_of.begin(), one_of.end(), n.Scalar()) == one_of.end())
      return w.fail(rule + ", got " + describe(n));
    out = n.Scalar();
    return {};
  };
}

reader address(std::string& out) {
  return [&out](const YAML::Node& n, const at& w) -> expected<void> {
    unsigned char buf[16];
    if (n.IsScalar() && (inet_pton(AF_INET, n.Scalar().c_str(), buf) == 1 ||
                         inet_pton(AF_INET6, n.Scalar().c_str(), buf) == 1)) {
      out = n.Scalar();
      return {};
    }
    return w.fail("must be an IPv4 or IPv6 address, got " + describe(n));
  };
}

reader text_list(std::vector<std::string>& out) {
  return [&out](const YAML::Node& n, const at& w) -> expected<void> {
    if (!n.IsSequence())
      return w.fail("must be a list of names, got " + describe(n));
    out.clear();
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar())
        return w.item(i).fail("must be a name, got " + describe(n[i]));
      out.push_back(n[i].Scalar());
    }
    return {};
  };
}

} // namespace fp::yaml_fields
