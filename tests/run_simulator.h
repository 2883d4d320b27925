// RadioTwin tests: run a Simulator on a parameter file with overrides.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <memory>
#include <string>
#include <vector>

#include "coupling/parameter_file.h"
#include "coupling/simulator.h"

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
