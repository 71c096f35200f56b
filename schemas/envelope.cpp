#include "schemas/envelope.hpp"

#include "schemas/canonical_json.hpp"
#include "schemas/detail/json_fields.hpp"
#include "schemas/detail/msgpack_fields.hpp"
#include "schemas/detail/try.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace fp::schemas {

namespace {

expected<void> check_payload(std::string_view payload) {
  auto parsed = parse_strict(payload, "envelope.payload");
  if (!parsed)
    return std::move(parsed).error();
  FP_SCHEMAS_CHECK(detail::expect_object(*parsed, "envelope.payload"));
  if (canonical(*parsed) != payload)
    return fp::error{errc::bad_format, "envelope.payload: not in RFC 8785 canonical form"};
  return {};
}

/// Format rules of every field except `payload`, in contract order.
expected<void> check_fields(const envelope& e, envelope_options options) {
  FP_SCHEMAS_CHECK(validate_path_segment("envelope.event_id", e.event_id.view()));
  FP_SCHEMAS_CHECK(validate_event_type("envelope.event_type", e.event_type));
  FP_SCHEMAS_CHECK(validate_schema_version("envelope.schema_version", e.schema_version));
  FP_SCHEMAS_CHECK(validate_rfc3339_utc("envelope.ts_utc", e.ts_utc));
  if (e.emitted_at_utc)
    FP_SCHEMAS_CHECK(validate_rfc3339_utc("envelope.emitted_at_utc", *e.emitted_at_utc));
  FP_SCHEMAS_CHECK(validate_platform_run_id("envelope.platform_run_id", e.platform_run_id.view()));
  FP_SCHEMAS_CHECK(validate_hex64("envelope.scenario_run_id", e.scenario_run_id.view()));
  FP_SCHEMAS_CHECK(validate_path_segment("envelope.scenario_id", e.scenario_id.view()));
  FP_SCHEMAS_CHECK(validate_hex64("envelope.manifest_fingerprint", e.manifest_fingerprint.view()));
  FP_SCHEMAS_CHECK(validate_hex64("envelope.parameter_hash", e.parameter_hash.view()));
  if (e.seed && *e.seed > detail::max_safe_uint)
    return fp::error{errc::bad_format,
                     "envelope.seed: not within 0..2^53-1 (" + std::to_string(*e.seed) + ")"};
  if (!e.seed && options.require_seed)
    return fp::error{errc::missing_field, "envelope.seed: missing (required for synthetic runs)"};
  return {};
}

} // namespace

expected<envelope> parse_envelope(std::string_view json_text, envelope_options options) {
  nlohmann::json doc;
  FP_SCHEMAS_TRY(doc, detail::parse_object(json_text, "envelope"));
  return envelope_from_json(doc, options);
}

expected<envelope> envelope_from_json(const nlohmann::json& doc, envelope_options options,
                                      std::string_view canonical_payload) {
  FP_SCHEMAS_CHECK(detail::expect_object(doc, "envelope"));
  if (doc.contains("run_id"))
    return fp::error{errc::legacy_field,
                     "envelope.run_id: retired field; use platform_run_id (the platform run) "
                     "and scenario_run_id (the scenario run) instead"};
  detail::object_reader r(doc, "envelope");
  FP_SCHEMAS_CHECK(
      r.only_keys({"event_id", "event_type", "schema_version", "ts_utc", "emitted_at_utc",
                   "platform_run_id", "scenario_run_id", "scenario_id", "manifest_fingerprint",
                   "parameter_hash", "seed", "payload"}));
  envelope e;
  std::string s;
  FP_SCHEMAS_TRY(s, r.string("event_id"));
  e.event_id = fp::event_id{std::move(s)};
  FP_SCHEMAS_TRY(e.event_type, r.string("event_type"));
  FP_SCHEMAS_TRY(e.schema_version, r.string("schema_version"));
  FP_SCHEMAS_TRY(e.ts_utc, r.string("ts_utc"));
  FP_SCHEMAS_TRY(e.emitted_at_utc, r.optional_string("emitted_at_utc"));
  FP_SCHEMAS_TRY(s, r.string("platform_run_id"));
  e.platform_run_id = fp::platform_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_run_id"));
  e.scenario_run_id = fp::scenario_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_id"));
  e.scenario_id = fp::scenario_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("manifest_fingerprint"));
  e.manifest_fingerprint = fp::manifest_fingerprint{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("parameter_hash"));
  e.parameter_hash = fp::parameter_hash{std::move(s)};
  FP_SCHEMAS_TRY(e.seed, r.optional_uint("seed", detail::max_safe_uint));
  const nlohmann::json* payload = r.find("payload");
  if (!payload)
    return fp::error{errc::missing_field, "envelope.payload: missing (required)"};
  FP_SCHEMAS_CHECK(detail::expect_object(*payload, "envelope.payload"));
  e.payload = canonical_payload.empty() ? canonical(*payload) : std::string(canonical_payload);
  FP_SCHEMAS_CHECK(check_fields(e, options));
  return e;
}

