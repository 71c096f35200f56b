#pragma once

#include "schemas/expected.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

/// Internal to schemas/: the versioned-array msgpack layout every contract type uses,
/// `[version, field, field, ...]`, with absent optionals written as nil.
namespace fp::schemas::detail {

/// Writes one versioned array.
class array_writer {
public:
  array_writer(std::uint32_t version, std::uint32_t fields);

  void str(std::string_view v);
  void opt_str(const std::optional<std::string>& v);
  void uint(std::uint64_t v);
  void opt_uint(const std::optional<std::uint64_t>& v);
  void bin(std::string_view v);

  /// The bytes written so far.
  std::string take() const;

private:
  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> pk_;
};

/// Reads one versioned array. Never throws: msgpack's exceptions become `bad_encoding`.
class array_reader {
public:
  /// Unpacks `bytes` (no trailing bytes), checks the version (`unsupported_version`) and that
  /// the array has exactly `fields` items after it (`bad_encoding`). `doc` names the type.
  static expected<array_reader> open(std::string_view bytes, std::string_view doc,
                                     std::uint32_t version, std::uint32_t fields);

  /// Item `i` (1-based: item 0 is the version) named `field` in messages.
  expected<std::string> str(std::uint32_t i, std::string_view field) const;
  expected<std::optional<std::string>> opt_str(std::uint32_t i, std::string_view field) const;
  expected<std::uint64_t> uint(std::uint32_t i, std::string_view field) const;
  expected<std::optional<std::uint64_t>> opt_uint(std::uint32_t i, std::string_view field) const;
  expected<std::string> bin(std::uint32_t i, std::string_view field) const;

private:
  array_reader(std::unique_ptr<msgpack::object_handle> handle, std::string_view doc)
      : handle_(std::move(handle))
      , doc_(doc) {}

  const msgpack::object& item(std::uint32_t i) const { return handle_->get().via.array.ptr[i]; }
  fp::error wrong(std::string_view field, std::string_view expected_type) const;

  std::unique_ptr<msgpack::object_handle> handle_;
  std::string doc_;
};

} // namespace fp::schemas::detail
