// RadioTwin: JSON for summaries, manifests and case files (nlohmann-json). Objects keep
// their keys in insertion order, so a summary reads top-down in the order the run produced it.
#pragma once

#include <nlohmann/json.hpp>

namespace radiotwin
{
  using Json = nlohmann::ordered_json;
} // namespace radiotwin
