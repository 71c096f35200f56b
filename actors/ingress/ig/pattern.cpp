#include "actors/ingress/ig/pattern.hpp"

#include <bitset>
#include <climits>
#include <vector>

namespace fp::ig {

struct pattern::node {
  enum kind_t { set, seq, alt, rep, bol, eol, look } kind = seq;
  std::bitset<256> chars;                  ///< set
  std::vector<std::unique_ptr<node>> kids; ///< seq, alt; rep and look: kids[0]
  unsigned min = 0, max = 0;               ///< rep (max UINT_MAX: unbounded)
  bool negate = false;                     ///< look: (?!...)
};

namespace {

using node = pattern::node;
using node_ptr = std::unique_ptr<node>;
constexpr unsigned unbounded = UINT_MAX;

node_ptr make(node::kind_t k) {
  auto n = std::make_unique<node>();
  n->kind = k;
  return n;
}

// -- parsing ------------------------------------------------------------------------------------

class parser {
public:
  explicit parser(std::string_view s)
      : s_(s) {}

  /// nullptr: outside the subset, or malformed.
  node_ptr parse() {
    auto n = alternation();
    if (!n || i_ != s_.size())
      return nullptr;
    return n;
  }

private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }

  node_ptr alternation() {
    auto first = sequence();
    if (!first)
      return nullptr;
    if (at_end() || peek() != '|')
      return first;
    auto a = make(node::alt);
    a->kids.push_back(std::move(first));
    while (!at_end() && peek() == '|') {
      ++i_;
      auto next = sequence();
      if (!next)
        return nullptr;
      a->kids.push_back(std::move(next));
    }
    return a;
  }

  node_ptr sequence() {
    auto q = make(node::seq);
    while (!at_end() && peek() != '|' && peek() != ')') {
      auto a = atom();
      if (!a)
        return nullptr;
      if (!quantify(a))
        return nullptr;
      q->kids.push_back(std::move(a));
    }
    return q;
  }

  /// Applies a quantifier after `a`, if one follows. False: malformed or lazy.
  bool quantify(node_ptr& a) {
    if (at_end())
      return true;
    unsigned lo = 0, hi = 0;
    char c = peek();
    if (c == '?') {
      lo = 0, hi = 1;
      ++i_;
    } else if (c == '*') {
      lo = 0, hi = unbounded;
      ++i_;
    } else if (c == '+') {
      lo = 1, hi = unbounded;
      ++i_;
    } else if (c == '{') {
      ++i_;
      auto m = number();
      if (!m)
        return false;
      lo = hi = *m;
      if (!at_end() && peek() == ',') {
        ++i_;
        if (!at_end() && peek() == '}') {
          hi = unbounded;
        } else {
          auto n = number();
          if (!n || *n < lo)
            return false;
          hi = *n;
        }
      }
      if (at_end() || peek() != '}')
        return false;
      ++i_;
    } else {
      return true;
    }
    if (!at_end() && (peek() == '?' || peek() == '*' || peek() == '+' || peek() == '{'))
      return false; // lazy, or a quantifier on a quantifier
    if (a->kind == node::bol || a->kind == node::eol || a->kind == node::look)
      return false;
    auto r = make(node::rep);
    r->min = lo;
    r->max = hi;
    r->kids.push_back(std::move(a));
    a = std::move(r);
    return true;
  }

  std::optional<unsigned> number() {
    std::size_t start = i_;
    unsigned long v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<unsigned>(peek() - '0');
      if (v > 100000)
        return std::nullopt;
      ++i_;
    }
    if (i_ == start)
      return std::nullopt;
    return static_cast<unsigned>(v);
  }

  node_ptr atom() {
    char c = peek();
    switch (c) {
    case '^':
      ++i_;
      return make(node::bol);
    case '$':
      ++i_;
      return make(node::eol);
    case '.': {
      ++i_;
      auto n = make(node::set);
      n->chars.set();
      n->chars.reset('\n');
      n->chars.reset('\r');
      return n;
    }
    case '(':
      return group();
    case '[':
      return char_class();
    case '\\': {
      ++i_;
      auto n = make(node::set);
      if (!escape(n->chars))
        return nullptr;
      return n;
    }
    case '*':
    case '+':
    case '?':
    case '{':
    case '}':
    case ']':
    case ')':
      return nullptr;
    default: {
      ++i_;
      auto n = make(node::set);
      n->chars.set(static_cast<unsigned char>(c));
      return n;
    }
    }
  }

