#include "cluster/http_server.hpp"

#include <cstdio>

#include "cluster/auth.hpp"
#include "cluster/errc.hpp"

#include <httplib.h>

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string_view>
#include <thread>

namespace fp::cluster {

namespace {

std::string ascii_lower(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v;
}

bool sends_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

/// Why a request's body framing cannot be trusted (RFC 9112 section 6.3), or "" when it can:
/// one `Content-Length` of digits, or `Transfer-Encoding: chunked` alone.
std::string framing_problem(const httplib::Request& req) {
  auto lengths = req.get_header_value_count("Content-Length");
  auto encodings = req.get_header_value_count("Transfer-Encoding");
  if (lengths > 1)
    return "more than one Content-Length header";
  if (encodings > 1)
    return "more than one Transfer-Encoding header";
  if (lengths == 1 && encodings == 1)
    return "both Content-Length and Transfer-Encoding";
  if (encodings == 1) {
    if (ascii_lower(req.get_header_value("Transfer-Encoding")) != "chunked")
      return "Transfer-Encoding must be chunked";
  }
  if (lengths == 1) {
    auto cl = req.get_header_value("Content-Length");
    if (cl.empty() || cl.find_first_not_of("0123456789") != std::string::npos)
      return "Content-Length must be a number of bytes";
  }
  return {};
}

/// Why a request's body is not declared as JSON, or "" when it is (or the method sends no
/// body): every route that takes a body takes JSON, as `application/json` with no parameter
/// but `charset=utf-8` (RFC 8259 section 8.1: JSON is UTF-8).
std::string media_type_problem(const httplib::Request& req) {
  if (!sends_body(req.method))
    return {};
  auto trim = [](std::string v) {
    auto b = v.find_first_not_of(" \t");
    auto e = v.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  };
  auto shown = [](const std::string& v) {
    std::string out;
    for (char c : v.substr(0, 80))
      out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
  };
  auto count = req.get_header_value_count("Content-Type");
  if (count == 0)
    return "the body must be sent with Content-Type: application/json";
  if (count > 1)
    return "more than one Content-Type header";
  auto value = req.get_header_value("Content-Type");
  auto semi = value.find(';');
  if (ascii_lower(trim(value.substr(0, semi))) != "application/json")
    return "Content-Type must be application/json (got \"" + shown(value) + "\")";
  while (semi != std::string::npos) {
    auto next = value.find(';', semi + 1);
    auto param = ascii_lower(
        trim(value.substr(semi + 1, next == std::string::npos ? next : next - semi - 1)));
    param.erase(std::remove(param.begin(), param.end(), '"'), param.end());
    if (!param.empty() && param != "charset=utf-8")
      return "Content-Type application/json takes no parameter but charset=utf-8 (got \"" +
             shown(value) + "\")";
    semi = next;
  }
  return {};
}

/// The socket a request came on, found by its addresses (cpp-httplib does not hand handlers
/// their connection); -1 when none matches.
int connection_fd(const httplib::Request& req) {
  auto* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr)
    return -1;
  int found = -1;
  while (auto* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir))
      continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &ll) != 0 ||
        ::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &pl) != 0)
      continue;
    char lport[16], host[NI_MAXHOST], pport[16];
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&local), ll, nullptr, 0, lport, sizeof lport,
                      NI_NUMERICSERV) != 0 ||
        ::getnameinfo(reinterpret_cast<sockaddr*>(&peer), pl, host, sizeof host, pport,
                      sizeof pport, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
      continue;
    if (std::to_string(req.local_port) == lport && std::to_string(req.remote_port) == pport &&
        req.remote_addr == host) {
      found = static_cast<int>(fd);
      break;
    }
  }
  ::closedir(dir);
  return found;
}

/// Sends `r` on the request's connection and ends the connection. After a body of unknown
/// extent, the bytes that follow must not be read as a next request (request smuggling), but
/// cpp-httplib keeps a connection open after a handled request unless the client asked to
/// close it. So the answer goes out here, the write side is shut, what the client still sends
/// is drained for a moment (closing with unread bytes would reset the connection before the
/// client reads the answer), and the socket is swapped for /dev/null: cpp-httplib's own
/// answer and its next read then fail, and it closes the descriptor. False when the socket
/// was not found (the answer is then left to cpp-httplib).
bool answer_and_close(const httplib::Request& req, const http_response& r) {
  int fd = connection_fd(req);
  if (fd < 0)
    return false;
  // The reason phrase is optional (RFC 9112 section 4); 400 is the only status sent this way.
  std::string out = "HTTP/1.1 " + std::to_string(r.status) +
                    (r.status == 400 ? " Bad Request" : " ") +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nConnection: close\r\n\r\n" + r.body;
  for (std::size_t sent = 0; sent < out.size();) {
    auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  char sink[16384];
  for (std::size_t drained = 0; drained < (std::size_t{1} << 20);) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      break;
    auto n = ::recv(fd, sink, sizeof sink, 0);
    if (n <= 0)
      break;
    drained += static_cast<std::size_t>(n);
  }
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, fd);
    ::close(null);
  }
  return true;
}

} // namespace

