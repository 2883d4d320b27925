// RadioTwin tests: what every solver test builds first from a parameter text: the parameters
// (Geometry, Tissue, Darcy and whatever @p declare_more adds), the geometry and tissue, the
// mesh (the geometry's, or @p create_mesh's), a timer and a Darcy solver with its parameters
// read (not set up: tests may give it boundary data or sources first).
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "physics/base/parameter_file.h"
#include "meshes/geometry.h"
#include "physics/tissue_properties.h"
#include "solvers/darcy_solver.h"

namespace radiotwin::testing
{
  struct SolverFixture
  {
    using Tria = dealii::parallel::distributed::Triangulation<3>;

    explicit SolverFixture(const std::string &text,
                           const std::function<void(dealii::ParameterHandler &)> &declare_more = {},
                           const std::function<void(Tria &)> &create_mesh = {})
    {
      Geometry::declare_parameters(prm);
      TissueProperties::declare_parameters(prm);
      DarcySolver::declare_parameters(prm);
      if (declare_more)
        declare_more(prm);
      file.read_from_string(prm, text);
      geometry.parse_parameters(prm, file);
      tissue.parse_parameters(prm, file);
      if (create_mesh)
        create_mesh(tria);
      else
        geometry.create(tria);
      darcy = std::make_unique<DarcySolver>(tria, tissue, timer);
      darcy->parse_parameters(prm, file);
    }

    dealii::ParameterHandler                prm;
    ParameterFile                           file;
    Geometry                                geometry;
    TissueProperties                        tissue;
    Tria                                    tria{MPI_COMM_WORLD};
    dealii::TimerOutput timer{MPI_COMM_WORLD, std::cout, dealii::TimerOutput::never,
                              dealii::TimerOutput::wall_times};
    std::unique_ptr<DarcySolver> darcy; ///< destroyed before the mesh it lives on
  };
} // namespace radiotwin::testing
