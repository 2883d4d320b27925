// RadioTwin: the pbrpk driver, `radiotwin pbrpk FILE.prm`: the whole-body model on its own.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  void declare_pbrpk_parameters(dealii::ParameterHandler &prm);
  int  run_pbrpk(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
} // namespace radiotwin
