#include "schemas/canonical_json.hpp"

#include "schemas/errc.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace fp::schemas {

namespace {

using json = nlohmann::json;

// -- strict SAX parser ---------------------------------------------------------------------

/// Builds the DOM like nlohmann's own SAX DOM parser, but refuses what I-JSON forbids and
/// nlohmann tolerates: a repeated key (nlohmann keeps the last), an integer beyond 2^53.
class strict_handler {
public:
  strict_handler(std::string_view text, std::string_view root)
      : text_(text)
      , root_name_(root) {}

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(json::number_integer_t v) {
    if (v < -max_json_integer)
      return fail_number(std::to_string(v));
    return put(json(v));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v > static_cast<std::uint64_t>(max_json_integer))
      return fail_number(std::to_string(v));
    return put(json(v));
  }
  bool number_float(json::number_float_t v, const std::string& token) {
    // nlohmann falls back to a double when an integer literal overflows 64 bits.
    if (token.find_first_of(".eE") == std::string::npos || !std::isfinite(v))
      return fail_number(token);
    // A literal too small for a double (1e-400) would read as zero: refused, never rewritten.
    if (v == 0 && underflows(token))
      return fail_number(token);
    return put(json(v));
  }
  bool string(std::string& v) { return put(json(std::move(v))); }
  bool binary(json::binary_t&) {
    return fail(errc::malformed_json, path() + ": binary values are not JSON");
  }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    frame& top = stack_.back();
    if (top.value->contains(k)) {
      top.key = k;
      top.pending = true;
      return fail(errc::duplicate_key, path() + ": duplicate key " + quote_value(k));
    }
    top.key = std::move(k);
    top.pending = true;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    if (ex.id == 406)
      return fail_number(last_token); // out_of_range.406: number overflow
    // `position` counts the characters read, so the offending one is at position - 1 (or
    // position - 2 when a sign came first).
    for (std::size_t back : {1, 2}) {
      if (position < back || position - back >= text_.size())
        continue;
      std::string_view rest = text_.substr(position - back);
      for (std::string_view word : {"NaN", "Infinity", "-Infinity", "+Infinity", "-NaN"})
        if (rest.substr(0, word.size()) == word)
          return fail(errc::number_out_of_range,
                      path() + ": " + std::string(word) + " is not a JSON number");
    }
    std::string what = ex.what();
    if (auto close = what.find("] "); close != std::string::npos)
      what.erase(0, close + 2);
    return fail(errc::malformed_json, path() + ": malformed JSON (" + what + ")");
  }

  json take() { return std::move(root_); }
  std::optional<fp::error> take_error() { return std::move(error_); }

