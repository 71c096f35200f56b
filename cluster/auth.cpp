#include "cluster/auth.hpp"
#include "schemas/file_text.hpp"

#include "cluster/errc.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <cstdlib>
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

/// A secret from a file or an environment variable; nullopt when neither is named.
expected<std::optional<std::string>> read_secret(const std::string& file, const std::string& env,
                                                 const std::string& key_path) {
  if (!file.empty()) {
    auto text = schemas::read_file_text(file);
    if (!text)
      return error{errc::bad_secret, key_path + "_file: cannot read " + file};
    return text;
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr)
      return error{errc::bad_secret,
                   key_path + "_env: environment variable " + env + " is not set"};
    return std::optional<std::string>(std::string(v));
  }
  return std::optional<std::string>();
}

expected<void> check_api_key(const std::string& k, const std::string& where) {
  if (k.size() < 16 || k.size() > 256)
    return error{errc::bad_secret, where + ": an API key must be 16..256 characters long"};
  for (unsigned char c : k)
    if (c < 0x21 || c > 0x7e || c == ',')
      return error{errc::bad_secret,
                   where + ": an API key must be printable ASCII without spaces or commas"};
  return {};
}

} // namespace

expected<std::vector<std::string>> read_api_keys(const ingress_wiring& w) {
  auto text = read_secret(w.api_keys_file, w.api_keys_env, "wiring.ingress.api_keys");
  if (!text)
    return std::move(text).error();
  std::vector<std::string> keys;
  if (!*text)
    return keys;
  bool from_file = !w.api_keys_file.empty();
  auto where = from_file ? "wiring.ingress.api_keys_file " + w.api_keys_file
                         : "wiring.ingress.api_keys_env " + w.api_keys_env;
  std::string item;
  std::istringstream in(**text);
  while (std::getline(in, item, from_file ? '\n' : ',')) {
    item = trimmed(item);
    if (item.empty() || (from_file && item[0] == '#'))
      continue;
    if (auto ok = check_api_key(item, where); !ok)
      return std::move(ok).error();
    keys.push_back(item);
  }
  if (keys.empty())
    return error{errc::bad_secret, where + " holds no API key"};
  return keys;
}

expected<std::optional<std::string>> read_wsp_key(const wsp_wiring& w) {
  auto text = read_secret(w.api_key_file, w.api_key_env, "wiring.wsp.api_key");
  if (!text || !*text)
    return text;
  auto where = !w.api_key_file.empty() ? "wiring.wsp.api_key_file " + w.api_key_file
                                       : "wiring.wsp.api_key_env " + w.api_key_env;
  auto key = trimmed(**text);
  if (auto ok = check_api_key(key, where); !ok)
    return std::move(ok).error();
  return std::optional<std::string>(std::move(key));
}

bool api_key_in(std::string_view given, const std::vector<std::string>& keys) {
  bool found = false;
  for (auto& k : keys) {
    std::string padded(given.substr(0, k.size()));
    padded.resize(k.size(), '\0');
    bool same = CRYPTO_memcmp(padded.data(), k.data(), k.size()) == 0 && given.size() == k.size();
    found = found || same;
  }
  return found;
}

expected<std::optional<std::string>> read_admin_token(const admin_wiring& a) {
  if (!a.token_file.empty()) {
    auto text = schemas::read_file_text(a.token_file);
    if (!text)
      return error{errc::bad_secret, "wiring.admin.token_file: cannot read " + a.token_file};
    auto t = checked(std::move(*text), "wiring.admin.token_file " + a.token_file);
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
