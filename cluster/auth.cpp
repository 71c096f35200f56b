#include "cluster/auth.hpp"

#include "cluster/errc.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fp::cluster {

namespace {

std::string trimmed(std::string s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.back()))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && space(s[i]))
    ++i;
  return s.substr(i);
}

expected<std::string> checked(std::string token, const std::string& where) {
  token = trimmed(std::move(token));
  if (token.empty())
    return error{errc::bad_secret, where + " holds an empty admin token"};
  if (token.size() < 16)
    return error{errc::bad_secret, where + ": the admin token must be at least 16 characters long"};
  for (unsigned char c : token)
    if (c < 0x21 || c > 0x7e)
      return error{errc::bad_secret,
                   where + ": the admin token must be printable ASCII without spaces"};
  return token;
}

} // namespace

expected<std::optional<std::string>> read_admin_token(const admin_wiring& a) {
  if (!a.token_file.empty()) {
    std::ifstream in(a.token_file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
      return error{errc::bad_secret, "wiring.admin.token_file: cannot read " + a.token_file};
    auto t = checked(text.str(), "wiring.admin.token_file " + a.token_file);
    if (!t)
      return std::move(t).error();
    return std::optional<std::string>(std::move(*t));
  }
  if (!a.token_env.empty()) {
    const char* v = std::getenv(a.token_env.c_str());
    if (v == nullptr)
      return error{errc::bad_secret,
                   "wiring.admin.token_env: environment variable " + a.token_env + " is not set"};
    auto t = checked(v, "wiring.admin.token_env " + a.token_env);
    if (!t)
      return std::move(t).error();
    return std::optional<std::string>(std::move(*t));
  }
  return std::optional<std::string>();
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "Bearer ";
  if (token.empty() || authorization.size() < scheme.size())
    return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i])))
      return false;
  auto given = authorization.substr(scheme.size());
  // Compare in constant time over the token's length; a length mismatch still compares.
  std::string padded(given.substr(0, token.size()));
  padded.resize(token.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), token.data(), token.size()) == 0;
  return same && given.size() == token.size();
}

} // namespace fp::cluster