private:
  struct frame {
    json* value;
    std::optional<std::string> key; ///< the latest key read, when `value` is an object
    bool pending = false;           ///< `key` is read, its value not yet
  };

  std::string path() const {
    std::string out(root_name_);
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      const frame& f = stack_[i];
      if (f.value->is_object()) {
        // At the top, a key whose value is complete is no longer where the parser is.
        if (f.key && (i + 1 < stack_.size() || f.pending))
          out += path_step(*f.key);
      } else {
        // Below the top the element is already in place; at the top it comes next.
        std::size_t index = f.value->size() - (i + 1 < stack_.size() ? 1 : 0);
        out += "[" + std::to_string(index) + "]";
      }
    }
    return out;
  }

  bool fail(errc code, std::string message) {
    error_ = fp::error{code, std::move(message)};
    return false;
  }

  bool fail_number(const std::string& token) {
    return fail(errc::number_out_of_range,
                path() + ": number out of range (" + token.substr(0, 40) +
                    "; integers must be within +/-2^53, other numbers finite doubles that "
                    "are not zero unless written as zero)");
  }

  /// Whether a literal that parsed to zero has a non-zero digit before its exponent.
  static bool underflows(std::string_view token) {
    auto mantissa = token.substr(0, token.find_first_of("eE"));
    return mantissa.find_first_of("123456789") != std::string_view::npos;
  }

  json* insert(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    frame& top = stack_.back();
    if (top.value->is_object()) {
      json& slot = (*top.value)[*top.key];
      top.pending = false;
      slot = std::move(value);
      return &slot;
    }
    top.value->push_back(std::move(value));
    return &top.value->back();
  }

  bool put(json value) {
    insert(std::move(value));
    return true;
  }

  bool open(json container) {
    if (stack_.size() >= max_json_depth)
      return fail(errc::malformed_json,
                  path() + ": nested deeper than " + std::to_string(max_json_depth));
    json* slot = insert(std::move(container));
    stack_.push_back(frame{slot, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  std::string_view text_;
  std::string_view root_name_;
  json root_;
  std::vector<frame> stack_;
  std::optional<fp::error> error_;
};

// -- canonical writer ----------------------------------------------------------------------

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (len > 1) {
      cp = c & (0xff >> (len + 1));
      for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xd800 + (cp >> 10));
      out += static_cast<char16_t>(0xdc00 + (cp & 0x3ff));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

/// Integers within +/-2^53 are exact doubles, and ECMAScript writes an integral double below
/// 1e21 as its plain digits: no detour through the shortest-digits algorithm.
void write_integer(std::string& out, std::int64_t v) {
  if (v < -max_json_integer || v > max_json_integer) {
    out += format_number(static_cast<double>(v));
    return;
  }
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

bool all_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

void write(std::string& out, const json& v);

/// An object's members in RFC 8785 order. nlohmann's object is a std::map ordered by bytes
/// (unsigned), which is UTF-16 order whenever every key is ASCII: then the map's own order is
/// used; otherwise the keys are sorted by their UTF-16 code units. `at`, when given, receives
/// where the value of the member `locate` starts and ends in `out`.
void write_object(std::string& out, const json& v, std::string_view locate = {},
                  std::pair<std::size_t, std::size_t>* at = nullptr) {
  auto member = [&](bool first, const std::string& key, const json& value) {
    if (!first)
      out += ',';
    append_canonical_string(out, key);
    out += ':';
    std::size_t start = out.size();
    write(out, value);
    if (at != nullptr && key == locate)
      *at = {start, out.size() - start};
  };
  out += '{';
  bool ascii = true;
  for (auto it = v.begin(); it != v.end() && ascii; ++it)
    ascii = all_ascii(it.key());
  if (ascii) {
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it, first = false)
      member(first, it.key(), it.value());
  } else {
    std::vector<std::pair<std::u16string, json::const_iterator>> keys;
    keys.reserve(v.size());
    for (auto it = v.begin(); it != v.end(); ++it)
      keys.emplace_back(to_utf16(it.key()), it);
    std::sort(keys.begin(), keys.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    bool first = true;
    for (const auto& [_, it] : keys) {
      member(first, it.key(), it.value());
      first = false;
    }
  }
  out += '}';
}

void write(std::string& out, const json& v) {
  switch (v.type()) {
  case json::value_t::null:
  case json::value_t::discarded:
  case json::value_t::binary:
    out += "null";
    return;
  case json::value_t::boolean:
    out += v.get<bool>() ? "true" : "false";
    return;
  case json::value_t::number_integer:
    write_integer(out, v.get<std::int64_t>());
    return;
  case json::value_t::number_unsigned:
    if (auto u = v.get<std::uint64_t>(); u <= static_cast<std::uint64_t>(max_json_integer))
      write_integer(out, static_cast<std::int64_t>(u));
    else
      out += format_number(static_cast<double>(u));
    return;
  case json::value_t::number_float:
    out += format_number(v.get<double>());
    return;
  case json::value_t::string:
    append_canonical_string(out, v.get_ref<const std::string&>());
    return;
  case json::value_t::array: {
    out += '[';
    bool first = true;
    for (const json& item : v) {
      if (!first)
        out += ',';
      first = false;
      write(out, item);
    }
    out += ']';
    return;
  }
  case json::value_t::object:
    write_object(out, v);
    return;
  }
}

expected<void> check_numbers(const json& v, const std::string& path) {
  switch (v.type()) {
  case json::value_t::number_integer:
    if (v.get<std::int64_t>() < -max_json_integer || v.get<std::int64_t>() > max_json_integer)
      return fp::error{errc::number_out_of_range, path + ": integer beyond +/-2^53"};
    return {};
  case json::value_t::number_unsigned:
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(max_json_integer))
      return fp::error{errc::number_out_of_range, path + ": integer beyond 2^53"};
    return {};
  case json::value_t::number_float:
    if (!std::isfinite(v.get<double>()))
      return fp::error{errc::number_out_of_range, path + ": NaN/Infinity is not a JSON number"};
    return {};
  case json::value_t::binary:
  case json::value_t::discarded:
    return fp::error{errc::wrong_type, path + ": not a JSON value"};
  case json::value_t::array:
    for (std::size_t i = 0; i < v.size(); ++i)
      if (auto r = check_numbers(v[i], path + "[" + std::to_string(i) + "]"); !r)
        return r;
    return {};
  case json::value_t::object:
    for (auto it = v.begin(); it != v.end(); ++it)
      if (auto r = check_numbers(it.value(), path + "." + it.key()); !r)
        return r;
    return {};
  default:
    return {};
  }
}

} // namespace

expected<nlohmann::json> parse_strict(std::string_view text, std::string_view root) {
  strict_handler handler(text, root);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &handler);
  } catch (const std::exception& ex) {
    return fp::error{errc::malformed_json,
                     std::string(root) + ": malformed JSON (" + ex.what() + ")"};
  }
  if (!ok) {
    if (auto err = handler.take_error())
      return std::move(*err);
    return fp::error{errc::malformed_json, std::string(root) + ": malformed JSON"};
  }
  return handler.take();
}

std::string canonical(const nlohmann::json& value) {
  std::string out;
  write(out, value);
  return out;
}

