// RadioTwin: the 3D-1D exchange operator's data on this rank. Every vessel segment is
// sampled at points along its centreline (midpoint rule); each point lies in exactly one
// locally owned cell of exactly one rank, and carries what the tissue solvers need to put a
// line source there:
//
//   fluid:  int_Lambda Lp 2 pi r (p_v - sigma (pi_v - pi_i) - p) phi_i ds
//           ~ sum_k fluid_coefficient_k (vessel_pressure_k - p(x_k)) phi_i(x_k)
//   solute: int_Lambda [q (1 - sigma_f) c_p + P 2 pi r B(Pe) (c_p - c)] phi_i ds, the same sum.
//
// The sums are exact in the sense that matters: the network sees the same points with the
// same weights, so what leaves the vessels enters the tissue to round-off.
#pragma once

#include <deal.II/base/point.h>
#include <deal.II/grid/tria.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace radiotwin
{
  struct LineSourcePoint
  {
    dealii::Point<3> unit_point;        ///< in the reference cell of its cell
    unsigned int     global_index = 0;  ///< index into the replicated list of all points
    unsigned int     segment      = 0;
    double           surface_m2   = 0;  ///< 2 pi r w: wall area the point stands for [m^2]
    double fluid_coefficient = 0; ///< Lp 2 pi r w [m^3/(Pa s)]; 0 where S/V = 0 (necrotic core)
    double vessel_pressure   = 0; ///< p_v(x) - sigma_T (pi_v - pi_i) [Pa], from the network
    double leakage           = 0; ///< fluid leaving the vessel here [m^3/s] (last solve)
    double permeability      = 0; ///< solute wall permeability P [m/s]; NaN: region default
  };

  class LineSources
  {
  public:
    static std::uint64_t key(const dealii::TriaAccessor<3, 3, 3> &cell)
    {
      return (static_cast<std::uint64_t>(cell.level()) << 40) |
             static_cast<std::uint64_t>(cell.index());
    }
    /// Indices into points() of the points in this (locally owned) cell; nullptr if none.
    const std::vector<unsigned int> *in_cell(const dealii::TriaAccessor<3, 3, 3> &cell) const
    {
      const auto it = by_cell.find(key(cell));
      return it == by_cell.end() ? nullptr : &it->second;
    }
    const std::vector<LineSourcePoint> &points() const { return owned_points; }
    std::vector<LineSourcePoint> &      points() { return owned_points; }
    void add(const dealii::TriaAccessor<3, 3, 3> &cell, const LineSourcePoint &p)
    {
      by_cell[key(cell)].push_back(owned_points.size());
      owned_points.push_back(p);
    }
    void clear()
    {
      by_cell.clear();
      owned_points.clear();
    }

  private:
    std::unordered_map<std::uint64_t, std::vector<unsigned int>> by_cell;
    std::vector<LineSourcePoint>                                 owned_points;
  };
} // namespace radiotwin
