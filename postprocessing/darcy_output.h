// RadioTwin: the Darcy fields as VTU/PVTU for ParaView, named with their units.
#pragma once

#include <string>

#include "physics/tissue_properties.h"
#include "solvers/darcy_solver.h"

namespace radiotwin
{
  /// Write ifp_mmHg, velocity_um_per_s, Jv_transvascular_per_s, JL_lymphatic_per_s, region
  /// and mpi_rank to DIRECTORY/NAME_CCCC.pvtu (+ pieces). Returns the .pvtu file name
  /// relative to DIRECTORY. Collective.
  std::string write_darcy_fields(const DarcySolver &darcy, const TissueProperties &tissue,
                                 const std::string &directory, const std::string &name,
                                 const unsigned int counter, const double time_h);
} // namespace radiotwin