  node_ptr group() {
    ++i_; // (
    node_ptr wrap;
    if (!at_end() && peek() == '?') {
      if (i_ + 1 >= s_.size())
        return nullptr;
      char k = s_[i_ + 1];
      if (k == ':') {
        i_ += 2;
      } else if (k == '!' || k == '=') {
        wrap = make(node::look);
        wrap->negate = k == '!';
        i_ += 2;
      } else {
        return nullptr; // named groups, lookbehind
      }
    }
    auto inner = alternation();
    if (!inner || at_end() || peek() != ')')
      return nullptr;
    ++i_;
    if (!wrap)
      return inner;
    wrap->kids.push_back(std::move(inner));
    return wrap;
  }

  /// After a backslash: the characters it stands for, into `into`. (`\b`, a backspace inside a
  /// class and a word boundary outside, is refused like the other escapes outside the subset.)
  bool escape(std::bitset<256>& into) {
    if (at_end())
      return false;
    char c = s_[i_++];
    auto range = [&](char a, char b) {
      for (int x = a; x <= b; ++x)
        into.set(static_cast<unsigned char>(x));
    };
    switch (c) {
    case 'd':
      range('0', '9');
      return true;
    case 'w':
      range('0', '9');
      range('a', 'z');
      range('A', 'Z');
      into.set('_');
      return true;
    case 's':
      // ECMAScript's WhiteSpace and LineTerminator, as far as single bytes go.
      for (char x : {' ', '\t', '\n', '\v', '\f', '\r'})
        into.set(static_cast<unsigned char>(x));
      return true;
    case 'n':
      into.set('\n');
      return true;
    case 'r':
      into.set('\r');
      return true;
    case 't':
      into.set('\t');
      return true;
    case 'f':
      into.set('\f');
      return true;
    case 'v':
      into.set('\v');
      return true;
    default:
      break;
    }
    // Identity escapes of syntax characters (and '-' or '/').
    static constexpr std::string_view syntax = "^$\\.*+?()[]{}|/-";
    if (syntax.find(c) == std::string_view::npos)
      return false;
    into.set(static_cast<unsigned char>(c));
    return true;
  }

  /// One class atom at the cursor: a character, perhaps escaped, or a shorthand class (`\d \w
  /// \s`). Adds its characters to `into` and returns the character (-1 for a shorthand), or
  /// nullopt outside the subset (a `[` may open a POSIX class).
  std::optional<int> class_atom(std::bitset<256>& into) {
    if (at_end() || peek() == '[')
      return std::nullopt;
    char c = s_[i_++];
    if (c != '\\') {
      into.set(static_cast<unsigned char>(c));
      return static_cast<unsigned char>(c);
    }
    if (at_end())
      return std::nullopt;
    char e = peek();
    std::bitset<256> chars;
    if (!escape(chars))
      return std::nullopt;
    into |= chars;
    if (e == 'd' || e == 'w' || e == 's')
      return -1;
    for (int x = 0; x < 256; ++x)
      if (chars.test(static_cast<std::size_t>(x)))
        return x;
    return std::nullopt;
  }

