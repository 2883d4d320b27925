// RadioTwin: the computational domain. A spherical tumour (optionally with a necrotic core)
// inside a spherical or cubic host region, or an isolated tumour sphere, or a Gmsh mesh whose
// physical volume groups map onto regions. Always a parallel::distributed::Triangulation<3>.
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>
#include <deal.II/distributed/tria.h>

#include <functional>
#include <string>
#include <vector>

#include "meshes/concentric_spheres_manifold.h"
#include "physics/base/parameter_file.h"
#include "physics/regions.h"

namespace radiotwin
{
  class Geometry
  {
  public:
    enum class Type
    {
      sphere_in_sphere,
      sphere_in_cube,
      isolated_sphere,
      gmsh
    };

    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    /// Build the coarse mesh, attach manifolds (curved surfaces stay curved under
    /// refinement), refine globally and then near the tumour. Throws InputError on a
    /// missing or malformed mesh file or on missing regions.
    void create(dealii::parallel::distributed::Triangulation<3> &tria) const;
    /// Only the coarse mesh with its manifolds and regions: the start of a restart, whose
    /// refinement and partition come from the checkpoint (Triangulation::load).
    void create_coarse(dealii::parallel::distributed::Triangulation<3> &tria) const;

    Type   type() const { return geometry_type; }
    /// Tumour radius [m] (for Gmsh meshes: as given in the prm, used only for profiles).
    double tumour_radius() const { return tumour_radius_m; }
    double necrotic_core_radius() const { return core_radius_m; }
    /// Distance from the centre to the outer boundary along a coordinate axis [m].
    double outer_extent() const;
    const dealii::Point<3> &centre() const { return centre_point; }
    /// Regions this geometry contains.
    std::vector<Region> regions() const;

    /// Stops with an InputError when the mesh, refined to `active_cells_after` cells, would
    /// not fit in the memory of its ranks (estimated before refining). The message names
    /// @p location and @p advice (default: the geometry's refinement parameters).
    void require_memory_for(const dealii::parallel::distributed::Triangulation<3> &tria,
                            double active_cells_after, const std::string &location = "",
                            const std::string &advice = "") const;
    /// Active cells once the flagged ones are refined (a lower bound: p4est's 2:1 balance may
    /// refine a few more).
    static double
    cells_after_flagged_refinement(const dealii::parallel::distributed::Triangulation<3> &tria);

  private:
    void build_coarse_mesh(dealii::Triangulation<3> &coarse) const;
    void read_gmsh(dealii::Triangulation<3> &coarse) const;
    /// The curved geometry of a generated coarse mesh, as a chart over its flat version.
    ConcentricSpheresManifold chart_manifold(const dealii::Triangulation<3> &coarse) const;
    /// Tumour and rim refinements; `position` maps a vertex to where it will lie (the rim
    /// band is measured on the curved geometry while the chart is refined flat).
    void refine_near_tumour(
      dealii::parallel::distributed::Triangulation<3>                      &tria,
      const std::function<dealii::Point<3>(const dealii::Point<3> &)> &position) const;

    Type             geometry_type = Type::sphere_in_sphere;
    dealii::Point<3> centre_point;
    double           tumour_radius_m   = 5e-3;
    double           core_radius_m     = 0;
    double           host_size_m       = 10e-3;
    unsigned int     global_refinements = 3;
    unsigned int     tumour_refinements = 0;
    unsigned int     rim_refinements    = 0;
    double           rim_band_m         = 0.5e-3;

    std::string refinements_location; ///< "file:line: parameter 'Geometry/Global refinements'"
    std::string gmsh_file;
    double      gmsh_length_unit_m = 1e-3;
    std::vector<unsigned int> gmsh_ids[3]; ///< physical ids per region index
    std::string               gmsh_file_location; ///< for error messages
  };
} // namespace radiotwin
