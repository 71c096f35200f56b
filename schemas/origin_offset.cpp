#include "schemas/origin_offset.hpp"

#include "schemas/canonical_json.hpp"
#include "schemas/detail/json_fields.hpp"
#include "schemas/detail/msgpack_fields.hpp"
#include "schemas/detail/try.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

#include <limits>

namespace fp::schemas {

namespace {

constexpr std::uint64_t max_partition = std::numeric_limits<std::int32_t>::max();

expected<void> check(const fp::origin_offset& o, const std::string& doc) {
  FP_SCHEMAS_CHECK(validate_topic(doc + ".topic", o.topic));
  if (o.partition < 0)
    return fp::error{errc::bad_format, doc + ".partition: not within 0..2147483647 (" +
                                           std::to_string(o.partition) + ")"};
  if (o.offset < 0 || static_cast<std::uint64_t>(o.offset) > detail::max_safe_uint)
    return fp::error{errc::bad_format,
                     doc + ".offset: not within 0..2^53-1 (" + std::to_string(o.offset) + ")"};
  return {};
}

} // namespace

expected<void> validate_origin_offset(const fp::origin_offset& o) {
  return check(o, "origin_offset");
}

expected<fp::origin_offset> origin_offset_from_json(const nlohmann::json& value,
                                                    std::string_view path) {
  std::string doc(path);
  FP_SCHEMAS_CHECK(detail::expect_object(value, doc));
  detail::object_reader r(value, path);
  FP_SCHEMAS_CHECK(r.only_keys({"topic", "partition", "offset"}));
  fp::origin_offset o;
  std::uint64_t n = 0;
  FP_SCHEMAS_TRY(o.topic, r.string("topic"));
  FP_SCHEMAS_TRY(n, r.uint("partition", max_partition));
  o.partition = static_cast<std::int32_t>(n);
  FP_SCHEMAS_TRY(n, r.uint("offset", detail::max_safe_uint));
  o.offset = static_cast<std::int64_t>(n);
  FP_SCHEMAS_CHECK(check(o, doc));
  return o;
}

expected<fp::origin_offset> parse_origin_offset(std::string_view json_text) {
  nlohmann::json doc;
  FP_SCHEMAS_TRY(doc, detail::parse_object(json_text, "origin_offset"));
  return origin_offset_from_json(doc, "origin_offset");
}

std::string to_json(const fp::origin_offset& o) {
  return canonical(
      nlohmann::json{{"topic", o.topic}, {"partition", o.partition}, {"offset", o.offset}});
}

std::string encode_msgpack(const fp::origin_offset& o) {
  detail::array_writer w(origin_offset_format_version, 3);
  w.str(o.topic);
  w.uint(static_cast<std::uint64_t>(o.partition));
  w.uint(static_cast<std::uint64_t>(o.offset));
  return w.take();
}

expected<fp::origin_offset> decode_origin_offset(std::string_view bytes) {
  auto opened = detail::array_reader::open(bytes, "origin_offset", origin_offset_format_version, 3);
  if (!opened)
    return std::move(opened).error();
  const detail::array_reader& r = *opened;
  fp::origin_offset o;
  std::uint64_t n = 0;
  FP_SCHEMAS_TRY(o.topic, r.str(1, "topic"));
  FP_SCHEMAS_TRY(n, r.uint(2, "partition"));
  if (n > max_partition)
    return fp::error{errc::bad_format, "origin_offset.partition: not within 0..2147483647 (" +
                                           std::to_string(n) + ")"};
  o.partition = static_cast<std::int32_t>(n);
  FP_SCHEMAS_TRY(n, r.uint(3, "offset"));
  if (n > detail::max_safe_uint)
    return fp::error{errc::bad_format,
                     "origin_offset.offset: not within 0..2^53-1 (" + std::to_string(n) + ")"};
  o.offset = static_cast<std::int64_t>(n);
  FP_SCHEMAS_CHECK(validate_origin_offset(o));
  return o;
}

} // namespace fp::schemas
