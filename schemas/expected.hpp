#pragma once

#include "schemas/error.hpp"

#include <cassert>
#include <utility>
#include <variant>

namespace fp {

/// A value or an `fp::error`, modelled on `caf::expected`. The lower layers (schemas,
/// journal, bus) use this instead of `caf::expected` so that they build without CAF.
template <class T>
class [[nodiscard]] expected {
public:
  expected(T value)
      : v_(std::move(value)) {}
  expected(fp::error err)
      : v_(std::move(err)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const fp::error& error() const& { return std::get<1>(v_); }
  fp::error&& error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, fp::error> v_;
};

template <>
class [[nodiscard]] expected<void> {
public:
  expected() = default;
  expected(fp::error err)
      : err_(std::move(err))
      , ok_(false) {}

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const fp::error& error() const& { return err_; }
  fp::error&& error() && { return std::move(err_); }

private:
  fp::error err_;
  bool ok_ = true;
};

} // namespace fp
