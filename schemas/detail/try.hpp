#pragma once

/// Internal to schemas/ sources: early return on an `fp::expected` error.

/// Assigns the value of the `fp::expected` `expr` to `lhs`, or returns its error.
#define FP_SCHEMAS_TRY(lhs, expr)                                                                  \
  do {                                                                                             \
    auto fp_try_ = (expr);                                                                         \
    if (!fp_try_)                                                                                  \
      return std::move(fp_try_).error();                                                           \
    lhs = std::move(*fp_try_);                                                                     \
  } while (false)

/// Returns the error of the `fp::expected<void>` `expr`, if any.
#define FP_SCHEMAS_CHECK(expr)                                                                     \
  do {                                                                                             \
    if (auto fp_ok_ = (expr); !fp_ok_)                                                             \
      return std::move(fp_ok_).error();                                                            \
  } while (false)
