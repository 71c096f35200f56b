#include "schemas/detail/msgpack_fields.hpp"

#include "schemas/errc.hpp"

namespace fp::schemas::detail {

namespace {

/// Bounds for untrusted bytes: one flat array of at most 64 items, no maps or exts, strings up
/// to 1 MiB, a payload up to 64 MiB. Exceeding any is a `bad_encoding`.
const msgpack::unpack_limit limits(64, 0, 1U << 20, 64U << 20, 0, 1);

} // namespace

array_writer::array_writer(std::uint32_t version, std::uint32_t fields)
    : pk_(buf_) {
  pk_.pack_array(fields + 1);
  pk_.pack_uint32(version);
}

void array_writer::str(std::string_view v) {
  pk_.pack_str(static_cast<std::uint32_t>(v.size()));
  pk_.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
}

void array_writer::opt_str(const std::optional<std::string>& v) {
  if (v)
    str(*v);
  else
    pk_.pack_nil();
}

void array_writer::uint(std::uint64_t v) {
  pk_.pack_uint64(v);
}

void array_writer::opt_uint(const std::optional<std::uint64_t>& v) {
  if (v)
    uint(*v);
  else
    pk_.pack_nil();
}

void array_writer::bin(std::string_view v) {
  pk_.pack_bin(static_cast<std::uint32_t>(v.size()));
  pk_.pack_bin_body(v.data(), static_cast<std::uint32_t>(v.size()));
}

std::string array_writer::take() const {
  return std::string(buf_.data(), buf_.size());
}

expected<array_reader> array_reader::open(std::string_view bytes, std::string_view doc,
                                          std::uint32_t version, std::uint32_t fields) {
  auto fail = [&](errc code, const std::string& rule) {
    return fp::error{code, std::string(doc) + ": " + rule};
  };
  auto handle = std::make_unique<msgpack::object_handle>();
  try {
    std::size_t offset = 0;
    msgpack::unpack(*handle, bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size())
      return fail(errc::bad_encoding, std::to_string(bytes.size() - offset) +
                                          " trailing byte(s) after the msgpack value");
  } catch (const std::exception& ex) {
    return fail(errc::bad_encoding, std::string("not a msgpack value (") + ex.what() + ")");
  } catch (...) {
    return fail(errc::bad_encoding, "not a msgpack value");
  }
  const msgpack::object& root = handle->get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size == 0)
    return fail(errc::bad_encoding, "expected a versioned msgpack array");
  const msgpack::object& v = root.via.array.ptr[0];
  if (v.type != msgpack::type::POSITIVE_INTEGER)
    return fail(errc::bad_encoding, "item 0 (format version) is not a positive integer");
  if (v.via.u64 != version)
    return fail(errc::unsupported_version, "format version " + std::to_string(v.via.u64) +
                                               " not supported (this build reads " +
                                               std::to_string(version) + ")");
  if (root.via.array.size != fields + 1)
    return fail(errc::bad_encoding, "version " + std::to_string(version) + " has " +
                                        std::to_string(fields + 1) + " items, got " +
                                        std::to_string(root.via.array.size));
  return array_reader(std::move(handle), doc);
}

fp::error array_reader::wrong(std::string_view field, std::string_view expected_type) const {
  return fp::error{errc::bad_encoding, doc_ + "." + std::string(field) + ": expected msgpack " +
                                           std::string(expected_type)};
}

expected<std::string> array_reader::str(std::uint32_t i, std::string_view field) const {
  const msgpack::object& o = item(i);
  if (o.type != msgpack::type::STR)
    return wrong(field, "str");
  return std::string(o.via.str.ptr, o.via.str.size);
}

expected<std::optional<std::string>> array_reader::opt_str(std::uint32_t i,
                                                           std::string_view field) const {
  if (item(i).type == msgpack::type::NIL)
    return std::optional<std::string>{};
  auto s = str(i, field);
  if (!s)
    return fp::error{errc::bad_encoding, s.error().message() + " or nil"};
  return std::optional<std::string>{std::move(*s)};
}

expected<std::uint64_t> array_reader::uint(std::uint32_t i, std::string_view field) const {
  const msgpack::object& o = item(i);
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    return wrong(field, "non-negative integer");
  return o.via.u64;
}

expected<std::optional<std::uint64_t>> array_reader::opt_uint(std::uint32_t i,
                                                              std::string_view field) const {
  if (item(i).type == msgpack::type::NIL)
    return std::optional<std::uint64_t>{};
  auto u = uint(i, field);
  if (!u)
    return fp::error{errc::bad_encoding, u.error().message() + " or nil"};
  return std::optional<std::uint64_t>{*u};
}

expected<std::string> array_reader::bin(std::uint32_t i, std::string_view field) const {
  const msgpack::object& o = item(i);
  if (o.type != msgpack::type::BIN)
    return wrong(field, "bin");
  return std::string(o.via.bin.ptr, o.via.bin.size);
}

} // namespace fp::schemas::detail
