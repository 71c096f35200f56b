#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fp {

/// Specialize for a module's `errc` to make it usable in `fp::error`. Every module has one
/// `enum class errc` and a `to_string(errc)` that returns its machine-readable code.
template <class E>
struct error_domain;

namespace detail {

/// Finds the module's `to_string(errc)` by argument-dependent lookup.
template <class E>
std::string code_name(E code) {
  return to_string(code);
}

} // namespace detail

template <class E>
concept error_code_enum = std::is_enum_v<E> && requires {
  error_domain<E>::name;
};

/// An error as a value: a module, a machine-readable code and a message for operators that
/// names the thing and the rule (`journal: append "x": expected seq 4, head is 7`).
class error {
public:
  error() = default;

  template <error_code_enum E>
  error(E code, std::string message)
      : domain_(error_domain<E>::name)
      , code_(static_cast<int>(code))
      , code_name_(detail::code_name(code))
      , message_(std::move(message)) {}

  /// The module the code belongs to: "schemas", "journal", ...
  std::string_view domain() const noexcept { return domain_; }
  int code() const noexcept { return code_; }
  /// The code as a stable machine-readable word, e.g. `seq_conflict`.
  const std::string& code_name() const noexcept { return code_name_; }
  const std::string& message() const noexcept { return message_; }

  template <error_code_enum E>
  bool is(E code) const noexcept {
    return domain_ == error_domain<E>::name && code_ == static_cast<int>(code);
  }

  template <error_code_enum E>
  friend bool operator==(const error& x, E code) noexcept {
    return x.is(code);
  }

  /// `domain.code_name: message`.
  std::string to_string() const {
    return std::string(domain_) + "." + code_name_ + ": " + message_;
  }

private:
  std::string_view domain_ = "none";
  int code_ = 0;
  std::string code_name_;
  std::string message_;
};

} // namespace fp
