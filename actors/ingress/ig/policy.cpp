#include "actors/ingress/ig/policy.hpp"

#include "actors/ingress/ig/errc.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"
#include "schemas/yaml_fields.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace fp::ig {

namespace {

using namespace yaml_fields;
constexpr bool required = true;

const std::set<std::string, std::less<>> pin_names{"platform_run_id", "scenario_run_id",
                                                   "scenario_id",     "manifest_fingerprint",
                                                   "parameter_hash",  "seed"};

fp::error bad(std::string message) {
  return fp::error{errc::bad_policy, std::move(message)};
}

expected<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return bad(p.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

expected<YAML::Node> read_yaml(const std::filesystem::path& p) {
  auto text = read_file(p);
  if (!text)
    return std::move(text).error();
  try {
    return YAML::Load(*text);
  } catch (const YAML::Exception& ex) {
    return bad(p.string() + ":" + std::to_string(ex.mark.line + 1) + ": not valid YAML: " + ex.msg);
  }
}

expected<void> as_policy_error(expected<void> r) {
  if (r)
    return r;
  return bad(r.error().message());
}

reader version_is(std::string& out, std::string_view want) {
  return text(out, {want});
}

nlohmann::json class_json(const event_class_rule& c) {
  return {{"event_class", c.event_class},         {"event_types", c.event_types},
          {"schema_versions", c.schema_versions}, {"payload_schema", c.payload_schema},
          {"required_pins", c.required_pins},     {"partitioning_profile", c.partitioning_profile}};
}

} // namespace

const event_class_rule* policy::class_of(std::string_view event_type) const {
  for (auto& c : classes)
    for (auto& t : c.event_types)
      if (t == event_type)
        return &c;
  return nullptr;
}

const partitioning_profile& policy::profile_of(const event_class_rule& c) const {
  for (auto& p : profiles)
    if (p.id == c.partitioning_profile)
      return p;
  return profiles.front(); // unreachable: load_policy checks every reference
}

expected<policy> load_policy(const std::filesystem::path& class_map,
                             const std::filesystem::path& partitioning_profiles,
                             const std::filesystem::path& payload_schemas_dir) {
  policy pol;
  std::string version;
  const std::string cm_src = class_map.string();
  auto cm = read_yaml(class_map);
  if (!cm)
    return std::move(cm).error();
  if (auto ok = as_policy_error(
          read_map(*cm, at{cm_src, ""},
                   {{"version", required, version_is(version, "class_map.v0")},
                    {"classes", required,
                     map_list<event_class_rule>(
                         pol.classes,
                         [](event_class_rule& c) {
                           return std::vector<key>{
                               {"event_class", required, text(c.event_class)},
                               {"event_types", required, text_list(c.event_types)},
                               {"schema_versions", required, text_list(c.schema_versions)},
                               {"payload_schema", required, text(c.payload_schema)},
                               {"required_pins", required, text_list(c.required_pins)},
                               {"partitioning_profile", required, text(c.partitioning_profile)},
                           };
                         })}}));
      !ok)
    return std::move(ok).error();
  const std::string pp_src = partitioning_profiles.string();
  auto pp = read_yaml(partitioning_profiles);
  if (!pp)
    return std::move(pp).error();
  if (auto ok = as_policy_error(
          read_map(*pp, at{pp_src, ""},
                   {{"version", required, version_is(version, "partitioning_profiles.v0")},
                    {"profiles", required,
                     map_list<partitioning_profile>(pol.profiles,
                                                    [](partitioning_profile& p) {
                                                      return std::vector<key>{
                                                          {"id", required, text(p.id)},
                                                          {"topic", required, text(p.topic)},
                                                          {"key_precedence", required,
                                                           text_list(p.key_precedence)},
                                                      };
                                                    })}}));
      !ok)
    return std::move(ok).error();

  // -- cross-checks ---------------------------------------------------------------------------
  std::set<std::string> profile_ids;
  for (std::size_t i = 0; i < pol.profiles.size(); ++i) {
    auto& p = pol.profiles[i];
    auto where = pp_src + ": profiles[" + std::to_string(i) + "]";
    if (!profile_ids.insert(p.id).second)
      return bad(where + ".id: profile " + schemas::quote_value(p.id) + " is listed twice");
    if (!schemas::is_topic(p.topic))
      return bad(where + ".topic: not a topic name (" + schemas::quote_value(p.topic) + ")");
    if (p.key_precedence.empty())
      return bad(where + ".key_precedence: must name at least one field");
    for (auto& k : p.key_precedence)
      if (k != "event_id" &&
          !(k.starts_with("payload.") && k.size() > 8 && k.find('.', 8) == std::string::npos))
        return bad(where + ".key_precedence: " + schemas::quote_value(k) +
                   " is neither event_id nor payload.<field>");
  }
  std::set<std::string> class_names, types;
  for (std::size_t i = 0; i < pol.classes.size(); ++i) {
    auto& c = pol.classes[i];
    auto where = cm_src + ": classes[" + std::to_string(i) + "]";
    if (!schemas::is_path_safe_id(c.event_class) || c.event_class.starts_with("_"))
      return bad(where + ".event_class: must be path-safe and not start with _ (" +
                 schemas::quote_value(c.event_class) + ")");
    if (!class_names.insert(c.event_class).second)
      return bad(where + ".event_class: " + c.event_class + " is listed twice");
    if (c.event_types.empty())
      return bad(where + ".event_types: must name at least one event type");
    for (auto& t : c.event_types)
      if (!types.insert(t).second)
        return bad(where + ".event_types: " + schemas::quote_value(t) +
                   " belongs to another class too");
    if (c.schema_versions.empty())
      return bad(where + ".schema_versions: must name at least one version");
    for (auto& v : c.schema_versions)
      if (!schemas::is_schema_version(v))
        return bad(where + ".schema_versions: " + schemas::quote_value(v) + " is not v<digits>");
    for (auto& pin : c.required_pins)
      if (!pin_names.contains(pin))
        return bad(where + ".required_pins: " + schemas::quote_value(pin) +
                   " is not a ContextPins field");
    if (!profile_ids.contains(c.partitioning_profile))
      return bad(where + ".partitioning_profile: unknown profile " +
                 schemas::quote_value(c.partitioning_profile));
    if (!schemas::is_path_safe_id(c.payload_schema))
      return bad(where + ".payload_schema: not path-safe (" +
                 schemas::quote_value(c.payload_schema) + ")");
    if (pol.payload_schemas.contains(c.payload_schema))
      continue;
    auto path = payload_schemas_dir / (c.payload_schema + ".schema.json");
    auto text = read_file(path);
    if (!text)
      return bad(where + ".payload_schema: " + text.error().message());
    auto doc = schemas::parse_strict(*text, path.string());
    if (!doc)
      return bad(doc.error().message());
    auto compiled = json_schema::compile(*doc, path.string());
    if (!compiled)
      return std::move(compiled).error();
    pol.payload_schemas.emplace(c.payload_schema, std::move(*compiled));
  }

  // -- policy_rev: the canonical JSON of what is in force ---------------------------------------
  nlohmann::json rev = nlohmann::json::object();
  rev["class_map"] = nlohmann::json::array();
  for (auto& c : pol.classes)
    rev["class_map"].push_back(class_json(c));
  rev["partitioning_profiles"] = nlohmann::json::array();
  for (auto& p : pol.profiles)
    rev["partitioning_profiles"].push_back(
        {{"id", p.id}, {"topic", p.topic}, {"key_precedence", p.key_precedence}});
  rev["payload_schemas"] = nlohmann::json::object();
  for (auto& [name, _] : pol.payload_schemas) {
    auto path = payload_schemas_dir / (name + ".schema.json");
    auto text = read_file(path);
    if (!text)
      return std::move(text).error();
    auto canon = schemas::canonicalize(*text, path.string());
    if (!canon)
      return bad(canon.error().message());
    rev["payload_schemas"][name] = schemas::sha256_hex(*canon);
  }
  pol.policy_rev = schemas::sha256_hex(schemas::canonical(rev));
  return pol;
}

} // namespace fp::ig
