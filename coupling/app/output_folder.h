// RadioTwin: the output folder of a run, the same for every driver (simulation, pbrpk).
#pragma once

#include <set>
#include <string>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  /// 'Output/Directory' and 'Output/Plots'.
  void declare_output_directory(ParameterSchema &prm);
  /// 'Output/Plots'.
  bool output_plots(ParameterReader &prm);
  /// The standard pictures of a finished run in @p directory, drawn by the Python scripts in
  /// postprocessing/ (time_activity.png from time_activity.csv, tac_fits.png from a twin's
  /// fitted_curves.csv, phantom.png of a synthetic patient, when there is one). Plots change
  /// no result: a missing interpreter or matplotlib, or a failing script, prints a warning and
  /// the run still succeeds. The interpreter is $RADIOTWIN_PYTHON, else the python3 found at
  /// configure time. Call on one rank, after summary.json.
  void draw_run_plots(const std::string &directory);
  /// Its value, or results/<name of the parameter file> when empty.
  std::string output_directory(ParameterReader &prm, const ParameterFile &file);
// The same with deal.II's ParameterHandler (the full program; dealii_parameters.cc).
  void        declare_output_directory(dealii::ParameterHandler &prm);
  std::string output_directory(dealii::ParameterHandler &prm, const ParameterFile &file);
  bool        output_plots(dealii::ParameterHandler &prm);
  /// Every value of @p prm in deal.II's ShortPRM form: what parameters.prm records.
  std::string short_prm(const dealii::ParameterHandler &prm);
  /// short_prm() without the top-level subsections named in @p drop (and without comments):
  /// the model sections one program hands to another.
  std::string prm_sections(const dealii::ParameterHandler &prm, const std::set<std::string> &drop);
  /// Create @p directory, remove an earlier run's summary.json (a folder without one is an
  /// unfinished run) and write @p parameters_text as parameters.prm. Call on one rank. Throws
  /// InputError naming 'Output/Directory' when the folder cannot be made.
  void prepare_output_folder(const std::string &directory, const ParameterFile &file,
                             const std::string &parameters_text);
} // namespace radiotwin
