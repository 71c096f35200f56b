#pragma once

// The kill -9 harness shared by the crash tests (journal, embedded bus): the child writes one
// fixed-size ack record to a pipe on `ack_fd` after each durable write; the parent runs it,
// keeps the pipe drained, SIGKILLs it after a delay, reaps it and returns the bytes it acked.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fp::tests::crash {

inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// -- the child ----------------------------------------------------------------------------------

/// Prints `program: why` on stderr and exits 2 (the parent expects a death by SIGKILL).
[[noreturn]] inline void die(const char* program, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", program, why.c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

/// Writes one ack record (smaller than PIPE_BUF, so the write is atomic) to `fd`.
template <class Record>
void write_ack(const char* program, int fd, const Record& rec) {
  static_assert(sizeof(Record) <= PIPE_BUF);
  const char* p = reinterpret_cast<const char*>(&rec);
  std::size_t left = sizeof(rec);
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      die(program, "write ack: " + std::string(std::strerror(errno)));
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// -- the parent ---------------------------------------------------------------------------------

struct killed_child {
  std::string acked; ///< every byte the child wrote to its ack pipe
  int status = 0;    ///< from waitpid
  std::chrono::milliseconds lived{0};
};

/// Runs `argv` with the write end of a pipe on `ack_fd`, reads the pipe while the child runs
/// (so it never blocks on a full pipe), SIGKILLs it after `delay`, reaps it and reads the pipe
/// to EOF. Throws std::runtime_error when the harness itself fails.
inline killed_child run_and_kill(const std::vector<std::string>& argv, int ack_fd,
                                 std::chrono::milliseconds delay) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (fds[1] == ack_fd)
      ::fcntl(fds[1], F_SETFD, 0);
    else if (::dup2(fds[1], ack_fd) < 0)
      ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  int rd = fds[0];
  ::fcntl(rd, F_SETFL, ::fcntl(rd, F_GETFL) | O_NONBLOCK);
  killed_child out;
  char chunk[1 << 16];
  auto drain = [&]() -> bool { // false at EOF
    for (;;) {
      auto n = ::read(rd, chunk, sizeof chunk);
      if (n > 0) {
        out.acked.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0)
        return false;
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;
      throw std::runtime_error("read ack pipe: " + std::string(std::strerror(errno)));
    }
  };
  auto deadline = start + delay;
  bool open_pipe = true;
  for (auto now = std::chrono::steady_clock::now(); now < deadline;
       now = std::chrono::steady_clock::now()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    pollfd p{rd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 1)));
    if (open_pipe)
      open_pipe = drain();
    if (!open_pipe) { // the child closed its end early (it died): just wait out the delay
      std::this_thread::sleep_until(deadline);
      break;
    }
  }
  if (::kill(pid, SIGKILL) != 0)
    throw std::runtime_error("kill: " + std::string(std::strerror(errno)));
  out.lived = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  pid_t reaped;
  do {
    reaped = ::waitpid(pid, &out.status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid)
    throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
  // The child is dead, so its write end is closed: read to EOF.
  ::fcntl(rd, F_SETFL, ::fcntl(rd, F_GETFL) & ~O_NONBLOCK);
  while (open_pipe) {
    auto n = ::read(rd, chunk, sizeof chunk);
    if (n > 0)
      out.acked.append(chunk, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      open_pipe = false;
  }
  ::close(rd);
  return out;
}

} // namespace fp::tests::crash
