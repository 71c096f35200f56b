#pragma once

// One HTTP server of the node (admin or ingress) over cpp-httplib, which stays in the .cpp.
// Every server: TCP_NODELAY on, a sized thread pool (one thread per keep-alive connection),
// a raised keep-alive request count, a body size limit (413), JSON error bodies, 404 for
// unknown paths and 405 (with `Allow`) for a known path with another method, an optional
// bearer token (401), a count of requests per status code and a histogram of each route's
// handler durations.

#include "cluster/http_types.hpp"
#include "cluster/node_view.hpp"
#include "schemas/expected.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fp::cluster {

struct http_server_options {
  std::string name = "http"; ///< the `server` label of fp_http_requests_total
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 = any free port
  unsigned threads = 8;
  std::size_t keep_alive_max_requests = 10'000;
  std::size_t max_body_bytes = 64 << 10;
  std::optional<std::string> bearer_token; ///< when set, every request must carry it
};

class http_server {
public:
  /// Binds (errors name the address: `errc::bind_failed`) and starts serving on a thread.
  static expected<std::unique_ptr<http_server>> start(http_server_options opts,
                                                      std::vector<http_route> routes);
  ~http_server(); ///< stop()

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  std::uint16_t port() const;
  /// Stops accepting connections and waits for the requests in flight to be answered.
  void stop();
  /// Requests answered so far, one entry per status code seen.
  std::vector<http_count> counts() const;
  /// Handler durations of the routes that have answered, one entry per route.
  std::vector<http_latency> latencies() const;

  struct impl;

private:
  explicit http_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace fp::cluster
