// RadioTwin: `radiotwin twin FILE.prm`, the patient twin (issue 20). This first part is the
// classical dosimetry that clinical tools report, from a patient's measured time-activity
// points per organ and lesion (docs/twin.md): sums of exponentials fitted by weighted least
// squares and chosen by AICc, time-integrated activities with their uncertainty, absorbed
// doses (local deposition) and BED. Images and the model-based calibration come next.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  void declare_twin_parameters(dealii::ParameterHandler &prm);
  /// Read the time-activity table, fit, write dose_table.csv, fitted_curves.csv, summary.json
  /// (and tac_fits.png) on rank 0. Returns the exit status (0); bad input throws InputError.
  int run_twin(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
} // namespace radiotwin