expected<std::string> canonical_checked(const nlohmann::json& value, std::string_view root) {
  if (auto ok = check_numbers(value, std::string(root)); !ok)
    return std::move(ok).error();
  return canonical(value);
}

expected<std::string> canonicalize(std::string_view json_text, std::string_view root) {
  auto parsed = parse_strict(json_text, root);
  if (!parsed)
    return std::move(parsed).error();
  return canonical(*parsed);
}

std::string format_number(double x) {
  if (!std::isfinite(x))
    return "null";
  if (x == 0)
    return "0"; // also -0
  std::string out;
  if (x < 0) {
    out += '-';
    x = -x;
  }
  // Shortest round-trip digits, as "d[.ddd]e[+-]x", then ECMAScript's layout (ECMA-262
  // Number::toString): value = digits * 10^(n - k).
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  auto e = sci.find('e');
  std::string digits(1, sci[0]);
  if (e > 1)
    digits.append(sci.substr(2, e - 2));
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e + 1);
  bool neg_exp = exp_text[0] == '-';
  std::from_chars(exp_text.data() + 1, exp_text.data() + exp_text.size(), exp10);
  if (neg_exp)
    exp10 = -exp10;
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += n - 1 < 0 ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

void append_canonical_string(std::string& out, std::string_view utf8) {
  out.reserve(out.size() + utf8.size() + 2);
  out += '"';
  std::size_t plain = 0; // start of the run of bytes written as they are
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(utf8.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\r':
      out += "\\r";
      break;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
    }
  }
  out.append(utf8.data() + plain, utf8.size() - plain);
  out += '"';
}

std::string canonical_string(std::string_view utf8) {
  std::string out;
  append_canonical_string(out, utf8);
  return out;
}

located_canonical canonical_locating(const nlohmann::json& object, std::string_view key) {
  located_canonical r;
  if (!object.is_object()) {
    write(r.text, object);
    return r;
  }
  std::pair<std::size_t, std::size_t> at{std::string::npos, 0};
  write_object(r.text, object, key, &at);
  r.member_offset = at.first;
  r.member_size = at.second;
  return r;
}

std::optional<std::string_view> located_canonical::member() const {
  if (member_offset == std::string::npos)
    return std::nullopt;
  return std::string_view(text).substr(member_offset, member_size);
}

canonical_object& canonical_object::raw(std::string_view key, std::string value_json) {
  members_.emplace_back(std::string(key), std::move(value_json));
  return *this;
}

canonical_object& canonical_object::str(std::string_view key, std::string_view value) {
  return raw(key, canonical_string(value));
}

canonical_object& canonical_object::str_or_null(std::string_view key, std::string_view value) {
  return value.empty() ? null(key) : str(key, value);
}

canonical_object& canonical_object::integer(std::string_view key, std::int64_t value) {
  std::string text;
  write_integer(text, value);
  return raw(key, std::move(text));
}

canonical_object& canonical_object::null(std::string_view key) {
  return raw(key, "null");
}

std::string canonical_object::take() {
  // Sorted by position, not by moving the members' strings around; then written as a
  // canonical_writer writes members added in order (which also refuses a repeated key).
  std::vector<std::uint32_t> order(members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i)
    order[i] = static_cast<std::uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return utf16_less(members_[a].first, members_[b].first);
  });
  canonical_writer out;
  for (auto i : order)
    out.raw(members_[i].first, members_[i].second);
  members_.clear();
  return out.take();
}

void canonical_writer::key(std::string_view k) {
  if (!first_) {
    if (!utf16_less(last_key_, k))
      throw std::logic_error("canonical_writer: key " + quote_value(k) + " is not after " +
                             quote_value(last_key_));
    out_ += ',';
  }
  first_ = false;
  last_key_.assign(k);
  append_canonical_string(out_, k);
  out_ += ':';
}

canonical_writer& canonical_writer::raw(std::string_view k, std::string_view value_json) {
  key(k);
  out_ += value_json;
  return *this;
}

canonical_writer& canonical_writer::str(std::string_view k, std::string_view value) {
  key(k);
  append_canonical_string(out_, value);
  return *this;
}

canonical_writer& canonical_writer::str_or_null(std::string_view k, std::string_view value) {
  return value.empty() ? null(k) : str(k, value);
}

canonical_writer& canonical_writer::integer(std::string_view k, std::int64_t value) {
  key(k);
  write_integer(out_, value);
  return *this;
}

canonical_writer& canonical_writer::null(std::string_view k) {
  return raw(k, "null");
}

std::string canonical_writer::take() {
  out_ += '}';
  first_ = true;
  last_key_.clear();
  return std::exchange(out_, "{");
}

bool utf16_less(std::string_view a, std::string_view b) {
  if (all_ascii(a) && all_ascii(b))
    return a < b;
  return to_utf16(a) < to_utf16(b);
}

} // namespace fp::schemas
