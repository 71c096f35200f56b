#include "actors/ingress/ig/json_schema.hpp"

#include "actors/ingress/ig/errc.hpp"
#include "actors/ingress/ig/pattern.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <vector>

namespace fp::ig {

namespace {

enum type_bit : unsigned {
  t_string = 1,
  t_integer = 2,
  t_number = 4,
  t_boolean = 8,
  t_object = 16,
  t_array = 32,
  t_null = 64,
};

std::optional<unsigned> type_of_name(std::string_view n) {
  if (n == "string")
    return t_string;
  if (n == "integer")
    return t_integer;
  if (n == "number")
    return t_number | t_integer;
  if (n == "boolean")
    return t_boolean;
  if (n == "object")
    return t_object;
  if (n == "array")
    return t_array;
  if (n == "null")
    return t_null;
  return std::nullopt;
}

bool is_integral(const nlohmann::json& v) {
  if (v.is_number_integer())
    return true;
  if (!v.is_number_float())
    return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

unsigned type_bits(const nlohmann::json& v) {
  if (v.is_string())
    return t_string;
  if (v.is_boolean())
    return t_boolean;
  if (v.is_number())
    return is_integral(v) ? (t_integer | t_number) : t_number;
  if (v.is_object())
    return t_object;
  if (v.is_array())
    return t_array;
  return t_null;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

/// JSON Schema equality: numbers by value (1 == 1.0), booleans never equal numbers.
bool schema_equal(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number())
    return a.get<double>() == b.get<double>();
  if (a.is_boolean() != b.is_boolean() || a.type() != b.type())
    if (!(a.is_number() && b.is_number()))
      return false;
  if (a.is_array()) {
    if (a.size() != b.size())
      return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!schema_equal(a[i], b[i]))
        return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size())
      return false;
    for (auto& [k, v] : a.items())
      if (!b.contains(k) || !schema_equal(v, b[k]))
        return false;
    return true;
  }
  return a == b;
}

std::string type_name(const nlohmann::json& v) {
  if (v.is_number())
    return is_integral(v) ? "integer" : "number";
  return v.type_name();
}

/// Where a value is in the instance: a chain of member names up to the root, rendered only when
/// a violation names it (most events have none).
struct instance_path {
  const instance_path* parent = nullptr;
  std::string_view name; ///< the root's name, or this member's key
  std::string str() const {
    return parent == nullptr ? std::string(name) : parent->str() + schemas::path_step(name);
  }
};

/// Whether every match of the ECMAScript pattern `p` starts at the beginning of the input:
/// it begins with `^` (not multiline, so only the input's start) and has no `|` outside
/// groups and classes that would let another alternative match elsewhere.
bool anchored_at_start(std::string_view p) {
  if (p.empty() || p.front() != '^')
    return false;
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 1; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i; // the escaped character is a literal
      continue;
    }
    if (in_class) {
      in_class = c != ']';
      continue;
    }
    if (c == '[')
      in_class = true;
    else if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (c == '|' && depth == 0)
      return false;
  }
  return true;
}

} // namespace

struct json_schema::node {
  unsigned types = 0; ///< 0 = any
  std::vector<std::string> required;
  std::map<std::string, std::shared_ptr<const node>> properties;
  bool additional_allowed = true;
  std::shared_ptr<const node> additional;
  std::optional<std::regex> pattern;
  /// The same pattern for the subset `ig::pattern` matches (most are): std::regex otherwise.
  std::optional<ig::pattern> fast_pattern;
  std::string pattern_text;
  /// The pattern can match only from the start of the value (`anchored_at_start`).
  bool pattern_anchored = false;
  std::optional<std::vector<nlohmann::json>> enum_values;
  std::optional<nlohmann::json> const_value;
  std::optional<double> minimum, maximum;
  std::optional<std::uint64_t> min_length, max_length;

  std::optional<schema_violation> check(const nlohmann::json& v, const instance_path& at) const;
};

