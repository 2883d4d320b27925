// RadioTwin: atomic writes. Every file a user or a script reads as a whole (summary, CSV,
// .pvd record, checkpoint manifest) is written to a temporary name, then renamed, so a reader
// never sees half a file and a killed run leaves the previous version.
#pragma once

#include <string>

namespace radiotwin
{
  /// Write @p content to @p path atomically (temporary file + rename). Throws on failure.
  void write_file_atomically(const std::string &path, const std::string &content);
} // namespace radiotwin
