#include "tests/shell/canned_api.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace fp::tests::shell {

namespace {

using json = nlohmann::ordered_json;

struct entity {
  std::string status;
  int value;
  int last_seq;
};

const std::map<std::string, std::map<std::string, entity>>& entities() {
  static const std::map<std::string, std::map<std::string, entity>> all{
      {"counter",
       {{"alpha", {"live", 3, 3}},
        {"beta", {"live", 1, 1}},
        {"bravo", {"passivated", 7, 7}},
        {"gamma", {"live", 2, 2}}}},
      {"account", {{"acct-1", {"live", 100, 1}}}},
  };
  return all;
}

json counts_of(const std::map<std::string, entity>& of_type) {
  json counts{{"recovering", 0}, {"live", 0}, {"passivated", 0}, {"quarantined", 0}};
  for (auto& [key, e] : of_type)
    counts[e.status] = counts[e.status].get<int>() + 1;
  return counts;
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send(res, status, json{{"error", {{"code", code}, {"message", message}}}});
}

/// The raw path split at `/`, each segment percent-decoded: an encoded `%2F` stays inside
/// its segment, as in the real API.
std::vector<std::string> segments(const std::string& target) {
  auto path = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    auto end = path.find('/', pos);
    if (end == std::string::npos)
      end = path.size();
    out.push_back(httplib::detail::decode_url(path.substr(pos, end - pos), false));
    pos = end + 1;
  }
  return out;
}

json journal_events(const std::string& type, const std::string& key, const entity& e) {
  json events = json::array();
  for (int seq = 1; seq <= e.last_seq; ++seq)
    events.push_back(
        {{"seq", seq},
         {"global_seq", 100 + seq},
         {"event_type", type == "counter" ? "counter.incremented" : "account.opened"},
         {"schema_version", 1},
         {"written_at", "2026-01-01T00:00:0" + std::to_string(seq % 10) + ".000000000Z"},
         {"writer", "node-1"},
         {"payload", {{"by", 1}, {"key", key}}}});
  return events;
}

} // namespace

canned_api::canned_api(canned_options opts)
    : opts_(std::move(opts)) {}

void canned_api::install(httplib::Server& server) {
  server.Get(".*",
             [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
}

void canned_api::set_health(std::string status) {
  std::lock_guard lock{mu_};
  opts_.health = std::move(status);
}

std::vector<std::string> canned_api::targets() const {
  std::lock_guard lock{mu_};
  return targets_;
}

void canned_api::serve(const httplib::Request& req, httplib::Response& res) {
  canned_options opts;
  {
    std::lock_guard lock{mu_};
    targets_.push_back(req.target);
    opts = opts_;
  }
  if (!opts.token.empty() && req.get_header_value("Authorization") != "Bearer " + opts.token)
    return send_error(res, 401, "unauthorized", "a valid admin bearer token is required");
  auto seg = segments(req.target);
  if (seg.size() == 1 && seg[0] == "healthz") {
    json reasons = opts.health == "GREEN" ? json::array() : json{"journal: disk 95% full"};
    return send(res, opts.health == "RED" ? 503 : 200,
                json{{"status", opts.health}, {"reasons", reasons}});
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    res.set_content("# HELP fp_entities Entities by type and state.\n"
                    "# TYPE fp_entities gauge\n"
                    "fp_entities{type=\"counter\",state=\"live\"} 3\n"
                    "fp_entities{type=\"counter\",state=\"passivated\"} 1\n"
                    "# HELP fp_journal_appends_total Events appended.\n"
                    "# TYPE fp_journal_appends_total counter\n"
                    "fp_journal_appends_total 14\n"
                    "# HELP process_open_fds Open file descriptors.\n"
                    "# TYPE process_open_fds gauge\n"
                    "process_open_fds 12\n",
                    "text/plain; version=0.0.4");
    return;
  }
  if (seg.size() < 2 || seg[0] != "admin")
    return send_error(res, 404, "not_found", "no route");
  const auto& all = entities();
  if (seg.size() == 2 && seg[1] == "planes") {
    json types = json::array();
    for (auto& [type, of_type] : all)
      types.push_back({{"type", type}, {"counts", counts_of(of_type)}});
    return send(res, 200, json{{"planes", {{{"name", "testkit"}, {"entity_types", types}}}}});
  }
  if (seg[1] == "entities" && (seg.size() == 3 || seg.size() == 4)) {
    auto t = all.find(seg[2]);
    if (t == all.end())
      return send_error(res, 404, "unknown_type", "no entity type " + seg[2]);
    if (seg.size() == 4) {
      auto e = t->second.find(seg[3]);
      if (e == t->second.end())
        return send_error(res, 404, "not_found", "no entity " + seg[2] + "/" + seg[3]);
      return send(res, 200,
                  json{{"type", seg[2]},
                       {"key", seg[3]},
                       {"persistence_id", seg[2] + "/" + seg[3]},
                       {"status", e->second.status},
                       {"last_seq", e->second.last_seq},
                       {"last_event", journal_events(seg[2], seg[3], e->second).back()},
                       {"state", {{"value", e->second.value}}},
                       {"snapshot_seq", nullptr}});
    }
    auto state = req.get_param_value("state");
    auto after = req.get_param_value("after");
    std::size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 100;
    json listed = json::array();
    json next_after = nullptr;
    for (auto& [key, e] : t->second) {
      if (key <= after || (!state.empty() && e.status != state))
        continue;
      if (listed.size() == limit) {
        next_after = listed.back()["key"];
        break;
      }
      listed.push_back({{"key", key}, {"status", e.status}});
    }
    return send(res, 200,
                json{{"type", seg[2]},
                     {"counts", counts_of(t->second)},
                     {"entities", listed},
                     {"next_after", next_after}});
  }
  if (seg[1] == "journal" && seg.size() == 3) {
    auto slash = seg[2].find('/');
    auto t = slash == std::string::npos ? all.end() : all.find(seg[2].substr(0, slash));
    auto e =
        t == all.end() ? decltype(t->second.end()){} : t->second.find(seg[2].substr(slash + 1));
    if (t == all.end() || e == t->second.end())
      return send_error(res, 404, "not_found", "no stream " + seg[2]);
    auto from = req.has_param("from") ? std::stoi(req.get_param_value("from")) : 1;
    std::size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 100;
    json events = json::array();
    json next_from = nullptr;
    for (auto& ev : journal_events(t->first, e->first, e->second)) {
      if (ev["seq"].get<int>() < from)
        continue;
      if (events.size() == limit) {
        next_from = ev["seq"];
        break;
      }
      events.push_back(ev);
    }
    return send(res, 200,
                json{{"persistence_id", seg[2]}, {"events", events}, {"next_from", next_from}});
  }
  send_error(res, 404, "not_found", "no route " + req.path);
}

} // namespace fp::tests::shell