namespace {

using node_ptr = std::shared_ptr<const json_schema::node>;

expected<node_ptr> compile_node(const nlohmann::json& s, const std::string& source,
                                const std::string& where) {
  auto bad = [&](std::string rule) {
    return fp::error{errc::bad_policy, source + ": " + where + ": " + rule};
  };
  if (!s.is_object())
    return bad("a schema must be an object");
  auto n = std::make_shared<json_schema::node>();
  for (auto& [key, value] : s.items()) {
    auto here = where + "." + key;
    if (key == "$schema" || key == "$id" || key == "title" || key == "description" ||
        key == "$comment") {
      if (!value.is_string())
        return bad(key + ": must be a string");
    } else if (key == "type") {
      std::vector<nlohmann::json> names =
          value.is_array() ? value.get<std::vector<nlohmann::json>>() : std::vector{value};
      for (auto& name : names) {
        auto bits = name.is_string() ? type_of_name(name.get<std::string>()) : std::nullopt;
        if (!bits)
          return bad("type: unknown type " + name.dump());
        n->types |= *bits;
      }
    } else if (key == "required") {
      if (!value.is_array())
        return bad("required: must be a list of names");
      for (auto& r : value) {
        if (!r.is_string())
          return bad("required: must be a list of names");
        n->required.push_back(r.get<std::string>());
      }
    } else if (key == "properties") {
      if (!value.is_object())
        return bad("properties: must be an object");
      for (auto& [name, sub] : value.items()) {
        auto c = compile_node(sub, source, here + "." + name);
        if (!c)
          return std::move(c).error();
        n->properties[name] = *c;
      }
    } else if (key == "additionalProperties") {
      if (value.is_boolean()) {
        n->additional_allowed = value.get<bool>();
      } else {
        auto c = compile_node(value, source, here);
        if (!c)
          return std::move(c).error();
        n->additional = *c;
      }
    } else if (key == "pattern") {
      if (!value.is_string())
        return bad("pattern: must be a string");
      n->pattern_text = value.get<std::string>();
      try {
        n->pattern.emplace(n->pattern_text, std::regex::ECMAScript);
        n->pattern_anchored = anchored_at_start(n->pattern_text);
        n->fast_pattern = ig::pattern::compile(n->pattern_text);
      } catch (const std::regex_error& e) {
        return bad("pattern: not an ECMAScript regular expression (" + std::string(e.what()) + ")");
      }
    } else if (key == "enum") {
      if (!value.is_array() || value.empty())
        return bad("enum: must be a non-empty list");
      n->enum_values = value.get<std::vector<nlohmann::json>>();
    } else if (key == "const") {
      n->const_value = value;
    } else if (key == "minimum" || key == "maximum") {
      if (!value.is_number())
        return bad(key + ": must be a number");
      (key == "minimum" ? n->minimum : n->maximum) = value.get<double>();
    } else if (key == "minLength" || key == "maxLength") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
        return bad(key + ": must be a non-negative integer");
      (key == "minLength" ? n->min_length : n->max_length) = value.get<std::uint64_t>();
    } else {
      return bad("keyword " + schemas::quote_value(key) +
                 " is outside the subset IG validates (type, required, properties, "
                 "additionalProperties, pattern, enum, const, minimum, maximum, minLength, "
                 "maxLength)");
    }
  }
  return node_ptr(n);
}

} // namespace

std::optional<schema_violation> json_schema::node::check(const nlohmann::json& v,
                                                         const instance_path& at) const {
  auto fail = [&](std::string rule) {
    auto where = at.str();
    return schema_violation{where, where + ": " + rule};
  };
  if (types != 0 && (type_bits(v) & types) == 0)
    return fail("wrong type " + type_name(v));
  if (const_value && !schema_equal(v, *const_value))
    return fail("must be " + schemas::canonical(*const_value));
  if (enum_values) {
    bool found = false;
    for (auto& e : *enum_values)
      found = found || schema_equal(v, e);
    if (!found)
      return fail("not one of the allowed values");
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    auto len = code_points(s);
    if (min_length && len < *min_length)
      return fail("shorter than " + std::to_string(*min_length) + " characters");
    if (max_length && len > *max_length)
      return fail("longer than " + std::to_string(*max_length) + " characters");
    // A match of an anchored pattern starts at the first character: searching from there
    // alone gives the same answer without running the matcher again from every later start
    // (which, for a long value that fails early, costs its length times over).
    if (pattern &&
        !(fast_pattern ? fast_pattern->search(s)
                       : std::regex_search(s, *pattern,
                                           pattern_anchored ? std::regex_constants::match_continuous
                                                            : std::regex_constants::match_default)))
      return fail("does not match " + schemas::quote_value(pattern_text, 60) + " (" +
                  schemas::quote_value(s, 40) + ")");
  }
  if (v.is_number()) {
    double d = v.get<double>();
    if (minimum && d < *minimum)
      return fail("below the minimum " + schemas::format_number(*minimum));
    if (maximum && d > *maximum)
      return fail("above the maximum " + schemas::format_number(*maximum));
  }
  if (v.is_object()) {
    for (auto& r : required)
      if (!v.contains(r)) {
        auto where = at.str() + schemas::path_step(r);
        return schema_violation{where, where + ": missing (required)"};
      }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const auto& key = it.key();
      instance_path sub{&at, key};
      if (auto p = properties.find(key); p != properties.end()) {
        if (auto bad = p->second->check(it.value(), sub))
          return bad;
      } else if (additional) {
        if (auto bad = additional->check(it.value(), sub))
          return bad;
      } else if (!additional_allowed) {
        auto where = sub.str();
        return schema_violation{where, where + ": unknown field"};
      }
    }
  }
  return std::nullopt;
}

expected<json_schema> json_schema::compile(const nlohmann::json& schema, std::string source) {
  auto root = compile_node(schema, source, "schema");
  if (!root)
    return std::move(root).error();
  json_schema s;
  s.root_ = *root;
  return s;
}

std::optional<schema_violation> json_schema::check(const nlohmann::json& instance,
                                                   std::string_view root) const {
  return root_->check(instance, instance_path{nullptr, root});
}

} // namespace fp::ig
