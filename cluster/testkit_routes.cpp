#include "cluster/testkit_routes.hpp"

#include "cluster/time_text.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

#include <chrono>
#include <future>
#include <memory>

namespace fp::cluster {

namespace {

using json = nlohmann::json;
using testkit::counter_op;

http_response handle(const actors::entity_client<testkit::counter_def>& counters,
                     std::uint32_t timeout_ms, const http_request& r) {
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  const auto& key = r.captures.at(0);
  if (!schemas::is_path_safe_id(key))
    return error_response(
        bad_parameter("key", "must be 1..128 of [A-Za-z0-9._:=-] (not . or ..), got " +
                                 schemas::quote_value(key)));
  auto cmd = parse_counter_command(r.body);
  if (!cmd)
    return error_response(cmd.error());
  using result = expected<testkit::counter_reply>;
  auto done = std::make_shared<std::promise<result>>();
  auto reply = done->get_future();
  counters.send(key, *cmd, [done](result x) { done->set_value(std::move(x)); });
  if (reply.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready)
    return error_response(504, "timeout",
                          "counter " + key + ": no reply within " + std::to_string(timeout_ms) +
                              " ms (policy.http.request_timeout_ms); the command may still apply");
  auto x = reply.get();
  if (!x)
    return error_response(x.error());
  return json_response(200, nlohmann::ordered_json{{"value", x->value}, {"adds", x->adds}});
}

} // namespace

expected<testkit::counter_command> parse_counter_command(std::string_view body) {
  auto parsed = schemas::parse_strict(body, "body");
  if (!parsed)
    return std::move(parsed).error();
  auto& j = *parsed;
  if (!j.is_object())
    return bad_parameter("body", "must be a JSON object, got " + std::string(j.type_name()));
  for (auto& [name, value] : j.items())
    if (name != "op" && name != "amount" && name != "at")
      return bad_parameter("body." + schemas::quote_value(name, 40),
                           "unknown field (known: op, amount, at)");
  testkit::counter_command c;
  if (!j.contains("op") || !j["op"].is_string())
    return bad_parameter("body.op", "must be one of \"add\", \"get\", \"crash\"");
  auto op = j["op"].get<std::string>();
  if (op == "add")
    c.op = counter_op::add;
  else if (op == "get")
    c.op = counter_op::get;
  else if (op == "crash")
    c.op = counter_op::crash;
  else
    return bad_parameter("body.op", "must be one of \"add\", \"get\", \"crash\", got " +
                                        schemas::quote_value(op));
  if (j.contains("amount")) {
    auto& a = j["amount"];
    if (!a.is_number_integer())
      return bad_parameter("body.amount", "must be an integer within +/-2^53, got " + a.dump());
    c.amount = a.get<std::int64_t>();
  } else if (c.op == counter_op::add) {
    return bad_parameter("body.amount", "missing (required for op add)");
  }
  if (j.contains("at")) {
    if (!j["at"].is_string())
      return bad_parameter("body.at", "must be an RFC 3339 UTC time string, got " + j["at"].dump());
    auto ns = parse_rfc3339_ns("body.at", j["at"].get<std::string>());
    if (!ns)
      return std::move(ns).error();
    c.at_ns = *ns;
  } else if (c.op == counter_op::add) {
    return bad_parameter("body.at", "missing (required for op add: the caller's time)");
  }
  return c;
}

std::vector<http_route> testkit_routes(actors::entity_client<testkit::counter_def> counters,
                                       std::uint32_t timeout_ms) {
  return {{"POST", "/v1/testkit/counters/([^/]+)",
           [counters = std::move(counters), timeout_ms](const http_request& r) {
             return handle(counters, timeout_ms, r);
           }}};
}

} // namespace fp::cluster
