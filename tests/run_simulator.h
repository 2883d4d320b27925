// RadioTwin tests: run a Simulator on a parameter file with overrides.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <memory>
#include <string>
#include <vector>

#include "physics/base/parameter_file.h"
#include "coupling/app/simulator.h"
#include "coupling/app/parts/body_coupling_part.h"
#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/dose_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "coupling/app/parts/transport_part.h"
#include "coupling/app/parts/vessel_part.h"

inline std::unique_ptr<radiotwin::Simulator> run_simulator(const std::string &config,
                                                           const std::vector<std::string> &overrides)
{
  dealii::ParameterHandler prm;
  radiotwin::Simulator::declare_parameters(prm);
  radiotwin::ParameterFile file;
  file.read(prm, config, overrides);
  auto sim = std::make_unique<radiotwin::Simulator>(MPI_COMM_WORLD, prm, file);
  sim->run();
  return sim;
}
