#include "actors/ingress/wsp/store.hpp"

#include "actors/ingress/wsp/errc.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fp::wsp {

namespace {

output_state state_from(std::string_view s) {
  if (s == "done")
    return output_state::done;
  if (s == "stopped")
    return output_state::stopped;
  if (s == "pending")
    return output_state::pending;
  return output_state::running;
}

expected<std::optional<std::string>> read_if_exists(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec))
      return std::optional<std::string>{};
    return error{errc::io_error, "cannot read " + p.string()};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return std::optional<std::string>{s.str()};
}

/// Ids become file names: refuse anything that could leave the directory.
expected<void> check_segment(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == ".." ||
      id.find_first_of("/\\") != std::string_view::npos || id.find('\0') != std::string_view::npos)
    return error{errc::bad_option, std::string(what) + ": not a path-safe id"};
  return {};
}

} // namespace

std::string_view to_string(output_state s) noexcept {
  switch (s) {
  case output_state::pending:
    return "pending";
  case output_state::running:
    return "running";
  case output_state::done:
    return "done";
  case output_state::stopped:
    return "stopped";
  }
  return "unknown";
}

std::string encode_checkpoint(const checkpoint& c) {
  nlohmann::json j{{"next_row", c.next_row},
                   {"sent", c.counts.sent},
                   {"posts", c.counts.posts},
                   {"admitted", c.counts.admitted},
                   {"duplicate", c.counts.duplicate},
                   {"quarantined", c.counts.quarantined},
                   {"retries", c.counts.retries},
                   {"resent", c.counts.resent},
                   {"retry_since_ms", c.retry_since_ms},
                   {"state", to_string(c.state)},
                   {"reason", c.reason}};
  return j.dump();
}

expected<checkpoint> decode_checkpoint(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return error{errc::io_error, "checkpoint: not a JSON object"};
  try {
    checkpoint c;
    c.next_row = j.at("next_row").get<std::uint64_t>();
    c.counts.sent = j.at("sent").get<std::uint64_t>();
    c.counts.posts = j.at("posts").get<std::uint64_t>();
    c.counts.admitted = j.at("admitted").get<std::uint64_t>();
    c.counts.duplicate = j.at("duplicate").get<std::uint64_t>();
    c.counts.quarantined = j.at("quarantined").get<std::uint64_t>();
    c.counts.retries = j.at("retries").get<std::uint64_t>();
    c.counts.resent = j.value("resent", std::uint64_t{0});
    c.retry_since_ms = j.at("retry_since_ms").get<std::int64_t>();
    c.state = state_from(j.at("state").get<std::string>());
    c.reason = j.at("reason").get<std::string>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    return error{errc::io_error, std::string("checkpoint: ") + e.what()};
  }
}

expected<void> write_file_durably(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return error{errc::io_error,
                 "cannot create " + path.parent_path().string() + ": " + ec.message()};
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return error{errc::io_error, "cannot create " + tmp.string() + ": " + std::strerror(errno)};
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ::close(fd);
      return error{errc::io_error, "cannot write " + tmp.string() + ": " + std::strerror(errno)};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return error{errc::io_error, "cannot fsync " + tmp.string() + ": " + std::strerror(errno)};
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return error{errc::io_error, "cannot rename " + tmp.string() + ": " + ec.message()};
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

file_store::file_store(std::filesystem::path dir)
    : dir_(std::move(dir)) {}

expected<std::optional<checkpoint>> file_store::load(std::string_view message_id,
                                                     std::string_view output_id) {
  if (auto ok = check_segment("message_id", message_id); !ok)
    return std::move(ok).error();
  if (auto ok = check_segment("output_id", output_id); !ok)
    return std::move(ok).error();
  auto text = read_if_exists(dir_ / "stream" / message_id / (std::string(output_id) + ".json"));
  if (!text)
    return std::move(text).error();
  if (!*text)
    return std::optional<checkpoint>{};
  auto c = decode_checkpoint(**text);
  if (!c)
    return std::move(c).error();
  return std::optional<checkpoint>{std::move(*c)};
}

expected<void> file_store::save(std::string_view message_id, std::string_view output_id,
                                const checkpoint& c) {
  if (auto ok = check_segment("message_id", message_id); !ok)
    return ok;
  if (auto ok = check_segment("output_id", output_id); !ok)
    return ok;
  return write_file_durably(dir_ / "stream" / message_id / (std::string(output_id) + ".json"),
                            encode_checkpoint(c));
}

expected<std::optional<std::string>> file_store::ready_done(std::string_view message_id) {
  if (auto ok = check_segment("message_id", message_id); !ok)
    return std::move(ok).error();
  return read_if_exists(dir_ / "ready" / (std::string(message_id) + ".json"));
}

expected<void> file_store::mark_ready_done(std::string_view message_id, std::string summary) {
  if (auto ok = check_segment("message_id", message_id); !ok)
    return ok;
  return write_file_durably(dir_ / "ready" / (std::string(message_id) + ".json"), summary);
}

} // namespace fp::wsp
