// The handlers of the `fp shell` command table: one admin-API request each, printed as a
// table or pretty JSON for people and as the API's compact body for scripts.

#include "tools/fp/shell_commands.hpp"

#include <algorithm>

namespace fp::tools::sh {

namespace {

/// A JSON value as a table cell: strings bare, absent or null as `-`.
std::string cell(const json& j, std::string_view key) {
  if (!j.is_object())
    return "-";
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return "-";
  if (it->is_string())
    return it->get<std::string>();
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string compact(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string pretty(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max)
    return s;
  return s.substr(0, max - 3) + "...";
}

/// Left-aligned columns two blanks apart; the first row is the header.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i)
        width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

const json& array_at(const json& j, std::string_view key) {
  static const json empty = json::array();
  if (!j.is_object())
    return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

std::string counts_line(const json& counts) {
  std::string out;
  for (auto st : entity_states)
    out += (out.empty() ? "" : ", ") + std::string(st) + " " + cell(counts, st);
  return out;
}

std::string query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (auto& [name, value] : params)
    if (!value.empty())
      out += (out.empty() ? "?" : "&") + name + "=" + url_encode(value);
  return out;
}

} // namespace

expected<reply> run_planes(session& s, const invocation&) {
  auto j = s.client.get_json("/admin/planes");
  if (!j)
    return std::move(j).error();
  if (s.mode == output::json)
    return reply{compact(*j)};
  std::vector<std::vector<std::string>> rows{
      {"PLANE", "TYPE", "RECOVERING", "LIVE", "PASSIVATED", "QUARANTINED"}};
  for (auto& plane : array_at(*j, "planes"))
    for (auto& t : array_at(plane, "entity_types")) {
      auto counts = t.is_object() ? t.value("counts", json::object()) : json::object();
      rows.push_back({cell(plane, "name"), cell(t, "type"), cell(counts, "recovering"),
                      cell(counts, "live"), cell(counts, "passivated"),
                      cell(counts, "quarantined")});
    }
  if (rows.size() == 1)
    return reply{"(no planes)\n"};
  return reply{table(rows)};
}

expected<reply> run_ls(session& s, const invocation& in) {
  const auto& type = in.operands[0];
  auto state = in.option("--state");
  if (!state.empty() &&
      std::find(entity_states.begin(), entity_states.end(), state) == entity_states.end())
    return error{errc::usage, "ls: unknown state \"" + state +
                                  "\"; one of recovering, live, passivated, quarantined"};
  auto j = s.client.get_json(
      "/admin/entities/" + url_encode(type) +
      query({{"state", state}, {"after", in.option("--after")}, {"limit", in.option("--limit")}}));
  if (!j)
    return std::move(j).error();
  if (s.mode == output::json)
    return reply{compact(*j)};
  auto counts = j->is_object() ? j->value("counts", json::object()) : json::object();
  std::string out = type + ": " + counts_line(counts) + "\n";
  std::vector<std::vector<std::string>> rows{{"KEY", "STATUS"}};
  for (auto& e : array_at(*j, "entities"))
    rows.push_back({cell(e, "key"), cell(e, "status")});
  out += rows.size() == 1 ? "(no entities" + (state.empty() ? "" : " in state " + state) + ")\n"
                          : table(rows);
  auto next = cell(*j, "next_after");
  if (next != "-") {
    // The same listing, from where this page ended.
    std::string more = "ls " + type;
    if (!state.empty())
      more += " --state " + state;
    more += " --after " + next;
    if (auto limit = in.option("--limit"); !limit.empty())
      more += " --limit " + limit;
    out += "(more: " + more + ")\n";
  }
  return reply{out};
}

expected<reply> run_show(session& s, const invocation& in) {
  auto j = s.client.get_json("/admin/entities/" + url_encode(in.operands[0]) + "/" +
                             url_encode(in.operands[1]));
  if (!j)
    return std::move(j).error();
  return reply{s.mode == output::json ? compact(*j) : pretty(*j)};
}

expected<reply> run_journal(session& s, const invocation& in) {
  const auto& pid = in.operands[0];
  auto j =
      s.client.get_json("/admin/journal/" + url_encode(pid) +
                        query({{"from", in.option("--from")}, {"limit", in.option("--limit")}}));
  if (!j)
    return std::move(j).error();
  if (s.mode == output::json)
    return reply{compact(*j)};
  std::vector<std::vector<std::string>> rows{
      {"SEQ", "GLOBAL", "EVENT_TYPE", "V", "WRITTEN_AT", "WRITER", "PAYLOAD"}};
  for (auto& e : array_at(*j, "events"))
    rows.push_back({cell(e, "seq"), cell(e, "global_seq"), cell(e, "event_type"),
                    cell(e, "schema_version"), cell(e, "written_at"), cell(e, "writer"),
                    cut(e.is_object() && e.contains("payload") ? e["payload"].dump() : "-", 60)});
  std::string out = rows.size() == 1 ? "(no events of " + pid + ")\n" : table(rows);
  auto next = cell(*j, "next_from");
  if (next != "-")
    out += "(more: journal " + pid + " --from " + next + ")\n";
  return reply{out};
}

expected<reply> run_metrics(session& s, const invocation& in) {
  auto text = s.client.get_text("/metrics");
  if (!text)
    return std::move(text).error();
  auto prefix = in.operands.empty() ? std::string() : in.operands[0];
  std::string out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    auto end = text->find('\n', pos);
    if (end == std::string::npos)
      end = text->size();
    std::string_view line(text->data() + pos, end - pos);
    pos = end + 1;
    // `# HELP name ...` and `# TYPE name ...` belong to `name`.
    auto name = line;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE "))
      name = line.substr(7);
    else if (line.starts_with("#"))
      continue;
    if (name.starts_with(prefix) && !line.empty())
      out.append(line).append("\n");
  }
  if (out.empty() && s.mode == output::human)
    out = "(no metric starts with \"" + prefix + "\")\n";
  return reply{out};
}

expected<reply> run_health(session& s, const invocation&) {
  auto j = s.client.health();
  if (!j)
    return std::move(j).error();
  auto status = cell(*j, "status");
  bool red = status != "GREEN" && status != "AMBER";
  if (s.mode == output::json)
    return reply{compact(*j), false, red};
  std::string out = status + "\n";
  for (auto& r : array_at(*j, "reasons"))
    out += "  - " + (r.is_string() ? r.get<std::string>() : r.dump()) + "\n";
  return reply{out, false, red};
}

expected<reply> run_bus(session& s, const invocation&) {
  auto j = s.client.get_json("/admin/bus");
  if (!j)
    return std::move(j).error();
  if (s.mode == output::json)
    return reply{compact(*j)};
  if ((*j)["backend"].is_null())
    return reply{"(no event bus is wired on this node)\n"};
  std::string out = "backend " + cell(*j, "backend") + ", " +
                    ((*j)["reachable"] == true ? "reachable" : "UNREACHABLE") + "\n";
  if (j->contains("detail"))
    out += "  " + cell(*j, "detail") + "\n";
  std::vector<std::vector<std::string>> rows{
      {"TOPIC", "PARTITION", "LOW", "HIGH", "RETENTION_MS", "RETENTION_BYTES"}};
  for (auto& t : array_at(*j, "topics"))
    for (auto& p : array_at(t, "offsets"))
      rows.push_back({cell(t, "name"), cell(p, "partition"), cell(p, "low"), cell(p, "high"),
                      cell(t, "retention_ms"), cell(t, "retention_bytes")});
  return reply{out + (rows.size() == 1 ? "(no topics)\n" : table(rows))};
}

expected<reply> run_lag(session& s, const invocation& in) {
  auto j = s.client.get_json("/admin/bus/groups/" + url_encode(in.operands[0]) + "/lag" +
                             query({{"topic", in.operands[1]}}));
  if (!j)
    return std::move(j).error();
  if (s.mode == output::json)
    return reply{compact(*j)};
  std::vector<std::vector<std::string>> rows{{"PARTITION", "COMMITTED", "HIGH", "LAG"}};
  for (auto& p : array_at(*j, "partitions"))
    rows.push_back({cell(p, "partition"), cell(p, "committed"), cell(p, "high"), cell(p, "lag")});
  return reply{table(rows) + "total lag " + cell(*j, "lag") + "\n"};
}

expected<reply> run_help(session&, const invocation& in) {
  if (in.operands.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (auto& c : command_table)
      rows.push_back({"  " + std::string(c.usage), std::string(c.summary)});
    return reply{"Commands:\n" + table(rows) +
                 "TAB completes commands, entity types, keys and metric names; "
                 "'help COMMAND' for one.\n"};
  }
  const command_spec* c = nullptr;
  for (auto& row : command_table)
    if (row.name == in.operands[0])
      c = &row;
  if (c == nullptr)
    return error{errc::unknown_command,
                 "help: unknown command \"" + in.operands[0] + "\"; 'help' lists the commands"};
  std::string out = "Usage: " + std::string(c->usage) + "\n" + std::string(c->summary) + ".\n";
  std::vector<std::vector<std::string>> rows;
  for (auto& o : option_table)
    if (o.accepted_by & c->bit)
      rows.push_back(
          {"  " + std::string(o.name) + " " + std::string(o.value), std::string(o.help)});
  if (!rows.empty())
    out += "Options:\n" + table(rows);
  return reply{out};
}

expected<reply> run_quit(session&, const invocation&) {
  return reply{"", true};
}

} // namespace fp::tools::sh
