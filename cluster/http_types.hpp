#pragma once

// HTTP as the node's handlers see it: plain structs, no cpp-httplib. http_server.cpp adapts
// them; handlers stay testable without a socket.

#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::cluster {

struct http_request {
  std::string method;
  std::string path;                              ///< percent-decoded
  std::vector<std::string> captures;             ///< the route pattern's groups, in order
  std::multimap<std::string, std::string> query; ///< percent-decoded
  std::string authorization;
  std::string api_key; ///< the `X-API-Key` header (ingress routes); empty if given twice
  std::string body;
};

struct http_response {
  using header_list = std::vector<std::pair<std::string, std::string>>;
  // A constructor rather than an aggregate, so `{status, type, body}` needs no `headers`.
  http_response(int s = 200, std::string type = "application/json", std::string b = {},
                header_list h = {})
      : status(s)
      , content_type(std::move(type))
      , body(std::move(b))
      , headers(std::move(h)) {}
  int status;
  std::string content_type;
  std::string body;
  header_list headers; ///< extra response headers (`X-Object-Sha256`)
};

using http_handler = std::function<http_response(const http_request&)>;

struct http_route {
  std::string method;  ///< GET, POST, ...
  std::string pattern; ///< an ECMAScript regex matched against the whole decoded path
  http_handler handler;
};

/// `status` with `j` as the body.
http_response json_response(int status, const nlohmann::ordered_json& j);

/// `{"error":{"code":CODE,"message":MESSAGE}}`.
http_response error_response(int status, std::string_view code, std::string_view message);

/// An `fp::error` as a response: bad parameters 400, not found 404, rejected commands 422,
/// quarantined 409, a stopping or crashed runtime 503, anything else 500. The code is the
/// error's machine-readable code name.
http_response error_response(const fp::error& err);

/// The only value of query parameter `name`; nullopt when absent; 400 when repeated.
expected<std::optional<std::string>> query_value(const http_request& r, std::string_view name);

/// An unsigned integer parameter in lo..hi, `fallback` when absent.
expected<std::uint64_t> query_uint(const http_request& r, std::string_view name,
                                   std::uint64_t fallback, std::uint64_t lo, std::uint64_t hi);

/// Refuses any query parameter not in `known`, naming it and the known ones.
expected<void> only_params(const http_request& r, std::initializer_list<std::string_view> known);

/// A 400 error naming `what` (a parameter or body field) and the rule.
fp::error bad_parameter(std::string_view what, std::string_view rule);

} // namespace fp::cluster
