#include "cluster/admin_api.hpp"

#include "cluster/admin_browse.hpp"
#include "cluster/errc.hpp"
#include "cluster/health.hpp"
#include "cluster/time_text.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/msgpack_json.hpp"

#include <array>

namespace fp::cluster {

namespace {

using json = nlohmann::ordered_json;
using actors::entity_status;

constexpr std::array<std::pair<entity_status, std::string_view>, 4> status_names{{
    {entity_status::recovering, "recovering"},
    {entity_status::live, "live"},
    {entity_status::passivated, "passivated"},
    {entity_status::quarantined, "quarantined"},
}};

std::string_view name_of(entity_status s) {
  for (auto& [v, n] : status_names)
    if (v == s)
      return n;
  return "unknown";
}

json counts_json(const actors::entity_counts& c) {
  return {{"recovering", c.recovering},
          {"live", c.live},
          {"passivated", c.passivated},
          {"quarantined", c.quarantined}};
}

expected<const actors::entity_type_view*> find_type(const node_view& node, std::string_view t) {
  if (auto* v = node.type(t))
    return v;
  std::string known;
  for (auto* v : node.types())
    known += (known.empty() ? "" : ", ") + std::string(v->type());
  return fp::error{errc::not_found, "entity type " + schemas::quote_value(t, 64) +
                                        " is not running on this node (running: " +
                                        (known.empty() ? "none" : known) + ")"};
}

http_response healthz(const node_view& node) {
  health_inputs in{node.stopping(), node.bus(), node.journal().stats(), 0, {}, {}};
  for (auto* t : node.types())
    in.quarantined += t->counts().quarantined;
  node.plane_health(in.plane_red, in.plane_amber);
  auto h = assess(in);
  return json_response(h.http_status(), json{{"status", h.status}, {"reasons", h.reasons}});
}

http_response planes(const node_view& node) {
  auto out = json::array();
  for (auto& p : node.planes()) {
    auto types = json::array();
    for (auto* t : node.types())
      if (t->plane() == p)
        types.push_back(json{{"type", t->type()}, {"counts", counts_json(t->counts())}});
    out.push_back(json{{"name", p}, {"entity_types", std::move(types)}});
  }
  return json_response(200, json{{"planes", std::move(out)}});
}

http_response entities(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {"state", "after", "limit"}); !ok)
    return error_response(ok.error());
  auto t = find_type(node, r.captures.at(0));
  if (!t)
    return error_response(t.error());
  auto state = query_value(r, "state");
  auto after = query_value(r, "after");
  auto limit = query_uint(r, "limit", 100, 1, 1000);
  if (!state)
    return error_response(state.error());
  if (!after)
    return error_response(after.error());
  if (!limit)
    return error_response(limit.error());
  std::optional<entity_status> status;
  if (*state) {
    for (auto& [v, n] : status_names)
      if (n == **state)
        status = v;
    if (!status)
      return error_response(
          bad_parameter("state", "must be one of recovering live passivated quarantined, got " +
                                     schemas::quote_value(**state)));
  }
  auto page = (*t)->list(status, after->value_or(""), *limit + 1);
  if (!page)
    return error_response(page.error());
  json next = nullptr;
  if (page->size() > *limit) {
    page->resize(*limit);
    next = page->back().first;
  }
  auto list = json::array();
  for (auto& [key, s] : *page)
    list.push_back(json{{"key", key}, {"status", name_of(s)}});
  return json_response(200, json{{"type", (*t)->type()},
                                 {"plane", (*t)->plane()},
                                 {"counts", counts_json((*t)->counts())},
                                 {"state", *state ? json(**state) : json(nullptr)},
                                 {"entities", std::move(list)},
                                 {"next_after", std::move(next)}});
}

