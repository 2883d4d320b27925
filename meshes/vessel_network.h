// RadioTwin: an explicit vessel network (docs/physics.md section 1): a graph of nodes (3D
// points) and straight segments (radius, wall hydraulic conductivity, solute permeability),
// replicated on every MPI rank. Network sizes of interest (10^2-10^5 segments) are small
// next to the tissue mesh, so every rank holds all of it and solves the network flow itself.
//
// Units: SI inside (m, Pa, m^3/s). Files: VTK PolyData (.vtp, coordinates in m like the
// tissue output, radius as cell data `radius_um`) or a CSV pair (coordinates in mm, radius in
// um), see docs/vessel-networks.md.
#pragma once

#include <deal.II/base/point.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace radiotwin
{
  /// Boundary condition of a network node. Nodes of degree >= 2 and blind ends carry none.
  struct VesselBoundary
  {
    enum class Type
    {
      none,     ///< mass balance of the node (a blind end when its degree is 1)
      pressure, ///< blood pressure [Pa]
      inflow    ///< volumetric blood inflow into the network [m^3/s] (negative: outflow)
    };
    Type   type  = Type::none;
    double value = 0;
  };

  struct VesselSegment
  {
    unsigned int node_a = 0, node_b = 0;
    double       radius_m = 0;
    /// Wall hydraulic conductivity Lp [m/(Pa s)]; NaN: the tissue region's Lp at the segment.
    double wall_conductivity = std::numeric_limits<double>::quiet_NaN();
    /// Solute (ligand) wall permeability [m/s]; NaN: the transport region's P at the segment.
    double permeability = std::numeric_limits<double>::quiet_NaN();
  };

  class VesselNetwork
  {
  public:
    std::vector<dealii::Point<3>> nodes;      ///< [m]
    std::vector<VesselBoundary>   boundary;   ///< one per node
    std::vector<VesselSegment>    segments;
    std::string                   source = "<generated>"; ///< file name, for error messages
    /// The file that defined the segments when it is not `source` (the CSV pair); empty:
    /// `source`. Only for error messages.
    std::string segment_source;
    /// The ids the input file gave to nodes and segments (CSV ids, .vtp `node_id` /
    /// `segment_id`), so that messages and written files use them; empty: the index is the id.
    std::vector<long> node_ids, segment_ids;

    /// The id of node `n` / segment `s` as the user knows it (file id, else the index).
    long node_id(const unsigned int n) const
    {
      return node_ids.size() == nodes.size() ? node_ids[n] : static_cast<long>(n);
    }
    long segment_id(const unsigned int s) const
    {
      return segment_ids.size() == segments.size() ? segment_ids[s] : static_cast<long>(s);
    }

    unsigned int n_nodes() const { return nodes.size(); }
    unsigned int n_segments() const { return segments.size(); }
    double       length(const unsigned int s) const
    {
      return nodes[segments[s].node_a].distance(nodes[segments[s].node_b]);
    }
    /// Total vessel length [m] and wall surface 2 pi r L [m^2].
    double total_length() const;
    double total_surface() const;
    /// Segments at each node.
    std::vector<std::vector<unsigned int>> node_segments() const;
    /// Connected component of every node (0, 1, ...) and their number.
    std::pair<std::vector<unsigned int>, unsigned int> components() const;

    /// Checks that make the flow problem well posed and the geometry sane; throws InputError
    /// naming `source` and the node or segment id: non-finite coordinates, segment ids out of
    /// range, zero-length or non-positive radius, a node without segments, a connected
    /// component without a pressure node (singular flow problem), a node outside the domain
    /// (when `inside` is given; checks both ends and the midpoint of every segment).
    void check(const std::function<bool(const dealii::Point<3> &)> &inside = {}) const;
  };

  /// A named per-node or per-segment field for output (values in the unit its name says).
  struct NetworkField
  {
    std::string         name;
    std::vector<double> values;
  };

  /// Read a network from a VTK XML PolyData file (lines: polylines are split into segments).
  /// Required: cell data `radius_um` (or point data `radius_um`, averaged onto segments).
  /// Optional cell data: `wall_Lp_cm_per_mmHg_s`, `permeability_cm_per_s`; optional point data
  /// `boundary_type` (0 none, 1 pressure, 2 inflow) with `boundary_value` (mmHg, or nL/min).
  /// Coordinates are multiplied by `length_unit_m` (1 for files in m).
  VesselNetwork read_network_vtp(const std::string &file, double length_unit_m = 1.0);

  /// Write the network as .vtp (coordinates in m) with radius, length, boundary data and the
  /// given extra fields; atomically (temporary name, then rename). Call on one rank.
  void write_network_vtp(const VesselNetwork &network, const std::string &file,
                         const std::vector<NetworkField> &node_fields = {},
                         const std::vector<NetworkField> &segment_fields = {});

  /// Read the CSV pair:
  ///   nodes:    id,x_mm,y_mm,z_mm[,boundary,value]   boundary: none|pressure_mmHg|inflow_nL_per_min
  ///   segments: id,node_a,node_b,radius_um[,wall_Lp_cm_per_mmHg_s[,permeability_cm_per_s]]
  /// Ids may be any non-negative integers (unique); '#' lines are comments. Errors name the
  /// file, line and column.
  VesselNetwork read_network_csv(const std::string &nodes_file, const std::string &segments_file);
  void write_network_csv(const VesselNetwork &network, const std::string &nodes_file,
                         const std::string &segments_file);
} // namespace radiotwin
