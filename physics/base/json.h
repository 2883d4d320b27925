// RadioTwin: JSON for summaries, manifests and case files (nlohmann-json). Objects keep
// their keys in insertion order, so a summary reads top-down in the order the run produced it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace radiotwin
{
  using Json = nlohmann::ordered_json;

  /// The text of a JSON file: indented, newline at the end; bytes that are not UTF-8 (a
  /// Latin-1 path, say) are replaced rather than thrown on.
  inline std::string dump_json(const Json &j)
  {
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  }
} // namespace radiotwin
