// RadioTwin: reading parameter files (.prm or .json) into a deal.II ParameterHandler, with
// command-line overrides and error messages that name file, line and parameter path.
// Also into the deal.II-free ParameterValues of the lean pbrpk path (parameter_schema.h):
// parameter_file_lean.cc holds what needs no deal.II, and the lean libraries are compiled
// with RADIOTWIN_NO_DEALII, which leaves deal.II's headers out.
#pragma once

#ifdef RADIOTWIN_NO_DEALII
namespace dealii
{
  class ParameterHandler;
  class ExceptionBase;
} // namespace dealii
#else
#  include <deal.II/base/parameter_handler.h>
#endif

#include <map>
#include <string>
#include <vector>

#include "physics/base/input_error.h"
#include "physics/base/parameter_schema.h"

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

    /// The same into deal.II-free values (.prm only); throws NeedsFullParameterHandler for
    /// whatever it does not vouch for (JSON, an unreadable file, any doubtful line or
    /// override), InputError never: the full program then reads the file and words the error.
    void read(ParameterValues &values, const std::string &filename,
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
    void apply_override(ParameterValues &values, const std::string &assignment);

    std::string                file;
    std::map<std::string, int> line_of_path; ///< from scanning the .prm text
    std::map<std::string, std::string> overridden; ///< path -> "--set" text
  };

  /// The "additional information" of a deal.II exception, on one line.
  std::string exception_text(const dealii::ExceptionBase &e);

  /// Every parameter of @p prm as "Section/Sub/Name" -> value (from deal.II's JSON output):
  /// what a run's results depend on, for checkpoints and records.
  std::map<std::string, std::string> flat_parameters(const dealii::ParameterHandler &prm);

  /// Declare every entry of @p schema in @p prm, below its current subsection.
  void declare_schema(dealii::ParameterHandler &prm, const ParameterSchema &schema);

  /// A deal.II ParameterHandler seen through the ParameterReader interface.
  class DealiiParameterReader : public ParameterReader
  {
  public:
    explicit DealiiParameterReader(dealii::ParameterHandler &handler)
      : prm(handler)
    {}
    void        enter_subsection(const std::string &name) override;
    void        leave_subsection() override;
    std::string get(const std::string &name) const override;

  private:
    dealii::ParameterHandler &prm;
  };

  /// Split "A/B/Name" into sections {"A","B"} and name "Name".
  std::pair<std::vector<std::string>, std::string> split_parameter_path(const std::string &path);
} // namespace radiotwin
