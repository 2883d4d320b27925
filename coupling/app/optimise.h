// RadioTwin: `radiotwin optimise FILE.prm`, the radiobiological optimiser (issue 21 point 3,
// docs/optimiser.md): the activity of each cycle that maximises the target lesions' BED under
// organ-at-risk limits on one patient's whole-body model, the reference plan beside it, and
// the tumour-kidney trade-off (Pareto front).
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  void declare_optimise_parameters(dealii::ParameterHandler &prm);
  /// Writes plan.csv, pareto_front.csv, summary.json (and plan.png) on rank 0; returns the
  /// exit status (0; 1 is thrown as InputError).
  int run_optimise(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
} // namespace radiotwin
