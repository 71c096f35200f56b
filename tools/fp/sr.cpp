// `fp sr run|status`: a thin client of the node's sr plane (cluster/plane_sr.cpp).

#include "tools/fp/sr.hpp"

#include "schemas/ids.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

namespace fp::tools {

namespace {

using json = nlohmann::ordered_json;

/// The API key: --api-key-file (first line), else $FP_SR_API_KEY. Never printed.
bool api_key(const args& a, std::string& key, std::string& why) {
  if (a.has("--api-key-file")) {
    std::ifstream in(a.text("--api-key-file"));
    if (!in || !std::getline(in, key) || key.empty()) {
      why = "--api-key-file: cannot read a key from " + a.text("--api-key-file");
      return false;
    }
    while (!key.empty() && (key.back() == '\r' || key.back() == ' '))
      key.pop_back();
    return true;
  }
  const char* env = std::getenv("FP_SR_API_KEY");
  if (env == nullptr || *env == '\0') {
    why = "no API key: set FP_SR_API_KEY or pass --api-key-file";
    return false;
  }
  key = env;
  return true;
}

struct answer {
  int status = 0;
  json body;
};

/// One request to the node; transport failures and non-JSON answers are `why`.
bool call(const args& a, const std::string& method, const std::string& target,
          const std::string& body, answer& out, std::string& why) {
  std::string key;
  if (!api_key(a, key, why))
    return false;
  httplib::Client http(a.text("--node"));
  if (!http.is_valid()) {
    why = "--node: not a URL (http://HOST:PORT): " + a.text("--node");
    return false;
  }
  http.set_connection_timeout(5, 0);
  http.set_read_timeout(120, 0);
  httplib::Headers headers{{"X-API-Key", key}};
  auto res = method == "POST" ? http.Post(target, headers, body, "application/json")
                              : http.Get(target, headers);
  if (!res) {
    why = "node " + a.text("--node") + " unreachable: " + httplib::to_string(res.error());
    return false;
  }
  out.status = res->status;
  try {
    out.body = json::parse(res->body);
  } catch (const json::exception&) {
    why = "node answered " + std::to_string(res->status) + " without JSON";
    return false;
  }
  return true;
}

/// Prints a 2xx answer on stdout, or the error on stderr.
exit_code report(const args& a, const answer& r) {
  if (r.status >= 200 && r.status < 300) {
    std::printf("%s\n", r.body.dump().c_str());
    return exit_code::ok;
  }
  std::string code = "error", message = r.body.dump();
  if (r.body.contains("error") && r.body["error"].is_object()) {
    code = r.body["error"].value("code", code);
    message = r.body["error"].value("message", message);
  }
  return fail(a, exit_code::failed,
              "refused (" + std::to_string(r.status) + " " + code + "): " + message);
}

/// `YYYY-MM-DDTHH:MM:SSZ` of the clock, read once.
std::string now_utc() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

exit_code sr_run(const args& a) {
  if (a.has("--platform-run-id") && a.has("--start"))
    return fail(a, exit_code::usage,
                "--platform-run-id and --start: give one (a retry names its run; a new run "
                "its start)");
  json body;
  auto seed = a.number("--seed", 0);
  if (seed > (std::uint64_t{1} << 53) - 1)
    return fail(a, exit_code::usage, "--seed: must be 0..2^53-1");
  body["seed"] = seed;
  struct text_option {
    std::string_view option, field;
    expected<void> (*check)(std::string_view, std::string_view);
  };
  for (auto o :
       {text_option{"--scenario-id", "scenario_id", schemas::validate_path_segment},
        text_option{"--parameter-hash", "parameter_hash", schemas::validate_hex64},
        text_option{"--manifest-fingerprint", "manifest_fingerprint", schemas::validate_hex64},
        text_option{"--platform-run-id", "platform_run_id", schemas::validate_platform_run_id},
        text_option{"--start", "started_at_utc", schemas::validate_rfc3339_utc}}) {
    if (!a.has(o.option))
      continue;
    auto v = a.text(o.option);
    if (auto ok = o.check(o.option, v); !ok)
      return fail(a, exit_code::usage, ok.error().message());
    body[std::string(o.field)] = v;
  }
  if (!a.has("--platform-run-id") && !a.has("--start")) {
    auto start = now_utc(); // the one clock read of a run, recorded by SR from here on
    body["started_at_utc"] = start;
    std::string prid = "platform_";
    for (char ch : start)
      if (ch != '-' && ch != ':')
        prid += ch;
    std::fprintf(stderr, "fp sr run: started_at_utc %s, platform_run_id %s\n", start.c_str(),
                 prid.c_str());
  }
  answer r;
  std::string why;
  if (!call(a, "POST", "/v1/sr/runs", body.dump(), r, why))
    return fail(a, exit_code::failed, why);
  return report(a, r);
}

exit_code sr_status(const args& a) {
  std::string target = "/v1/sr/active";
  if (!a.positionals().empty()) {
    const auto& id = a.positionals().front();
    if (auto ok = schemas::validate_platform_run_id("ID", id); !ok)
      return fail(a, exit_code::usage, ok.error().message());
    target = "/v1/sr/runs/" + id;
  }
  answer r;
  std::string why;
  if (!call(a, "GET", target, "", r, why))
    return fail(a, exit_code::failed, why);
  return report(a, r);
}

} // namespace fp::tools
