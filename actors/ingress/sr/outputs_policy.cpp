#include "actors/ingress/sr/outputs_policy.hpp"
#include "schemas/file_text.hpp"

#include "actors/ingress/sr/errc.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"
#include "schemas/run_facts.hpp"
#include "schemas/yaml_fields.hpp"

#include <set>

namespace fp::sr {

namespace {

using namespace fp::yaml_fields;

/// A text value that must pass `check` (a schemas validator); its message becomes the rule.
reader checked_text(std::string& out,
                    expected<void> (*check)(std::string_view field, std::string_view value)) {
  return [&out, check](const YAML::Node& n, const at& w) -> expected<void> {
    std::string s;
    if (auto ok = text(s)(n, w); !ok)
      return ok;
    if (auto ok = check(w.path, s); !ok) {
      // The validator's message is `PATH: RULE`; keep the rule, `fail` adds the source.
      std::string_view message = ok.error().message();
      std::string prefix = w.path + ": ";
      if (message.starts_with(prefix))
        message.remove_prefix(prefix.size());
      return w.fail(std::string(message));
    }
    out = std::move(s);
    return {};
  };
}

fp::error as_policy_error(const fp::error& e) {
  return fp::error{errc::bad_policy, e.message()};
}

} // namespace

expected<outputs_policy> parse_outputs_policy(std::string_view text_in, std::string_view source) {
  const std::string src(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text_in));
  } catch (const YAML::Exception& ex) {
    return fp::error{errc::bad_policy, src + ":" + std::to_string(ex.mark.line + 1) + ":" +
                                           std::to_string(ex.mark.column + 1) +
                                           ": not valid YAML: " + ex.msg};
  }
  outputs_policy p;
  std::vector<key> keys{
      {"version", true, text(p.version, {outputs_policy_version})},
      {"outputs", true,
       map_list<output_spec>(
           p.outputs,
           [](output_spec& o) {
             return std::vector<key>{
                 {"output_id", true, checked_text(o.output_id, schemas::validate_path_segment)},
                 {"event_type", true, checked_text(o.event_type, schemas::validate_event_type)},
                 {"schema_version", true,
                  checked_text(o.schema_version, schemas::validate_schema_version)},
             };
           })},
  };
  if (auto ok = read_map(root, at{src, ""}, keys); !ok)
    return as_policy_error(ok.error());
  const at top{src, ""};
  if (p.outputs.empty())
    return as_policy_error(top.key("outputs").fail("must list at least one output"));
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < p.outputs.size(); ++i)
    if (!seen.insert(p.outputs[i].output_id).second)
      return as_policy_error(
          top.key("outputs")
              .item(i)
              .key("output_id")
              .fail("output \"" + p.outputs[i].output_id + "\" is listed twice"));
  return p;
}

expected<outputs_policy> load_outputs_policy(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fp::error{errc::bad_policy,
                     "outputs policy " + path.string() + " does not exist or is not a file"};
  auto text = schemas::read_file_text(path);
  if (!text)
    return fp::error{errc::bad_policy, "outputs policy " + path.string() + " is not readable"};
  return parse_outputs_policy(*text, path.string());
}

expected<std::vector<planned_output>> plan_outputs(const outputs_policy& traffic,
                                                   const outputs_policy& context) {
  std::vector<planned_output> out;
  std::set<std::string> seen;
  for (auto* p : {&traffic, &context}) {
    auto role = p == &traffic ? schemas::role_traffic : schemas::role_context;
    for (const auto& o : p->outputs) {
      if (!seen.insert(o.output_id).second)
        return fp::error{errc::bad_policy, "outputs policy: output \"" + o.output_id +
                                               "\" is in both the traffic and the context file"};
      out.push_back({o, std::string(role)});
    }
  }
  return out;
}

} // namespace fp::sr
