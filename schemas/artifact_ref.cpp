#include "schemas/artifact_ref.hpp"

#include "schemas/canonical_json.hpp"
#include "schemas/detail/json_fields.hpp"
#include "schemas/detail/msgpack_fields.hpp"
#include "schemas/detail/try.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

namespace fp::schemas {

namespace {

expected<void> check(const fp::artifact_ref& a, const std::string& doc) {
  FP_SCHEMAS_CHECK(validate_object_key(doc + ".ref", a.ref));
  if (a.digest && !a.digest_alg)
    return fp::error{errc::missing_field,
                     doc + ".digest_alg: missing (required when digest is present)"};
  if (a.digest_alg && !a.digest)
    return fp::error{errc::missing_field,
                     doc + ".digest: missing (required when digest_alg is present)"};
  if (a.digest_alg) {
    if (*a.digest_alg != digest_alg_sha256)
      return fp::error{errc::bad_format, doc + ".digest_alg: not one of [\"sha256\"] (" +
                                             quote_value(*a.digest_alg) + ")"};
    FP_SCHEMAS_CHECK(validate_hex64(doc + ".digest", *a.digest));
  }
  if (a.schema_version)
    FP_SCHEMAS_CHECK(validate_schema_version(doc + ".schema_version", *a.schema_version));
  if (a.size_bytes && *a.size_bytes > detail::max_safe_uint)
    return fp::error{errc::bad_format, doc + ".size_bytes: not within 0..2^53-1 (" +
                                           std::to_string(*a.size_bytes) + ")"};
  return {};
}

} // namespace

expected<void> validate_artifact_ref(const fp::artifact_ref& ref) {
  return check(ref, "artifact_ref");
}

expected<fp::artifact_ref> artifact_ref_from_json(const nlohmann::json& value,
                                                  std::string_view path) {
  std::string doc(path);
  FP_SCHEMAS_CHECK(detail::expect_object(value, doc));
  detail::object_reader r(value, path);
  FP_SCHEMAS_CHECK(r.only_keys({"ref", "digest", "digest_alg", "schema_version", "size_bytes"}));
  fp::artifact_ref a;
  FP_SCHEMAS_TRY(a.ref, r.string("ref"));
  FP_SCHEMAS_TRY(a.digest, r.optional_string("digest"));
  FP_SCHEMAS_TRY(a.digest_alg, r.optional_string("digest_alg"));
  FP_SCHEMAS_TRY(a.schema_version, r.optional_string("schema_version"));
  FP_SCHEMAS_TRY(a.size_bytes, r.optional_uint("size_bytes", detail::max_safe_uint));
  FP_SCHEMAS_CHECK(check(a, doc));
  return a;
}

expected<fp::artifact_ref> parse_artifact_ref(std::string_view json_text) {
  nlohmann::json doc;
  FP_SCHEMAS_TRY(doc, detail::parse_object(json_text, "artifact_ref"));
  return artifact_ref_from_json(doc, "artifact_ref");
}

std::string to_json(const fp::artifact_ref& ref) {
  nlohmann::json j = {{"ref", ref.ref}};
  if (ref.digest)
    j["digest"] = *ref.digest;
  if (ref.digest_alg)
    j["digest_alg"] = *ref.digest_alg;
  if (ref.schema_version)
    j["schema_version"] = *ref.schema_version;
  if (ref.size_bytes)
    j["size_bytes"] = *ref.size_bytes;
  return canonical(j);
}

std::string encode_msgpack(const fp::artifact_ref& ref) {
  detail::array_writer w(artifact_ref_format_version, 5);
  w.str(ref.ref);
  w.opt_str(ref.digest);
  w.opt_str(ref.digest_alg);
  w.opt_str(ref.schema_version);
  w.opt_uint(ref.size_bytes);
  return w.take();
}

expected<fp::artifact_ref> decode_artifact_ref(std::string_view bytes) {
  auto opened = detail::array_reader::open(bytes, "artifact_ref", artifact_ref_format_version, 5);
  if (!opened)
    return std::move(opened).error();
  const detail::array_reader& r = *opened;
  fp::artifact_ref a;
  FP_SCHEMAS_TRY(a.ref, r.str(1, "ref"));
  FP_SCHEMAS_TRY(a.digest, r.opt_str(2, "digest"));
  FP_SCHEMAS_TRY(a.digest_alg, r.opt_str(3, "digest_alg"));
  FP_SCHEMAS_TRY(a.schema_version, r.opt_str(4, "schema_version"));
  FP_SCHEMAS_TRY(a.size_bytes, r.opt_uint(5, "size_bytes"));
  FP_SCHEMAS_CHECK(validate_artifact_ref(a));
  return a;
}

} // namespace fp::schemas
