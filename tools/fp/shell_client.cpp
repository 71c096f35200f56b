#include "tools/fp/shell_client.hpp"

#include <httplib.h>

namespace fp::tools::sh {

std::string to_string(errc code) {
  switch (code) {
  case errc::unreachable:
    return "unreachable";
  case errc::api_error:
    return "api_error";
  case errc::bad_response:
    return "bad_response";
  case errc::usage:
    return "usage";
  case errc::unknown_command:
    return "unknown_command";
  case errc::bad_setup:
    return "bad_setup";
  }
  return "unknown";
}

namespace {

// An operator waits on every request, and the node is usually on the same host: fail fast.
constexpr time_t connect_timeout_s = 2;
constexpr time_t read_timeout_s = 10;

std::string with_scheme(std::string url) {
  if (url.find("://") == std::string::npos)
    url = "http://" + url;
  while (url.size() > 1 && url.back() == '/')
    url.pop_back();
  return url;
}

std::string why_unreachable(httplib::Error e) {
  switch (e) {
  case httplib::Error::Connection:
    return "cannot connect: refused, or the host does not resolve";
  case httplib::Error::ConnectionTimeout:
    return "connect timed out";
  case httplib::Error::Read:
    return "no answer: read failed or timed out";
  case httplib::Error::Write:
    return "request could not be sent";
  default:
    return httplib::to_string(e);
  }
}

/// `404 not_found: no entity counter/zz`, from the API's error body when it has one.
std::string describe_failure(int status, const std::string& body) {
  auto out = std::to_string(status);
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const auto& e = parsed["error"];
    if (e.contains("code") && e["code"].is_string())
      out += " " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      out += ": " + e["message"].get<std::string>();
    return out;
  }
  auto first_line = body.substr(0, body.find('\n'));
  if (first_line.size() > 120)
    first_line = first_line.substr(0, 120) + "...";
  return first_line.empty() ? out : out + ": " + first_line;
}

} // namespace

struct admin_client::impl {
  explicit impl(const std::string& url)
      : http(url) {}
  httplib::Client http;
};

admin_client::admin_client(std::string base_url, std::string token)
    : base_url_(with_scheme(std::move(base_url)))
    , impl_(std::make_unique<impl>(base_url_)) {
  auto& h = impl_->http;
  h.set_connection_timeout(connect_timeout_s, 0);
  h.set_read_timeout(read_timeout_s, 0);
  h.set_write_timeout(read_timeout_s, 0);
  h.set_keep_alive(true);
  h.set_tcp_nodelay(true);
  if (!token.empty())
    h.set_bearer_token_auth(token);
}

admin_client::~admin_client() = default;

std::string admin_client::host_port() const {
  auto start = base_url_.find("://");
  return start == std::string::npos ? base_url_ : base_url_.substr(start + 3);
}

expected<admin_client::response> admin_client::get(const std::string& target) {
  auto res = impl_->http.Get(target);
  if (!res)
    return error{errc::unreachable,
                 "node " + base_url_ + " unreachable (" + why_unreachable(res.error()) + ")"};
  return response{res->status, std::move(res->body)};
}

expected<std::string> admin_client::get_text(const std::string& target) {
  auto r = get(target);
  if (!r)
    return std::move(r).error();
  if (r->status < 200 || r->status >= 300)
    return error{errc::api_error, "GET " + target + ": " + describe_failure(r->status, r->body)};
  return std::move(r->body);
}

expected<json> admin_client::get_json(const std::string& target) {
  auto body = get_text(target);
  if (!body)
    return std::move(body).error();
  auto parsed = json::parse(*body, nullptr, false);
  if (parsed.is_discarded())
    return error{errc::bad_response, "GET " + target + ": the answer is not JSON"};
  return parsed;
}

expected<json> admin_client::health() {
  auto r = get("/healthz");
  if (!r)
    return std::move(r).error();
  auto parsed = json::parse(r->body, nullptr, false);
  bool is_health = parsed.is_object() && parsed.contains("status");
  if ((r->status == 200 || r->status == 503) && is_health)
    return parsed;
  if (r->status < 200 || r->status >= 300)
    return error{errc::api_error, "GET /healthz: " + describe_failure(r->status, r->body)};
  return error{errc::bad_response, "GET /healthz: the answer has no \"status\""};
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    bool unreserved = alnum || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

} // namespace fp::tools::sh
