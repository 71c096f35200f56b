#include "cluster/http_types.hpp"

#include "actors/core/errc.hpp"
#include "bus/errc.hpp"
#include "cluster/errc.hpp"
#include "journal/errc.hpp"
#include "schemas/errc.hpp"

#include <charconv>

namespace fp::cluster {

http_response json_response(int status, const nlohmann::ordered_json& j) {
  return {status, "application/json",
          j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n"};
}

http_response error_response(int status, std::string_view code, std::string_view message) {
  nlohmann::ordered_json e{{"code", code}, {"message", message}};
  return json_response(status, nlohmann::ordered_json{{"error", std::move(e)}});
}

http_response error_response(const fp::error& err) {
  int status = 500;
  if (err.is(errc::bad_parameter) || err.is(actors::errc::bad_key) ||
      err.is(journal::errc::invalid_argument) || err.domain() == std::string_view("schemas"))
    status = 400;
  else if (err.is(errc::not_found) || err.is(journal::errc::not_found) ||
           err.is(actors::errc::unknown_type) || err.is(bus::errc::unknown_topic))
    status = 404;
  else if (err.is(bus::errc::invalid_argument))
    status = 400;
  else if (err.domain() == std::string_view("bus"))
    status = 503;
  else if (err.is(errc::unauthorized))
    status = 401;
  else if (err.is(actors::errc::rejected))
    status = 422;
  else if (err.is(actors::errc::quarantined))
    status = 409;
  else if (err.is(actors::errc::stopped) || err.is(actors::errc::crashed) ||
           err.is(actors::errc::persist_failed) || err.is(actors::errc::recovery_failed))
    status = 503;
  return error_response(status, err.code_name(), err.message());
}

fp::error bad_parameter(std::string_view what, std::string_view rule) {
  return {errc::bad_parameter, std::string(what) + ": " + std::string(rule)};
}

expected<std::optional<std::string>> query_value(const http_request& r, std::string_view name) {
  auto [first, last] = r.query.equal_range(std::string(name));
  if (first == last)
    return std::optional<std::string>();
  if (std::next(first) != last)
    return bad_parameter(name, "given more than once");
  return std::optional<std::string>(first->second);
}

expected<std::uint64_t> query_uint(const http_request& r, std::string_view name,
                                   std::uint64_t fallback, std::uint64_t lo, std::uint64_t hi) {
  auto v = query_value(r, name);
  if (!v)
    return std::move(v).error();
  if (!*v)
    return fallback;
  const auto& s = **v;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || n < lo || n > hi)
    return bad_parameter(name, "must be an integer " + std::to_string(lo) + ".." +
                                   std::to_string(hi) + ", got " + schemas::quote_value(s));
  return n;
}

expected<void> only_params(const http_request& r, std::initializer_list<std::string_view> known) {
  for (auto& [name, value] : r.query) {
    bool ok = false;
    for (auto k : known)
      ok = ok || k == name;
    if (ok)
      continue;
    std::string list;
    for (auto k : known)
      list += (list.empty() ? "" : ", ") + std::string(k);
    return bad_parameter(schemas::quote_value(name, 40),
                         "unknown parameter (known: " + (list.empty() ? "none" : list) + ")");
  }
  return {};
}

} // namespace fp::cluster