namespace {

/// Why the request target's path is not well percent-encoded ("" when it is): every '%' must
/// start a two-hex-digit escape. cpp-httplib keeps a malformed one as it is, so "%zz" and a
/// path that really contains "%zz" would mean the same thing.
std::string path_encoding_problem(const httplib::Request& req) {
  std::string_view t = req.target;
  t = t.substr(0, t.find('?'));
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i] == '%' && (i + 2 >= t.size() || !hex(t[i + 1]) || !hex(t[i + 2])))
      return "path: malformed percent-encoding at byte " + std::to_string(i) +
             " ('%' must be followed by two hex digits)";
  return {};
}

/// A route's path for a metric label: each group of its pattern (`([^/]+)`, `(.+)`) as `*`.
std::string route_label(std::string_view pattern) {
  std::string out;
  int depth = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      if (depth == 0)
        out += pattern[i + 1];
      ++i;
    } else if (c == '(') {
      if (depth++ == 0)
        out += '*';
    } else if (c == ')') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

/// One route's handler durations: a count per bucket of http_latency::seconds_le (and one
/// above them all) and their sum.
struct route_timing {
  std::array<std::atomic<std::uint64_t>, http_latency::seconds_le.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_ns{0};

  void observe(std::chrono::steady_clock::duration d) {
    double s = std::chrono::duration<double>(d).count();
    std::size_t b = 0;
    while (b < http_latency::seconds_le.size() && s > http_latency::seconds_le[b])
      ++b;
    buckets[b].fetch_add(1, std::memory_order_relaxed);
    sum_ns.fetch_add(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()),
        std::memory_order_relaxed);
  }
};

} // namespace

struct http_server::impl {
  http_server_options opts;
  std::vector<http_route> routes;
  std::vector<std::regex> patterns;
  httplib::Server server;
  std::thread thread;
  std::uint16_t port = 0;
  std::array<std::atomic<std::uint64_t>, 600> by_code{};
  std::unique_ptr<route_timing[]> timings; ///< one per route
  std::atomic<bool> stopped{false};

  static void write(const http_response& from, httplib::Response& to) {
    to.status = from.status;
    to.set_content(from.body, from.content_type.c_str());
    for (auto& [k, v] : from.headers)
      to.set_header(k, v);
  }

  http_request convert(const httplib::Request& req) const {
    http_request r;
    r.method = req.method;
    r.path = req.path;
    for (std::size_t i = 1; i < req.matches.size(); ++i)
      r.captures.push_back(req.matches[i]);
    // Only the target's query string: httplib also merges a form-encoded body into params.
    if (auto q = req.target.find('?'); q != std::string::npos) {
      httplib::Params params;
      httplib::detail::parse_query_text(req.target.substr(q + 1), params);
      r.query.insert(params.begin(), params.end());
    }
    // Credentials given twice are refused, not picked from: they stay empty (401).
    if (req.get_header_value_count("Authorization") == 1)
      r.authorization = req.get_header_value("Authorization");
    if (req.get_header_value_count("X-API-Key") == 1)
      r.api_key = req.get_header_value("X-API-Key");
    r.body = req.body;
    return r;
  }

  /// A path no route of this method matched: 405 when another method's route does.
  void unmatched(const httplib::Request& req, httplib::Response& res) const {
    std::string allow;
    for (std::size_t i = 0; i < routes.size(); ++i)
      if (std::regex_match(req.path, patterns[i]) &&
          allow.find(routes[i].method) == std::string::npos)
        allow += (allow.empty() ? "" : ", ") + routes[i].method;
    if (allow.empty()) {
      write(error_response(404, "not_found", "no such path: " + req.path.substr(0, 200)), res);
      return;
    }
    res.set_header("Allow", allow);
    write(error_response(405, "method_not_allowed",
                         req.method + " is not allowed on " + req.path.substr(0, 200) +
                             " (allowed: " + allow + ")"),
          res);
  }

