#pragma once

// The admin API's bearer token: where it comes from and how a request's header is checked.
// The token is a secret: it is read from the location the profile names, kept in memory
// only, never logged and never part of an error message.

#include "cluster/profile.hpp"
#include "schemas/expected.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::cluster {

/// Reads the admin token from the file (first) or environment variable the profile names,
/// without surrounding whitespace. nullopt when neither is named. Errors
/// (`errc::bad_secret`) name the location and the rule, never the contents.
expected<std::optional<std::string>> read_admin_token(const admin_wiring& a);

/// The ingress API key allowlist from the file (one key a line; blank lines and `#` comments
/// skipped) or the environment variable (comma-separated) that `wiring.ingress` names; empty
/// when neither is named. Each key: 16..256 printable ASCII characters without spaces or
/// commas. Errors name the location and the rule, never a key.
expected<std::vector<std::string>> read_api_keys(const ingress_wiring& w);

/// The key the World Streamer Producer presents to IG (`wiring.wsp`); nullopt when neither
/// location is named.
expected<std::optional<std::string>> read_wsp_key(const wsp_wiring& w);

/// Whether `given` is one of `keys`, comparing every key in constant time.
bool api_key_in(std::string_view given, const std::vector<std::string>& keys);

/// Whether an `Authorization` header value is `Bearer <token>` for this token. The token
/// comparison takes the same time wherever the first difference is.
bool bearer_matches(std::string_view authorization, std::string_view token);

} // namespace fp::cluster
