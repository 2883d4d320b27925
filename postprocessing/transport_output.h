// RadioTwin: the transport fields as VTU/PVTU, named with their units.
#pragma once

#include <string>

#include "postprocessing/darcy_output.h"
#include "solvers/transport_solver.h"

namespace radiotwin
{
  /// free/bound/internalised hot and cold [nmol L^-1], activity_MBq_per_mL, receptor_occupancy
  /// and the `extra` fields (pO2, dose, BED).
  /// Returns the .pvtu name relative to @p directory. Collective.
  std::string write_transport_fields(const TransportSolver &transport, const dealii::Mapping<3> &mapping,
                                     double activity_MBq_per_nmol, const std::string &directory,
                                     unsigned int counter, double time_h,
                                     const std::vector<NodalField> &extra = {});
} // namespace radiotwin
