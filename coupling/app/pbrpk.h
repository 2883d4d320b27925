// RadioTwin: the pbrpk driver, `radiotwin pbrpk FILE.prm`: the whole-body model on its own.
//
// The run itself needs no deal.II and no MPI (pbrpk.cc): the lean executable (pbrpk_main.cc)
// calls it with deal.II-free ParameterValues, the full program (dealii_parameters.cc) with its
// ParameterHandler, on every rank.
#pragma once

#include <string>

#include "physics/base/parameter_file.h"

#ifndef RADIOTWIN_NO_DEALII
#  include <mpi.h>
#endif

namespace radiotwin
{
  void declare_pbrpk_parameters(ParameterSchema &schema);
  /// Parse the model, integrate, and on @p root print the log and write the outputs, with
  /// @p parameters_text (the values in ShortPRM form) as parameters.prm. Returns the exit
  /// status (0); bad input throws InputError.
  int run_pbrpk(ParameterReader &prm, const ParameterFile &file,
                const std::string &parameters_text, bool root);
#ifndef RADIOTWIN_NO_DEALII
  void declare_pbrpk_parameters(dealii::ParameterHandler &prm);
  int  run_pbrpk(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
#endif
} // namespace radiotwin
