// `fp shell`: finds the node's admin API and its token, then runs one command (-c) or the
// REPL.

#include "tools/fp/shell.hpp"

#include "tools/fp/shell_client.hpp"
#include "tools/fp/shell_repl.hpp"

#include "schemas/errc.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fp::tools {

namespace {

expected<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return error{sh::errc::bad_setup, "cannot read " + path};
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return error{sh::errc::bad_setup, "error reading " + path};
  return buf.str();
}

/// `http://127.0.0.1:PORT` from the `admin` port fpnode writes to DIR/fpnode.ports.json.
expected<std::string> admin_url_from(const std::string& data_dir) {
  auto path = (std::filesystem::path(data_dir) / "fpnode.ports.json").string();
  auto text = read_file(path);
  if (!text)
    return error{sh::errc::bad_setup,
                 "cannot read " + path + " (is fpnode running with --data " + data_dir + "?)"};
  auto j = sh::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("admin") || !j["admin"].is_number_unsigned() ||
      j["admin"].get<std::uint64_t>() == 0 || j["admin"].get<std::uint64_t>() > 65535)
    return error{sh::errc::bad_setup, path + ": \"admin\" is not a TCP port"};
  return "http://127.0.0.1:" + std::to_string(j["admin"].get<std::uint64_t>());
}

/// The token of --token-file (trailing blanks and newlines dropped), else $FP_ADMIN_TOKEN.
expected<std::string> admin_token(const args& a) {
  if (!a.has("--token-file")) {
    const char* env = std::getenv("FP_ADMIN_TOKEN");
    return std::string(env == nullptr ? "" : env);
  }
  auto text = read_file(a.text("--token-file"));
  if (!text)
    return std::move(text).error();
  while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back())))
    text->pop_back();
  if (text->empty())
    return error{sh::errc::bad_setup, a.text("--token-file") + " is empty"};
  return std::move(*text);
}

/// What is wrong with a node address, or "" when it is `[http[s]://]HOST[:PORT][/]`.
std::string node_url_problem(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      return "not an http:// or https:// URL";
    url.remove_prefix(scheme + 3);
  }
  while (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos)
    return "the node's address takes no path (the shell adds /admin/...): give "
           "http://HOST:PORT";
  auto colon = url.rfind(':');
  auto host = colon == std::string_view::npos || url.find(']', colon) != std::string_view::npos
                  ? url
                  : url.substr(0, colon);
  if (host.empty())
    return "no host: give http://HOST:PORT";
  if (colon != std::string_view::npos && host.size() != url.size()) {
    auto port = url.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return "port " + schemas::quote_value(std::string(port)) + " is not 1..65535";
  }
  return {};
}

} // namespace

exit_code shell(const args& a) {
  if (a.has("--node") == a.has("--data"))
    return fail(a, exit_code::usage,
                a.has("--node") ? "give --node URL or --data DIR, not both; run 'fp shell --help'"
                                : "--node URL or --data DIR is required; run 'fp shell --help'");
  if (a.has("-c") && a.text("-c").find_first_not_of(" \t") == std::string::npos)
    return fail(a, exit_code::usage, "-c needs a command; run 'fp shell --help'");
  auto url =
      a.has("--node") ? expected<std::string>(a.text("--node")) : admin_url_from(a.text("--data"));
  if (!url)
    return fail(a, exit_code::failed, url.error().message());
  if (auto why = node_url_problem(*url); !why.empty())
    return fail(a, exit_code::usage, "--node " + schemas::quote_value(*url) + ": " + why);
  auto token = admin_token(a);
  if (!token)
    return fail(a, exit_code::failed, token.error().message());

  sh::admin_client client(*url, *token);
  sh::session s{client, a.has("-c") ? sh::output::json : sh::output::human};
  if (!a.has("-c")) {
    if (isatty(STDIN_FILENO) == 0)
      return static_cast<exit_code>(sh::run_lines(s));
    return static_cast<exit_code>(sh::run_repl(s, "fp[" + client.host_port() + "]> "));
  }
  auto r = sh::execute(s, a.text("-c"));
  if (!r)
    return fail(a, exit_code::failed, r.error().message());
  std::fwrite(r->text.data(), 1, r->text.size(), stdout);
  if (std::fflush(stdout) != 0)
    return fail(a, exit_code::failed, "cannot write to stdout");
  return r->failed ? exit_code::failed : exit_code::ok;
}

} // namespace fp::tools