  node_ptr char_class() {
    ++i_; // [
    auto n = make(node::set);
    bool negated = false;
    if (!at_end() && peek() == '^') {
      negated = true;
      ++i_;
    }
    std::bitset<256> chars;
    bool first = true;
    while (true) {
      if (at_end())
        return nullptr;
      if (peek() == ']') {
        if (first)
          return nullptr; // `[]` and `[^]`: outside the subset
        break;
      }
      first = false;
      std::bitset<256> atom_chars;
      auto lo = class_atom(atom_chars);
      if (!lo)
        return nullptr;
      // A range `a-z`: '-' between two single characters, not before the closing ']'.
      if (*lo >= 0 && i_ + 1 < s_.size() && peek() == '-' && s_[i_ + 1] != ']') {
        ++i_; // -
        std::bitset<256> high;
        auto hi = class_atom(high);
        if (!hi || *hi < *lo)
          return nullptr;
        for (int x = *lo; x <= *hi; ++x)
          chars.set(static_cast<std::size_t>(x));
        continue;
      }
      chars |= atom_chars;
    }
    ++i_; // ]
    n->chars = negated ? ~chars : chars;
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// -- matching -----------------------------------------------------------------------------------

/// A callable taking the position reached, by reference (no allocation).
class next_fn {
public:
  template <class F>
  explicit next_fn(const F& f)
      : obj_(&f)
      , call_([](const void* o, std::size_t p) { return (*static_cast<const F*>(o))(p); }) {}
  bool operator()(std::size_t p) const { return call_(obj_, p); }

private:
  const void* obj_;
  bool (*call_)(const void*, std::size_t);
};

class matcher {
public:
  explicit matcher(std::string_view s)
      : s_(s) {}

  /// Whether `n` matches at `pos` with a continuation `k` that accepts what follows.
  bool match(const node& n, std::size_t pos, const next_fn& k) const {
    switch (n.kind) {
    case node::set:
      return pos < s_.size() && n.chars.test(static_cast<unsigned char>(s_[pos])) && k(pos + 1);
    case node::bol:
      return pos == 0 && k(pos);
    case node::eol:
      return pos == s_.size() && k(pos);
    case node::seq:
      return match_seq(n, 0, pos, k);
    case node::alt:
      for (auto& kid : n.kids)
        if (match(*kid, pos, k))
          return true;
      return false;
    case node::look: {
      auto any = [](std::size_t) { return true; };
      bool found = match(*n.kids[0], pos, next_fn(any));
      return found != n.negate && k(pos);
    }
    case node::rep:
      return match_rep(n, pos, k);
    }
    return false;
  }

private:
  bool match_seq(const node& n, std::size_t i, std::size_t pos, const next_fn& k) const {
    if (i == n.kids.size())
      return k(pos);
    auto rest = [&](std::size_t p) { return match_seq(n, i + 1, p, k); };
    return match(*n.kids[i], pos, next_fn(rest));
  }

  bool match_rep(const node& n, std::size_t pos, const next_fn& k) const {
    const node& kid = *n.kids[0];
    if (kid.kind == node::set) {
      // A run of one class: take as many as allowed, then give back one at a time.
      std::size_t run = 0;
      while (run < n.max && pos + run < s_.size() &&
             kid.chars.test(static_cast<unsigned char>(s_[pos + run])))
        ++run;
      if (run < n.min)
        return false;
      for (std::size_t c = run + 1; c-- > n.min;)
        if (k(pos + c))
          return true;
      return false;
    }
    return iterate(n, 0, pos, k);
  }

  /// Greedy repetition of a general sub-pattern: `count` iterations done, at `pos`.
  bool iterate(const node& n, unsigned count, std::size_t pos, const next_fn& k) const {
    if (count < n.max) {
      auto again = [&](std::size_t p) {
        // ECMAScript: once the minimum is met, an iteration that matches empty fails.
        if (p == pos && count >= n.min)
          return false;
        return iterate(n, count + 1, p, k);
      };
      if (match(*n.kids[0], pos, next_fn(again)))
        return true;
    }
    return count >= n.min && k(pos);
  }

  std::string_view s_;
};

bool starts_anchored(const node& n) {
  if (n.kind == node::bol)
    return true;
  if (n.kind == node::seq)
    return !n.kids.empty() && starts_anchored(*n.kids[0]);
  if (n.kind == node::alt) {
    for (auto& k : n.kids)
      if (!starts_anchored(*k))
        return false;
    return !n.kids.empty();
  }
  return false;
}

} // namespace

pattern::pattern(std::unique_ptr<node> root, bool anchored)
    : root_(std::move(root))
    , anchored_(anchored) {}
pattern::pattern(pattern&&) noexcept = default;
pattern& pattern::operator=(pattern&&) noexcept = default;
pattern::~pattern() = default;

std::optional<pattern> pattern::compile(std::string_view source) {
  auto root = parser(source).parse();
  if (!root)
    return std::nullopt;
  bool anchored = starts_anchored(*root);
  return pattern(std::move(root), anchored);
}

bool pattern::search(std::string_view s) const {
  matcher m(s);
  auto done = [](std::size_t) { return true; };
  next_fn k(done);
  std::size_t last = anchored_ ? 0 : s.size();
  for (std::size_t start = 0; start <= last; ++start)
    if (m.match(*root_, start, k))
      return true;
  return false;
}

} // namespace fp::ig
