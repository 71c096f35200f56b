#include "tools/fp/shell_repl.hpp"

#include <histedit.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace fp::tools::sh {

std::string history_path() {
  if (const char* p = std::getenv("FP_SHELL_HISTORY"); p != nullptr && *p != '\0')
    return p;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0')
    return {};
  return std::string(home) + "/.fp_shell_history";
}

namespace {

constexpr int history_size = 1000;
constexpr std::size_t max_listed = 200;

volatile std::sig_atomic_t interrupted = 0;

struct repl_state {
  session* s;
  std::string prompt;
};

repl_state& state_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return *static_cast<repl_state*>(data);
}

char* prompt_of(EditLine* el) {
  return state_of(el).prompt.data();
}

/// What the line editor must insert for `word` to tokenize back to it.
std::string escaped(std::string_view word) {
  std::string out;
  for (char c : word) {
    if (c == ' ' || c == '\t' || c == '\'' || c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

void list_candidates(const std::vector<std::string>& words) {
  std::size_t width = 0;
  for (auto& w : words)
    width = std::max(width, w.size());
  auto columns = std::max<std::size_t>(1, 100 / (width + 2));
  std::string out = "\n";
  for (std::size_t i = 0; i < words.size() && i < max_listed; ++i) {
    out += words[i];
    bool end_of_row = (i + 1) % columns == 0 || i + 1 == words.size();
    out += end_of_row ? "\n" : std::string(width + 2 - words[i].size(), ' ');
  }
  if (words.size() > max_listed)
    out += "\n... and " + std::to_string(words.size() - max_listed) + " more\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

/// TAB: completes the word before the cursor as far as the candidates agree; when they agree
/// no further, lists them.
unsigned char complete_word(EditLine* el, int) {
  const LineInfo* li = el_line(el);
  std::string_view before(li->buffer, static_cast<std::size_t>(li->cursor - li->buffer));
  auto start = before.find_last_of(" \t");
  auto partial = before.substr(start == std::string_view::npos ? 0 : start + 1);
  if (partial.find_first_of("'\"\\") != std::string_view::npos)
    return CC_ERROR;
  auto words = complete(*state_of(el).s, before);
  if (words.empty())
    return CC_ERROR;
  auto common = words.front();
  for (auto& w : words) {
    std::size_t n = 0;
    while (n < common.size() && n < w.size() && common[n] == w[n])
      ++n;
    common.resize(n);
  }
  if (common.size() > partial.size() || words.size() == 1) {
    auto insert = escaped(std::string_view(common).substr(partial.size()));
    if (words.size() == 1 && !common.ends_with("/"))
      insert += ' ';
    if (!insert.empty())
      el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  list_candidates(words);
  return CC_REDISPLAY;
}

/// Prints a reply or its error; the loop goes on either way.
bool print(const expected<reply>& r) {
  if (!r) {
    std::fprintf(stderr, "error: %s\n", r.error().message().c_str());
    return false;
  }
  std::fwrite(r->text.data(), 1, r->text.size(), stdout);
  std::fflush(stdout);
  return !r->failed;
}

} // namespace

int run_repl(session& s, const std::string& prompt) {
  repl_state state{&s, prompt};
  HistEvent ev;
  History* hist = history_init();
  history(hist, &ev, H_SETSIZE, history_size);
  history(hist, &ev, H_SETUNIQUE, 1);
  auto hist_file = history_path();
  if (!hist_file.empty())
    history(hist, &ev, H_LOAD, hist_file.c_str());

  EditLine* el = el_init("fp", stdin, stdout, stderr);
  el_set(el, EL_CLIENTDATA, &state);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);
  el_set(el, EL_PROMPT, prompt_of);
  el_set(el, EL_HIST, history, hist);
  el_set(el, EL_ADDFN, "fp-complete", "complete a command, type, key or metric", complete_word);
  el_set(el, EL_BIND, "^I", "fp-complete", nullptr);
  el_source(el, nullptr); // the user's ~/.editrc goes last, so it can rebind anything

  // Ctrl-C abandons the line being edited (el_gets returns with EINTR), not the shell.
  struct sigaction on_int {};
  struct sigaction before {};
  on_int.sa_handler = [](int) { interrupted = 1; };
  sigemptyset(&on_int.sa_mask);
  sigaction(SIGINT, &on_int, &before);

  int count = 0;
  for (;;) {
    const char* raw = el_gets(el, &count);
    if (raw == nullptr && interrupted != 0) {
      interrupted = 0;
      std::fputs("^C\n", stdout);
      el_reset(el);
      continue;
    }
    if (raw == nullptr)
      break;
    std::string line(raw, static_cast<std::size_t>(count));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    history(hist, &ev, H_ENTER, line.c_str());
    if (!hist_file.empty())
      history(hist, &ev, H_SAVE, hist_file.c_str());
    auto r = execute(s, line);
    print(r);
    if (r && r->quit)
      break;
  }
  sigaction(SIGINT, &before, nullptr);
  if (count <= 0)
    std::fputs("\n", stdout); // Ctrl-D: leave the terminal on a fresh line
  el_end(el);
  history_end(hist);
  return 0;
}

int run_lines(session& s) {
  int code = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto r = execute(s, line);
    if (!print(r))
      code = 1;
    if (r && r->quit)
      break;
  }
  return code;
}

} // namespace fp::tools::sh
