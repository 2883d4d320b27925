// RadioTwin: the one exception type for bad input.
//
// Everything a user can get wrong (a parameter, a file, a mesh) ends in an InputError,
// which main() turns into one line on stderr and a non-zero exit status. The message
// names the file, the line where known, and the parameter.
#pragma once

#include <stdexcept>
#include <string>

namespace radiotwin
{
  class InputError : public std::runtime_error
  {
  public:
    explicit InputError(const std::string &message)
      : std::runtime_error(message)
    {}
  };

  /// Location of a parameter in its input file: "FILE:LINE: parameter 'A/B/Name'".
  struct ParameterLocation
  {
    std::string file;
    int         line = 0; ///< 0 when unknown (default value, --set, JSON)
    std::string path;     ///< "Section/Sub/Name"

    std::string describe() const
    {
      std::string where = file.empty() ? std::string("<defaults>") : file;
      if (line > 0)
        where += ":" + std::to_string(line);
      return where + ": parameter '" + path + "'";
    }
  };
} // namespace radiotwin
