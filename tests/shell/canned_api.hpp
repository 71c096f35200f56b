#pragma once

// A stand-in for fpnode's admin HTTP API that serves fixed JSON following the contract
// (/healthz, /metrics, /admin/planes, /admin/entities/..., /admin/journal/...), for the
// shell's tests. Plane `testkit` has types `counter` (alpha, beta, bravo, gamma) and
// `account` (acct-1).

#include <httplib.h>

#include <mutex>
#include <string>
#include <vector>

namespace fp::tests::shell {

struct canned_options {
  std::string token;            ///< when set, every request needs `Bearer <token>`
  std::string health = "GREEN"; ///< GREEN, AMBER or RED (RED answers 503)
};

class canned_api {
public:
  explicit canned_api(canned_options opts);

  /// Routes every GET of `server` here.
  void install(httplib::Server& server);

  void set_health(std::string status);
  /// The raw request targets served so far, oldest first.
  std::vector<std::string> targets() const;

private:
  void serve(const httplib::Request& req, httplib::Response& res);

  mutable std::mutex mu_;
  canned_options opts_;
  std::vector<std::string> targets_;
};

} // namespace fp::tests::shell
