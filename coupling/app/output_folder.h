// RadioTwin: the output folder of a run, the same for every driver (simulation, pbrpk).
#pragma once

#include <string>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  /// 'Output/Directory'.
  void declare_output_directory(ParameterSchema &prm);
  /// Its value, or results/<name of the parameter file> when empty.
  std::string output_directory(ParameterReader &prm, const ParameterFile &file);
// The same with deal.II's ParameterHandler (the full program; dealii_parameters.cc).
  void        declare_output_directory(dealii::ParameterHandler &prm);
  std::string output_directory(dealii::ParameterHandler &prm, const ParameterFile &file);
  /// Create @p directory, remove an earlier run's summary.json (a folder without one is an
  /// unfinished run) and write @p parameters_text as parameters.prm. Call on one rank. Throws
  /// InputError naming 'Output/Directory' when the folder cannot be made.
  void prepare_output_folder(const std::string &directory, const ParameterFile &file,
                             const std::string &parameters_text);
} // namespace radiotwin
