// RadioTwin: the Darcy fields as VTU/PVTU for ParaView, named with their units.
#pragma once

#include <string>
#include <vector>

#include "physics/tissue_properties.h"
#include "solvers/darcy_solver.h"

namespace radiotwin
{
  /// A further nodal field for an output file: a vector on its own DoFHandler of the same
  /// mesh, written under `name` (which carries its unit).
  struct NodalField
  {
    const dealii::DoFHandler<3> *dofs;
    const VectorType *           values;
    std::string                  name;
  };

  /// Write ifp_mmHg, velocity_um_per_s, Jv_transvascular_per_s, JL_lymphatic_per_s, region
  /// and mpi_rank to DIRECTORY/NAME_CCCC.pvtu (+ pieces). Returns the .pvtu file name
  /// relative to DIRECTORY. Collective.
  std::string write_darcy_fields(const DarcySolver &darcy, const TissueProperties &tissue,
                                 const std::string &directory, const std::string &name,
                                 const unsigned int counter, const double time_h,
                                 const std::vector<NodalField> &extra = {});
} // namespace radiotwin