  void install() {
    auto& s = server;
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(opts.keep_alive_max_requests);
    // An idle keep-alive connection holds a pool thread and delays a clean stop by up to this
    // long (cpp-httplib's default is 5 s); clients reconnect transparently.
    s.set_keep_alive_timeout(1);
    s.set_payload_max_length(opts.max_body_bytes);
    auto threads = opts.threads;
    s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    s.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      if (res.status >= 100 && res.status < 600)
        by_code[res.status].fetch_add(1);
    });
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      // Before the body is read: a body whose length the headers state two ways (or not as a
      // number) is refused, so nothing acts on bytes whose extent is ambiguous, and the
      // connection ends with the answer (nothing after it is read as a request).
      if (auto why = framing_problem(req); !why.empty()) {
        auto r = error_response(400, "bad_framing", why + "; the connection is closed");
        write(r, res); // what the access count sees; the client gets it from answer_and_close
        res.set_header("Connection", "close");
        answer_and_close(req, r);
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!opts.bearer_token ||
          (req.get_header_value_count("Authorization") == 1 &&
           bearer_matches(req.get_header_value("Authorization"), *opts.bearer_token))) {
        if (auto why = path_encoding_problem(req); !why.empty()) {
          write(error_response(400, "bad_path", why), res);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.set_header("WWW-Authenticate", "Bearer realm=\"fp-" + opts.name + "\"");
      write(error_response(401, "unauthorized",
                           "this endpoint requires Authorization: Bearer <admin token>"),
            res);
      return httplib::Server::HandlerResponse::Handled;
    });
    s.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty())
            return httplib::Server::HandlerResponse::Unhandled;
          auto code = res.status == 413 ? "payload_too_large" : "http_error";
          auto message = res.status == 413 ? std::string("the request body exceeds the size limit")
                                           : "HTTP status " + std::to_string(res.status);
          if (res.status == 400 && sends_body(req.method) && !req.has_header("Content-Length") &&
              !req.has_header("Transfer-Encoding"))
            message = req.method + " needs a Content-Length header or a chunked body";
          else if (res.status == 400)
            message = "the request could not be read (its request line, headers or body "
                      "framing are malformed)";
          write(error_response(res.status, code, message), res);
          return httplib::Server::HandlerResponse::Handled;
        }));
    s.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          // The method and path only: headers and bodies may carry tokens or payloads.
          std::string what = "unknown exception";
          try {
            if (ep)
              std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          std::fprintf(stderr, "fpnode: %s %s: handler failed: %s\n", req.method.c_str(),
                       req.path.substr(0, 200).c_str(), what.c_str());
          write(error_response(500, "internal", "the handler failed; see the node's log"), res);
        });
    timings = std::make_unique<route_timing[]>(routes.size());
    for (std::size_t i = 0; i < routes.size(); ++i) {
      patterns.emplace_back(routes[i].pattern);
      auto h = [this, i](const httplib::Request& req, httplib::Response& res) {
        auto t0 = std::chrono::steady_clock::now();
        if (auto why = media_type_problem(req); !why.empty())
          write(error_response(415, "unsupported_media_type", why), res);
        else
          write(routes[i].handler(convert(req)), res);
        timings[i].observe(std::chrono::steady_clock::now() - t0);
      };
      auto& m = routes[i].method;
      if (m == "GET")
        s.Get(routes[i].pattern, h);
      else if (m == "POST")
        s.Post(routes[i].pattern, h);
      else if (m == "PUT")
        s.Put(routes[i].pattern, h);
      else if (m == "DELETE")
        s.Delete(routes[i].pattern, h);
      else if (m == "PATCH")
        s.Patch(routes[i].pattern, h);
    }
    auto fallback = [this](const httplib::Request& req, httplib::Response& res) {
      unmatched(req, res);
    };
    s.Get(".*", fallback).Post(".*", fallback).Put(".*", fallback);
    s.Delete(".*", fallback).Patch(".*", fallback).Options(".*", fallback);
  }
};

http_server::http_server(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}

http_server::~http_server() {
  stop();
}

expected<std::unique_ptr<http_server>> http_server::start(http_server_options opts,
                                                          std::vector<http_route> routes) {
  auto p = std::make_unique<impl>();
  p->opts = std::move(opts);
  p->routes = std::move(routes);
  p->install();
  const auto& o = p->opts;
  int port = o.port;
  bool bound = o.port == 0 ? (port = p->server.bind_to_any_port(o.bind)) > 0
                           : p->server.bind_to_port(o.bind, o.port);
  if (!bound)
    return error{errc::bind_failed, "wiring." + o.name + ": cannot listen on " + o.bind + ":" +
                                        std::to_string(o.port) +
                                        " (in use, or not an address "
                                        "of this machine)"};
  p->port = static_cast<std::uint16_t>(port);
  auto* raw = p.get();
  p->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so that stop() always works.
  for (int i = 0; i < 5000 && !p->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

std::uint16_t http_server::port() const {
  return impl_->port;
}

void http_server::stop() {
  if (!impl_ || impl_->stopped.exchange(true))
    return;
  impl_->server.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

std::vector<http_count> http_server::counts() const {
  std::vector<http_count> out;
  for (int code = 100; code < 600; ++code)
    if (auto n = impl_->by_code[code].load(); n > 0)
      out.push_back({impl_->opts.name, code, n});
  return out;
}

std::vector<http_latency> http_server::latencies() const {
  std::vector<http_latency> out;
  auto& routes = impl_->routes;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto& t = impl_->timings[i];
    http_latency l;
    std::uint64_t total = 0;
    for (std::size_t b = 0; b < l.cumulative.size(); ++b)
      l.cumulative[b] = total += t.buckets[b].load(std::memory_order_relaxed);
    if (total == 0)
      continue;
    l.server = impl_->opts.name;
    l.method = routes[i].method;
    l.route = route_label(routes[i].pattern);
    l.sum_seconds = static_cast<double>(t.sum_ns.load(std::memory_order_relaxed)) / 1e9;
    out.push_back(std::move(l));
  }
  return out;
}

} // namespace fp::cluster
