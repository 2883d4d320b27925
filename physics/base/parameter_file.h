// RadioTwin: reading parameter files (.prm or .json) into a deal.II ParameterHandler, with
// command-line overrides and error messages that name file, line and parameter path.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <map>
#include <string>
#include <vector>

#include "physics/base/input_error.h"

namespace radiotwin
{
  class ParameterFile
  {
  public:
    /// Parse @p filename (by extension: .prm or .json) into @p prm, then apply each
    /// override "Section/Sub/Name=value". Every failure throws an InputError.
    void read(dealii::ParameterHandler &      prm,
              const std::string &             filename,
              const std::vector<std::string> &overrides = {});

    /// Parse a parameter text given as a string (tests, embedded defaults).
    void read_from_string(dealii::ParameterHandler &prm, const std::string &text,
                          const std::string &pseudo_filename = "<string>");

    /// Where the parameter "Section/Sub/Name" was set: the file and line, or the --set
    /// override, or the defaults. Used to point cross-parameter errors at their source.
    ParameterLocation locate(const std::string &path) const;

    /// Throw an InputError about parameter @p path with the given explanation.
    [[noreturn]] void fail(const std::string &path, const std::string &message) const;

    const std::string &filename() const { return file; }
    /// A file name given in the parameter file: relative names are relative to the parameter
    /// file's folder; absolute and empty names come back unchanged.
    std::string resolve_path(const std::string &name) const
    {
      const auto slash = file.find_last_of('/');
      if (name.empty() || name[0] == '/' || slash == std::string::npos)
        return name;
      return file.substr(0, slash + 1) + name;
    }

  private:
    void scan_prm_text(const std::string &text);
    void apply_override(dealii::ParameterHandler &prm, const std::string &assignment);

    std::string                file;
    std::map<std::string, int> line_of_path; ///< from scanning the .prm text
    std::map<std::string, std::string> overridden; ///< path -> "--set" text
  };

  /// The "additional information" of a deal.II exception, on one line.
  std::string exception_text(const dealii::ExceptionBase &e);

  /// Every parameter of @p prm as "Section/Sub/Name" -> value (from deal.II's JSON output):
  /// what a run's results depend on, for checkpoints and records.
  std::map<std::string, std::string> flat_parameters(const dealii::ParameterHandler &prm);

  /// Split "A/B/Name" into sections {"A","B"} and name "Name".
  std::pair<std::vector<std::string>, std::string> split_parameter_path(const std::string &path);
} // namespace radiotwin
