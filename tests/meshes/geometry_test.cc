// Geometry: region volumes against the exact spheres and cube, curved surfaces staying on
// their spheres under refinement, rim refinement, Gmsh import. Runs on 1 and 2 ranks.
#define BOOST_TEST_MODULE geometry
#include "../test_main.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

#include "physics/base/parameter_file.h"
#include "meshes/geometry.h"
#include "physics/base/units.h"

using namespace radiotwin;
using namespace dealii;
namespace tt = boost::test_tools;

namespace
{
  Geometry make(const std::string &prm_text)
  {
    ParameterHandler prm;
    Geometry::declare_parameters(prm);
    ParameterFile file;
    file.read_from_string(prm, prm_text, source_path("configs/examples/test.prm"));
    Geometry g;
    g.parse_parameters(prm, file);
    return g;
  }

  /// Volume per region index with a quadratic mapping (sees the curved cells) [m^3].
  std::array<double, 3> volumes(const parallel::distributed::Triangulation<3> &tria)
  {
    const MappingQ<3> mapping(2);
    const FE_Q<3>     fe(1);
    DoFHandler<3>     dofs(tria);
    dofs.distribute_dofs(fe);
    FEValues<3> fev(mapping, fe, QGauss<3>(3), update_JxW_values);
    std::array<double, 3> v{};
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fev.reinit(cell);
          for (const auto q : fev.quadrature_point_indices())
            v[region_index(cell->material_id())] += fev.JxW(q);
        }
    for (auto &x : v)
      x = Utilities::MPI::sum(x, MPI_COMM_WORLD);
    return v;
  }

  double ball(const double r_mm)
  {
    return 4.0 / 3.0 * M_PI * std::pow(r_mm * units::mm, 3);
  }
} // namespace

BOOST_AUTO_TEST_CASE(sphere_in_sphere_with_core)
{
  const Geometry g = make("subsection Geometry\n set Type = sphere in sphere\n"
                          " set Tumour radius [mm] = 5\n set Necrotic core radius [mm] = 2\n"
                          " set Host size [mm] = 10\n set Global refinements = 2\nend\n");
  parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  g.create(tria);
  const auto v = volumes(tria);
  BOOST_TEST(v[region_index(material_id(Region::necrotic_core))] == ball(2), tt::tolerance(2e-3));
  BOOST_TEST(v[region_index(material_id(Region::tumour))] == ball(5) - ball(2), tt::tolerance(2e-3));
  BOOST_TEST(v[region_index(material_id(Region::host))] == ball(10) - ball(5), tt::tolerance(2e-3));

  // Refinement kept every boundary vertex on the outer sphere, and every vertex of a face
  // between tumour and host on the tumour sphere.
  double worst_outer = 0, worst_rim = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      for (const auto f : cell->face_indices())
        {
          const bool rim = !cell->at_boundary(f) &&
                           cell->material_id() == material_id(Region::tumour) &&
                           cell->neighbor(f)->material_id() == material_id(Region::host);
          for (const auto vtx : cell->face(f)->vertex_indices())
            {
              const double r = cell->face(f)->vertex(vtx).norm();
              if (cell->at_boundary(f))
                worst_outer = std::max(worst_outer, std::abs(r - 10e-3));
              if (rim)
                worst_rim = std::max(worst_rim, std::abs(r - 5e-3));
            }
        }
  BOOST_TEST(Utilities::MPI::max(worst_outer, MPI_COMM_WORLD) < 1e-14);
  BOOST_TEST(Utilities::MPI::max(worst_rim, MPI_COMM_WORLD) < 1e-14);
}

BOOST_AUTO_TEST_CASE(volume_converges_under_refinement)
{
  // With curved cells, the discrete volume error shrinks with h (here by a factor > 4 per
  // refinement for a quadratic mapping on the spherical manifold).
  double previous_error = 1;
  for (unsigned int level = 0; level < 3; ++level)
    {
      const Geometry g = make("subsection Geometry\n set Type = isolated sphere\n"
                              " set Tumour radius [mm] = 3\n set Global refinements = " +
                              std::to_string(level) + "\nend\n");
      parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
      g.create(tria);
      const double error = std::abs(volumes(tria)[0] - ball(3)) / ball(3);
      BOOST_TEST(error < previous_error / 4);
      previous_error = error;
    }
}

BOOST_AUTO_TEST_CASE(sphere_in_cube_and_rim_refinement)
{
  const Geometry g = make("subsection Geometry\n set Type = sphere in cube\n"
                          " set Tumour radius [mm] = 3\n set Host size [mm] = 6\n"
                          " set Global refinements = 1\n set Rim refinements = 2\n"
                          " set Rim band half-width [mm] = 0.2\nend\n");
  parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  g.create(tria);
  const auto v = volumes(tria);
  BOOST_TEST(v[0] == ball(3), tt::tolerance(5e-3));
  BOOST_TEST(v[0] + v[2] == std::pow(12e-3, 3), tt::tolerance(1e-3));
  // The host cube stays a cube: every boundary vertex lies on one of its faces.
  double worst = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      for (const auto f : cell->face_indices())
        if (cell->at_boundary(f))
          for (const auto vtx : cell->face(f)->vertex_indices())
            {
              const Point<3> &x = cell->face(f)->vertex(vtx);
              const double    m = std::max({std::abs(x[0]), std::abs(x[1]), std::abs(x[2])});
              worst = std::max(worst, std::abs(m - 6e-3));
            }
  BOOST_TEST(Utilities::MPI::max(worst, MPI_COMM_WORLD) < 1e-15);

  // The finest cells sit on the tumour surface; cells far from it stay coarse.
  double h_rim = 1, h_far = 1;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const double r = cell->center().norm();
        if (std::abs(r - 3e-3) < 0.2e-3)
          h_rim = std::min(h_rim, cell->diameter());
        if (r > 5e-3)
          h_far = std::min(h_far, cell->diameter());
      }
  h_rim = Utilities::MPI::min(h_rim, MPI_COMM_WORLD);
  h_far = Utilities::MPI::min(h_far, MPI_COMM_WORLD);
  BOOST_TEST(h_far > 3 * h_rim);
}

BOOST_AUTO_TEST_CASE(gmsh_import_maps_groups_to_regions)
{
  const Geometry g = make("subsection Geometry\n set Type = gmsh\n set Global refinements = 0\n"
                          " subsection Gmsh\n  set Mesh file = ../../meshes/examples/block.msh\n"
                          "  set Tumour physical ids = 1\n  set Host physical ids = 2\n end\nend\n");
  parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  g.create(tria);
  BOOST_TEST(tria.n_global_active_cells() == 27u);
  const auto v = volumes(tria);
  BOOST_TEST(v[region_index(material_id(Region::tumour))] == 8e-9, tt::tolerance(1e-12));
  BOOST_TEST(v[region_index(material_id(Region::host))] == 26 * 8e-9, tt::tolerance(1e-12));
}