http_response entity(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  auto t = find_type(node, r.captures.at(0));
  if (!t)
    return error_response(t.error());
  auto j = (*t)->inspect(r.captures.at(1));
  if (!j)
    return error_response(j.error());
  return {200, "application/json",
          j->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

json event_json(const journal::record_view& v) {
  json e{{"seq", v.seq},
         {"global_seq", v.global_seq},
         {"event_type", std::string(v.event_type)},
         {"schema_version", v.schema_version},
         {"written_at", format_rfc3339_ns(v.written_at_ns)},
         {"writer", std::string(v.writer)}};
  if (auto payload = schemas::msgpack_to_json(v.payload))
    e["payload"] = std::move(*payload);
  else
    e["payload_hex"] = schemas::to_hex(v.payload);
  return e;
}

http_response journal_stream(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {"from", "limit"}); !ok)
    return error_response(ok.error());
  const auto& pid = r.captures.at(0);
  auto from = query_uint(r, "from", 1, 1, UINT64_MAX);
  auto limit = query_uint(r, "limit", 100, 1, 1000);
  if (!from)
    return error_response(from.error());
  if (!limit)
    return error_response(limit.error());
  auto& j = node.journal();
  auto head = j.head_seq(pid);
  if (!head && head.error().is(journal::errc::invalid_argument))
    return error_response(bad_parameter("persistence_id", head.error().message()));
  if (!head)
    return error_response(head.error());
  if (*head == 0)
    return error_response(fp::error{
        errc::not_found, "persistence_id " + schemas::quote_value(pid, 200) + " has no events"});
  auto events = json::array();
  json next = nullptr;
  auto read = j.read_entity(pid, *from, [&](const journal::record_view& v) {
    if (events.size() == *limit) {
      next = v.seq;
      return false;
    }
    events.push_back(event_json(v));
    return true;
  });
  if (!read)
    return error_response(read.error());
  return json_response(200, json{{"persistence_id", pid},
                                 {"head_seq", *head},
                                 {"events", std::move(events)},
                                 {"next_from", std::move(next)}});
}

json topic_json(const bus::topic_info& t) {
  auto parts = json::array();
  for (auto& p : t.partitions)
    parts.push_back({{"partition", p.partition}, {"low", p.low}, {"high", p.high}});
  return {{"name", t.spec.name},
          {"partitions", t.spec.partitions},
          {"retention_ms", t.spec.retention_ms},
          {"retention_bytes", t.spec.retention_bytes},
          {"offsets", std::move(parts)}};
}

http_response bus_overview(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  auto s = node.bus();
  json out{{"backend", s.wired ? json(s.backend) : json(nullptr)},
           {"reachable", s.wired && s.reachable}};
  if (!s.detail.empty())
    out["detail"] = s.detail;
  auto topics = json::array();
  if (s.wired && s.reachable) {
    auto all = node.bus_topics();
    if (!all)
      return error_response(all.error());
    for (auto& t : *all)
      topics.push_back(topic_json(t));
  }
  out["topics"] = std::move(topics);
  return json_response(200, out);
}

http_response bus_group_lag(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {"topic"}); !ok)
    return error_response(ok.error());
  auto topic = query_value(r, "topic");
  if (!topic)
    return error_response(topic.error());
  if (!*topic)
    return error_response(bad_parameter("topic", "required: the topic whose lag to show"));
  const auto& group = r.captures.at(0);
  auto lag = node.bus_lag(group, **topic);
  if (!lag)
    return error_response(lag.error());
  auto parts = json::array();
  std::int64_t total = 0;
  for (auto& l : *lag) {
    total += l.lag;
    parts.push_back({{"partition", l.partition},
                     {"committed", l.committed < 0 ? json(nullptr) : json(l.committed)},
                     {"high", l.high},
                     {"lag", l.lag}});
  }
  return json_response(
      200, json{{"group", group}, {"topic", **topic}, {"lag", total}, {"partitions", parts}});
}

} // namespace

expected<std::vector<bus::topic_info>> node_view::bus_topics() const {
  return fp::error{errc::not_found, "no event bus is wired on this node"};
}

expected<std::vector<bus::partition_lag>> node_view::bus_lag(std::string_view,
                                                             std::string_view) const {
  return fp::error{errc::not_found, "no event bus is wired on this node"};
}

std::vector<http_route> admin_routes(const node_view& node) {
  const node_view* n = &node;
  return {
      {"GET", "/healthz", [n](const http_request&) { return healthz(*n); }},
      {"GET", "/metrics",
       [n](const http_request&) {
         return http_response{200, "text/plain; version=0.0.4; charset=utf-8",
                              exposition(node_metrics(*n))};
       }},
      {"GET", "/admin/planes",
       [n](const http_request& r) {
         if (auto ok = only_params(r, {}); !ok)
           return error_response(ok.error());
         return planes(*n);
       }},
      {"GET", "/admin/entities/([^/]+)", [n](const http_request& r) { return entities(*n, r); }},
      {"GET", "/admin/entities/([^/]+)/(.+)", [n](const http_request& r) { return entity(*n, r); }},
      {"GET", "/admin/journal/(.+)", [n](const http_request& r) { return journal_stream(*n, r); }},
      {"GET", "/admin/bus", [n](const http_request& r) { return bus_overview(*n, r); }},
      {"GET", "/admin/bus/groups/([^/]+)/lag",
       [n](const http_request& r) { return bus_group_lag(*n, r); }},
      {"GET", "/admin/bus/topics/([^/]+)/records",
       [n](const http_request& r) { return bus_records_route(*n, r); }},
      {"GET", "/admin/objects/(.+)", [n](const http_request& r) { return object_route(*n, r); }},
  };
}

} // namespace fp::cluster
