#pragma once

// The admin-API client of `fp shell`: GETs against a node's admin HTTP server. Transport
// failures and the API's `{"error":{"code","message"}}` answers become `fp::error`s here and
// nowhere else.

#include "schemas/error.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace fp::tools::sh {

enum class errc {
  unreachable = 1, ///< no connection, or the connection broke before a whole answer
  api_error,       ///< the node answered 4xx/5xx
  bad_response,    ///< the answer is not the JSON the admin API promises
  usage,           ///< a shell command line with a bad option, operand or quote
  unknown_command, ///< a shell command that is not in the table
  bad_setup,       ///< the ports file or token file cannot be read
};

std::string to_string(errc code);

} // namespace fp::tools::sh

template <>
struct fp::error_domain<fp::tools::sh::errc> {
  static constexpr const char* name = "shell";
};

namespace fp::tools::sh {

/// The API's bodies keep their key order, so `-c` prints them as the node wrote them.
using json = nlohmann::ordered_json;

class admin_client {
public:
  /// `base_url` is `http://HOST:PORT` (a missing scheme means http); `token`, when not empty,
  /// is sent as `Authorization: Bearer`.
  admin_client(std::string base_url, std::string token);
  ~admin_client();
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;

  const std::string& base_url() const noexcept { return base_url_; }
  /// `127.0.0.1:8470`, for the prompt.
  std::string host_port() const;

  /// GET `target` (path and query, already encoded) and parse its 2xx JSON body.
  expected<json> get_json(const std::string& target);
  /// GET `target` and return its 2xx body as it is (`/metrics`).
  expected<std::string> get_text(const std::string& target);
  /// GET /healthz: a 503 carries a health document too, so both are answers.
  expected<json> health();

private:
  struct response {
    int status;
    std::string body;
  };
  expected<response> get(const std::string& target);

  std::string base_url_;
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Percent-encodes everything but RFC 3986's unreserved characters, so `counter/a b` becomes
/// one path segment `counter%2Fa%20b`.
std::string url_encode(std::string_view s);

} // namespace fp::tools::sh
