// Test helpers: a cylinder of tumour tissue along x and a straight vessel on its axis (the
// single-vessel cases of vessel_flow_test and oxygen_test).
#pragma once

#include <deal.II/distributed/tria.h>
#include <deal.II/grid/grid_generator.h>

#include "physics/regions.h"
#include "meshes/vessel_network.h"

/// Cylinder of radius R and half-length L along x, all tumour, refined `refinements` times.
inline void make_tissue_cylinder(dealii::parallel::distributed::Triangulation<3> &tria,
                                 const double R, const double L, const unsigned int refinements)
{
  dealii::GridGenerator::cylinder(tria, R, L);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(radiotwin::material_id(radiotwin::Region::tumour));
  tria.refine_global(refinements);
}

/// A vessel of radius r from x = -L to L in `n` segments, blood pressures [Pa] at its ends.
inline radiotwin::VesselNetwork axial_vessel(const double L, const double r, const double p_in,
                                             const double p_out, const unsigned int n = 8)
{
  using namespace radiotwin;
  VesselNetwork net;
  for (unsigned int i = 0; i <= n; ++i)
    net.nodes.emplace_back(-L + 2 * L * i / n, 0, 0);
  net.boundary.resize(net.nodes.size());
  net.boundary.front() = {VesselBoundary::Type::pressure, p_in};
  net.boundary.back()  = {VesselBoundary::Type::pressure, p_out};
  for (unsigned int i = 0; i < n; ++i)
    {
      VesselSegment s;
      s.node_a = i, s.node_b = i + 1, s.radius_m = r;
      net.segments.push_back(s);
    }
  return net;
}