expected<void> validate_envelope(const envelope& e, envelope_options options) {
  FP_SCHEMAS_CHECK(check_fields(e, options));
  return check_payload(e.payload);
}

std::string to_json(const envelope& e) {
  // The payload is spliced in as is because it is already canonical.
  canonical_object j;
  j.str("event_id", e.event_id.view())
      .str("event_type", e.event_type)
      .str("schema_version", e.schema_version)
      .str("ts_utc", e.ts_utc)
      .str("platform_run_id", e.platform_run_id.view())
      .str("scenario_run_id", e.scenario_run_id.view())
      .str("scenario_id", e.scenario_id.view())
      .str("manifest_fingerprint", e.manifest_fingerprint.view())
      .str("parameter_hash", e.parameter_hash.view())
      .raw("payload", e.payload);
  if (e.emitted_at_utc)
    j.str("emitted_at_utc", *e.emitted_at_utc);
  if (e.seed)
    j.raw("seed", format_number(static_cast<double>(*e.seed)));
  return j.take();
}

std::string encode_msgpack(const envelope& e) {
  detail::array_writer w(envelope_format_version, 12);
  w.str(e.event_id.view());
  w.str(e.event_type);
  w.str(e.schema_version);
  w.str(e.ts_utc);
  w.opt_str(e.emitted_at_utc);
  w.str(e.platform_run_id.view());
  w.str(e.scenario_run_id.view());
  w.str(e.scenario_id.view());
  w.str(e.manifest_fingerprint.view());
  w.str(e.parameter_hash.view());
  w.opt_uint(e.seed);
  w.bin(e.payload);
  return w.take();
}

expected<envelope> decode_envelope(std::string_view bytes) {
  auto opened = detail::array_reader::open(bytes, "envelope", envelope_format_version, 12);
  if (!opened)
    return std::move(opened).error();
  const detail::array_reader& r = *opened;
  envelope e;
  std::string s;
  FP_SCHEMAS_TRY(s, r.str(1, "event_id"));
  e.event_id = fp::event_id{std::move(s)};
  FP_SCHEMAS_TRY(e.event_type, r.str(2, "event_type"));
  FP_SCHEMAS_TRY(e.schema_version, r.str(3, "schema_version"));
  FP_SCHEMAS_TRY(e.ts_utc, r.str(4, "ts_utc"));
  FP_SCHEMAS_TRY(e.emitted_at_utc, r.opt_str(5, "emitted_at_utc"));
  FP_SCHEMAS_TRY(s, r.str(6, "platform_run_id"));
  e.platform_run_id = fp::platform_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.str(7, "scenario_run_id"));
  e.scenario_run_id = fp::scenario_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.str(8, "scenario_id"));
  e.scenario_id = fp::scenario_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.str(9, "manifest_fingerprint"));
  e.manifest_fingerprint = fp::manifest_fingerprint{std::move(s)};
  FP_SCHEMAS_TRY(s, r.str(10, "parameter_hash"));
  e.parameter_hash = fp::parameter_hash{std::move(s)};
  FP_SCHEMAS_TRY(e.seed, r.opt_uint(11, "seed"));
  FP_SCHEMAS_TRY(e.payload, r.bin(12, "payload"));
  FP_SCHEMAS_CHECK(validate_envelope(e));
  return e;
}

} // namespace fp::schemas
