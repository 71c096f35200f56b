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

// -- the fast path ---------------------------------------------------------------------------

/// A one-pass parser for documents `strict_handler` would accept: it builds the same DOM
/// (object keys in a std::map, non-negative integers unsigned, negative ones signed, the rest
/// doubles) without the SAX lexer's copy of every token. It gives up (nullopt) at the first
/// thing it does not take — malformed text, a duplicate key, a number out of range, a byte
/// order mark, nesting near the limit — and the caller parses again with the SAX parser, which
/// says what is wrong. So it decides no refusal and writes no message of its own.
class fast_parser {
public:
  explicit fast_parser(std::string_view text)
      : p_(text.data())
      , end_(text.data() + text.size()) {}

  std::optional<json> parse() {
    json out;
    if (!value(out, 0))
      return std::nullopt;
    ws();
    if (p_ != end_)
      return std::nullopt;
    return out;
  }

private:
  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool value(json& out, std::size_t depth) {
    ws();
    if (p_ == end_)
      return false;
    switch (*p_) {
    case '{':
      return object(out, depth + 1);
    case '[':
      return array(out, depth + 1);
    case '"': {
      std::string s;
      if (!string(s))
        return false;
      out = json(std::move(s));
      return true;
    }
    case 't':
      out = json(true);
      return literal("true");
    case 'f':
      out = json(false);
      return literal("false");
    case 'n':
      out = json(nullptr);
      return literal("null");
    default:
      return number(out);
    }
  }

  bool object(json& out, std::size_t depth) {
    if (depth >= max_json_depth - 1)
      return false;
    ++p_; // {
    out = json::object();
    auto& members = out.get_ref<json::object_t&>();
    ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      ws();
      if (p_ == end_ || *p_ != '"')
        return false;
      std::string key;
      if (!string(key))
        return false;
      ws();
      if (p_ == end_ || *p_ != ':')
        return false;
      ++p_;
      json v;
      if (!value(v, depth))
        return false;
      if (!members.emplace(std::move(key), std::move(v)).second)
        return false; // a duplicate key
      ws();
      if (p_ == end_)
        return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',')
        return false;
      ++p_;
    }
  }

  bool array(json& out, std::size_t depth) {
    if (depth >= max_json_depth - 1)
      return false;
    ++p_; // [
    out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      items.emplace_back();
      if (!value(items.back(), depth))
        return false;
      ws();
      if (p_ == end_)
        return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',')
        return false;
      ++p_;
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool u4(std::uint32_t& cp) {
    if (end_ - p_ < 4)
      return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(p_[i]);
      if (h < 0)
        return false;
      cp = cp << 4 | static_cast<std::uint32_t>(h);
    }
    p_ += 4;
    return true;
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  /// A well-formed UTF-8 sequence of 2 to 4 bytes at p_ (RFC 3629: no overlong forms, no
  /// surrogates, nothing above U+10FFFF); its length, or 0.
  std::size_t utf8_length() const {
    auto b = [&](std::ptrdiff_t i) {
      return p_ + i < end_ ? static_cast<unsigned char>(p_[i]) : 0u;
    };
    auto cont = [&](std::ptrdiff_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
      return b(i) >= lo && b(i) <= hi;
    };
    unsigned c = b(0);
    if (c >= 0xc2 && c <= 0xdf)
      return cont(1) ? 2 : 0;
    if (c == 0xe0)
      return cont(1, 0xa0) && cont(2) ? 3 : 0;
    if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
      return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xed)
      return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
    if (c == 0xf0)
      return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xf1 && c <= 0xf3)
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xf4)
      return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  bool string(std::string& out) {
    ++p_; // "
    while (true) {
      // The plain run up to a quote, a backslash, a control character or a non-ASCII byte.
      const char* run = p_;
      while (p_ != end_) {
        auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
          break;
        ++p_;
      }
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_)
        return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20)
        return false;
      if (c >= 0x80) {
        auto n = utf8_length();
        if (n == 0)
          return false;
        out.append(p_, n);
        p_ += n;
        continue;
      }
      // A backslash.
      if (++p_ == end_)
        return false;
      char e = *p_++;
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!u4(cp))
          return false;
        if (cp >= 0xdc00 && cp <= 0xdfff)
          return false; // a low surrogate first
        if (cp >= 0xd800 && cp <= 0xdbff) {
          std::uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
            return false;
          p_ += 2;
          if (!u4(low) || low < 0xdc00 || low > 0xdfff)
            return false;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        put_utf8(out, cp);
        break;
      }
      default:
        return false;
      }
    }
  }

  bool number(json& out) {
    const char* start = p_;
    bool negative = false;
    if (p_ != end_ && *p_ == '-') {
      negative = true;
      ++p_;
    }
    auto digit = [&] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
    if (!digit())
      return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (digit())
        ++p_;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (!digit())
        return false;
      while (digit())
        ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (!digit())
        return false;
      while (digit())
        ++p_;
    }
    std::string_view token(start, static_cast<std::size_t>(p_ - start));
    if (integral) {
      auto digits = token.substr(negative ? 1 : 0);
      if (digits.size() > 16) // beyond 2^53 for sure, or close: the SAX parser decides
        return false;
      std::uint64_t v = 0;
      for (char d : digits)
        v = v * 10 + static_cast<std::uint64_t>(d - '0');
      if (v > static_cast<std::uint64_t>(max_json_integer))
        return false;
      if (negative)
        out = json(static_cast<json::number_integer_t>(-static_cast<std::int64_t>(v)));
      else
        out = json(static_cast<json::number_unsigned_t>(v));
      return true;
    }
    double d = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
    if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(d))
      return false;
    if (d == 0 && token.substr(0, token.find_first_of("eE")).find_first_of("123456789") !=
                      std::string_view::npos)
      return false; // underflow: the SAX parser refuses it
    out = json(d);
    return true;
  }

  const char* p_;
  const char* end_;
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

std::optional<nlohmann::json> detail::parse_fast(std::string_view text) {
  return fast_parser(text).parse();
}

expected<nlohmann::json> parse_strict(std::string_view text, std::string_view root) {
  if (auto fast = fast_parser(text).parse())
    return std::move(*fast);
  return detail::parse_sax(text, root);
}

expected<nlohmann::json> detail::parse_sax(std::string_view text, std::string_view root) {
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
