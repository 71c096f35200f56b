#include "tools/fp/shell_commands.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

namespace fp::tools::sh {

std::string invocation::option(std::string_view name, std::string fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

expected<std::vector<std::string>> tokenize(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word)
        words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (quote != 0)
    return error{errc::usage, std::string("unclosed ") + quote + " quote"};
  if (in_word)
    words.push_back(std::move(word));
  return words;
}

namespace {

const command_spec* find_command(std::string_view name) {
  for (auto& c : command_table)
    if (c.name == name)
      return &c;
  return nullptr;
}

const option_spec* find_option(std::string_view name, unsigned bit) {
  for (auto& o : option_table)
    if (o.name == name && (o.accepted_by & bit))
      return &o;
  return nullptr;
}

/// `s` as a non-negative integer; nullopt when it is not exactly one.
std::optional<std::uint64_t> number_of(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return n;
}

error usage(const command_spec& c, const std::string& message) {
  return error{errc::usage,
               std::string(c.name) + ": " + message + "; usage: " + std::string(c.usage)};
}

} // namespace

expected<invocation> parse(const std::vector<std::string>& words) {
  if (words.empty())
    return error{errc::usage, "no command"};
  invocation in;
  in.command = find_command(words[0]);
  if (in.command == nullptr)
    return error{errc::unknown_command,
                 "unknown command \"" + words[0] + "\"; 'help' lists the commands"};
  const auto& c = *in.command;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w.size() < 2 || w.compare(0, 2, "--") != 0) {
      in.operands.push_back(w);
      continue;
    }
    auto eq = w.find('=');
    auto name = w.substr(0, eq);
    auto* o = find_option(name, c.bit);
    if (o == nullptr)
      return usage(c, "unknown option \"" + name + "\"");
    if (in.options.count(name) != 0)
      return usage(c, "option " + name + " given twice");
    std::string value;
    if (eq != std::string::npos) {
      value = w.substr(eq + 1);
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      return usage(c, "option " + name + " needs a value (" + std::string(o->value) + ")");
    }
    if (o->numeric) {
      auto n = number_of(value);
      if (!n)
        return usage(c,
                     "option " + name + ": expected a non-negative integer, got \"" + value + "\"");
      if (*n < o->min || *n > o->max)
        return usage(c, "option " + name + ": expected " +
                            (o->max == UINT64_MAX
                                 ? "at least " + std::to_string(o->min)
                                 : std::to_string(o->min) + ".." + std::to_string(o->max)) +
                            ", got " + value);
    }
    in.options.emplace(name, std::move(value));
  }
  auto n = in.operands.size();
  if (n < c.min_operands)
    return usage(c, "missing operand");
  if (n > c.max_operands)
    return usage(c, "unexpected operand \"" + in.operands.back() + "\"");
  return in;
}

expected<reply> execute(session& s, std::string_view line) {
  auto words = tokenize(line);
  if (!words)
    return std::move(words).error();
  if (words->empty())
    return reply{};
  auto in = parse(*words);
  if (!in)
    return std::move(in).error();
  return in->command->fn(s, *in);
}

// -- TAB completion -------------------------------------------------------------------------

namespace {

std::vector<std::string> entity_types(session& s) {
  std::vector<std::string> out;
  auto j = s.client.get_json("/admin/planes");
  if (!j || !j->contains("planes") || !(*j)["planes"].is_array())
    return out;
  for (auto& plane : (*j)["planes"]) {
    if (!plane.is_object() || !plane.contains("entity_types"))
      continue;
    for (auto& t : plane["entity_types"])
      if (t.is_object() && t.contains("type") && t["type"].is_string())
        out.push_back(t["type"].get<std::string>());
  }
  return out;
}

/// One page of keys: enough to complete by hand, and TAB must answer at once.
constexpr int completion_key_limit = 1000;

std::vector<std::string> entity_keys(session& s, const std::string& type) {
  std::vector<std::string> out;
  auto j = s.client.get_json("/admin/entities/" + url_encode(type) +
                             "?limit=" + std::to_string(completion_key_limit));
  if (!j || !j->contains("entities") || !(*j)["entities"].is_array())
    return out;
  for (auto& e : (*j)["entities"])
    if (e.is_object() && e.contains("key") && e["key"].is_string())
      out.push_back(e["key"].get<std::string>());
  return out;
}

std::vector<std::string> metric_names(session& s) {
  std::vector<std::string> out;
  auto text = s.client.get_text("/metrics");
  if (!text)
    return out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    auto end = text->find('\n', pos);
    if (end == std::string::npos)
      end = text->size();
    std::string_view line(text->data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#')
      continue;
    out.emplace_back(line.substr(0, line.find_first_of("{ ")));
  }
  return out;
}

std::vector<std::string> operand_candidates(session& s, const command_spec& c,
                                            const std::vector<std::string>& operands,
                                            const std::string& partial) {
  auto index = operands.size();
  switch (c.completion) {
  case complete_as::command: {
    std::vector<std::string> out;
    if (index == 0)
      for (auto& cmd : command_table)
        out.emplace_back(cmd.name);
    return out;
  }
  case complete_as::type:
    return index == 0 ? entity_types(s) : std::vector<std::string>{};
  case complete_as::type_then_key:
    if (index == 0)
      return entity_types(s);
    return index == 1 ? entity_keys(s, operands[0]) : std::vector<std::string>{};
  case complete_as::persistence_id: {
    if (index != 0)
      return {};
    std::vector<std::string> out;
    auto slash = partial.find('/');
    if (slash == std::string::npos) {
      for (auto& t : entity_types(s))
        out.push_back(t + "/");
      return out;
    }
    auto type = partial.substr(0, slash);
    for (auto& k : entity_keys(s, type))
      out.push_back(type + "/" + k);
    return out;
  }
  case complete_as::metric:
    return index == 0 ? metric_names(s) : std::vector<std::string>{};
  case complete_as::nothing:
    return {};
  }
  return {};
}

std::vector<std::string> candidates(session& s, const std::vector<std::string>& words,
                                    const std::string& partial) {
  std::vector<std::string> out;
  if (words.empty()) {
    for (auto& c : command_table)
      out.emplace_back(c.name);
    return out;
  }
  auto* c = find_command(words[0]);
  if (c == nullptr)
    return out;
  if (partial.compare(0, 1, "-") == 0) {
    for (auto& o : option_table)
      if (o.accepted_by & c->bit)
        out.emplace_back(o.name);
    return out;
  }
  std::vector<std::string> operands;
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i].compare(0, 2, "--") != 0) {
      operands.push_back(words[i]);
      continue;
    }
    if (words[i].find('=') != std::string::npos)
      continue;
    if (i + 1 == words.size()) { // completing this option's value
      if (words[i] == "--state")
        for (auto st : entity_states)
          out.emplace_back(st);
      return out;
    }
    ++i;
  }
  return operand_candidates(s, *c, operands, partial);
}

} // namespace

std::vector<std::string> complete(session& s, std::string_view before_cursor) {
  auto words = tokenize(before_cursor);
  if (!words)
    return {};
  std::string partial;
  bool at_blank =
      before_cursor.empty() || before_cursor.back() == ' ' || before_cursor.back() == '\t';
  if (!at_blank && !words->empty()) {
    partial = std::move(words->back());
    words->pop_back();
  }
  std::set<std::string> matching;
  for (auto& c : candidates(s, *words, partial))
    if (c.compare(0, partial.size(), partial) == 0)
      matching.insert(std::move(c));
  return {matching.begin(), matching.end()};
}

} // namespace fp::tools::sh
