#pragma once
// The one place where flags become the library's enums and names: a flag's
// text is checked against the names the library gives (nn::EnumNames, the
// conv registry) and converted by the library's own parser, so the CLI holds
// no list of its own.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "heed/nn/layer.hpp"

namespace heed::cli {

/// "{a,b,c}", as CLI11 lists choices.
inline std::string choice_list(const std::vector<std::string>& names) {
  std::string text = "{";
  for (std::size_t k = 0; k < names.size(); ++k) text += (k ? "," : "") + names[k];
  return text + "}";
}

/// Accepts exactly one of `names`: "--flag: x not in {a,b}" otherwise.
inline CLI::Validator one_of_names(std::vector<std::string> names) {
  const std::string list = choice_list(names);
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        for (const std::string& n : names) {
          if (text == n) return {};
        }
        return text + " not in " + list;
      },
      list);
}

/// Adds `flag`, whose value is one of E's names, parsed into `target`.
template <class E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flag, E& target,
                             const std::string& help) {
  return cmd
      .add_option_function<std::string>(
          flag, [&target](const std::string& text) { target = nn::parse_name<E>(text); }, help)
      ->check(one_of_names(nn::names_of<E>()))
      ->default_str(nn::name_of(target));
}

}  // namespace heed::cli
