// RadioTwin: `radiotwin phantom FILE.prm`, a synthetic patient for the twin: SPECT images
// (NIfTI) at the imaging times from the whole-body model with known parameters, a label map
// and its table, the true time-integrated activities, and a twin parameter file (docs/twin.md).
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  void declare_phantom_parameters(dealii::ParameterHandler &prm);
  /// Run the model, paint, blur, add noise and write on rank 0. Returns the exit status (0).
  int run_phantom(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
} // namespace radiotwin
