#pragma once
// A matcher for the ECMAScript regular expressions that payload schemas use in `pattern`.
//
// std::regex walks every character through a std::function, which made `pattern` most of what
// a payload check cost. This matcher covers the subset the contracts are written in — literals,
// `.`, classes (`[a-z0-9._-]`, `[^...]`, `\d \w \s`), groups (`(...)`, `(?:...)`), lookahead
// (`(?=...)`, `(?!...)`), alternation, `^` `$`, and the greedy quantifiers `? * + {m} {m,}
// {m,n}` — with ECMAScript's meaning on bytes, as std::regex<char> has it (`.` is any byte but
// `\n` and `\r`; `$` only at the end). `compile` returns nullopt for anything outside the
// subset (back-references, `\b`, lazy quantifiers, `\u` escapes ...): the caller keeps
// std::regex for those.

#include <memory>
#include <optional>
#include <string_view>

namespace fp::ig {

class pattern {
public:
  /// The compiled pattern, or nullopt when it uses syntax outside the subset (or is malformed:
  /// the caller reports malformed patterns from std::regex).
  static std::optional<pattern> compile(std::string_view source);

  /// Whether the pattern matches somewhere in `s` (JSON Schema's unanchored `pattern`, as
  /// std::regex_search).
  bool search(std::string_view s) const;

  struct node;

  pattern(pattern&&) noexcept;
  pattern& operator=(pattern&&) noexcept;
  ~pattern();

private:
  explicit pattern(std::unique_ptr<node> root, bool anchored);
  std::unique_ptr<node> root_;
  bool anchored_ = false; ///< every match starts at 0 (the pattern begins with `^`)
};

} // namespace fp::ig
