#include "meshes/geometry.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/manifold.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "meshes/concentric_spheres_manifold.h"
#include "physics/base/memory_budget.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// The whole generated mesh, cells, faces and edges, carries one chart manifold.
    constexpr types::manifold_id concentric_spheres_manifold_id = 0;

    std::vector<unsigned int> parse_id_list(const std::string &text)
    {
      std::vector<unsigned int> ids;
      for (const auto &s : Utilities::split_string_list(text, ','))
        if (!s.empty())
          ids.push_back(Utilities::string_to_int(s));
      return ids;
    }

    /// Memory of a distributed mesh per active cell [bytes]: the cells of every level, their
    /// faces, edges and vertices, the p4est forest and the ghost layer. Measured on the
    /// generated meshes on 1 rank: 660 at 78 k cells, 700 at 1.05 M (docs/benchmarks.md).
    constexpr double mesh_bytes_per_active_cell = 750;

    std::string id_list(const std::set<types::material_id> &ids)
    {
      std::string s;
      for (const auto id : ids)
        s += (s.empty() ? "" : ", ") + std::to_string(id);
      return s.empty() ? "none" : s;
    }
  } // namespace

  void Geometry::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Geometry");
    {
      prm.declare_entry("Type", "sphere in sphere",
                        Patterns::Selection("sphere in sphere|sphere in cube|isolated sphere|gmsh"),
                        "Shape of the domain. 'sphere in sphere': tumour ball inside a host ball; "
                        "'sphere in cube': tumour ball inside a host cube; 'isolated sphere': "
                        "the tumour alone, its surface is the outer boundary; 'gmsh': read "
                        "'Gmsh/Mesh file'.");
      prm.declare_entry("Tumour radius [mm]", "5", Patterns::Double(1e-3, 1e3),
                        "Radius of the tumour sphere (viable rim plus necrotic core). Unit: mm. "
                        "Range: 0.001-1000.");
      prm.declare_entry("Necrotic core radius [mm]", "0", Patterns::Double(0, 1e3),
                        "Radius of the necrotic core; 0 means no core. Must be smaller than the "
                        "tumour radius. Unit: mm. Range: 0-1000.");
      prm.declare_entry("Host size [mm]", "10", Patterns::Double(1e-3, 1e4),
                        "Radius of the host sphere ('sphere in sphere') or half edge length of "
                        "the host cube ('sphere in cube'); must exceed the tumour radius. Unit: "
                        "mm. Range: 0.001-10000.");
      prm.declare_entry("Global refinements", "3", Patterns::Integer(0, 12),
                        "Number of uniform refinements of the coarse mesh (the generated coarse "
                        "meshes have 7-19 cells; each refinement multiplies the cell count by 8). "
                        "Range: 0-12.");
      prm.declare_entry("Tumour refinements", "0", Patterns::Integer(0, 8),
                        "Additional refinements of every cell of the tumour and necrotic core. "
                        "Range: 0-8.");
      prm.declare_entry("Rim refinements", "0", Patterns::Integer(0, 10),
                        "Additional refinements of the cells within 'Rim band half-width' of the "
                        "tumour surface, where interstitial pressure and velocity change fastest "
                        "(boundary layer of width ~ sqrt(K/(Lp S/V)), ~0.3 mm with the defaults). "
                        "For Gmsh meshes: cells touching the tumour's interface. Range: 0-10.");
      prm.declare_entry("Rim band half-width [mm]", "0.5", Patterns::Double(0, 1e3),
                        "Half-width of the band around the tumour surface refined by 'Rim "
                        "refinements'. Cells crossing the surface are always refined. Unit: mm. "
                        "Range: 0-1000.");
      prm.enter_subsection("Gmsh");
      {
        prm.declare_entry("Mesh file", "", Patterns::Anything(),
                          "Gmsh .msh file (format 2 or 4.1, ASCII) with physical volume groups. "
                          "Relative paths are taken from the directory of the parameter file.");
        prm.declare_entry("Length unit", "mm", Patterns::Selection("m|cm|mm|um"),
                          "Unit of the coordinates in the mesh file.");
        prm.declare_entry("Tumour physical ids", "1", Patterns::List(Patterns::Integer(0, 255)),
                          "Physical volume group ids that form the viable tumour (comma "
                          "separated). Must be present in the mesh.");
        prm.declare_entry("Necrotic core physical ids", "",
                          Patterns::List(Patterns::Integer(0, 255), 0),
                          "Physical volume group ids of the necrotic core; may be empty.");
        prm.declare_entry("Host physical ids", "2", Patterns::List(Patterns::Integer(0, 255), 0),
                          "Physical volume group ids of the host tissue; may be empty for a "
                          "tumour-only mesh.");
      }
      prm.leave_subsection();
    }
    prm.leave_subsection();
  }

  void Geometry::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Geometry");
    const std::string type_name = prm.get("Type");
    geometry_type = type_name == "sphere in sphere" ? Type::sphere_in_sphere :
                    type_name == "sphere in cube"   ? Type::sphere_in_cube :
                    type_name == "isolated sphere"  ? Type::isolated_sphere :
                                                      Type::gmsh;
    tumour_radius_m    = prm.get_double("Tumour radius [mm]") * units::mm;
    core_radius_m      = prm.get_double("Necrotic core radius [mm]") * units::mm;
    host_size_m        = prm.get_double("Host size [mm]") * units::mm;
    global_refinements = prm.get_integer("Global refinements");
    tumour_refinements = prm.get_integer("Tumour refinements");
    rim_refinements    = prm.get_integer("Rim refinements");
    rim_band_m         = prm.get_double("Rim band half-width [mm]") * units::mm;
    refinements_location = file.locate("Geometry/Global refinements").describe();
    prm.enter_subsection("Gmsh");
    gmsh_file = prm.get("Mesh file");
    const std::string unit = prm.get("Length unit");
    gmsh_length_unit_m = unit == "m" ? 1.0 : unit == "cm" ? units::cm : unit == "mm" ? units::mm : units::um;
    gmsh_ids[region_index(material_id(Region::tumour))] = parse_id_list(prm.get("Tumour physical ids"));
    gmsh_ids[region_index(material_id(Region::necrotic_core))] =
      parse_id_list(prm.get("Necrotic core physical ids"));
    gmsh_ids[region_index(material_id(Region::host))] = parse_id_list(prm.get("Host physical ids"));
    prm.leave_subsection();
    prm.leave_subsection();

    if (core_radius_m >= tumour_radius_m)
      file.fail("Geometry/Necrotic core radius [mm]",
                "the necrotic core radius (" + std::to_string(core_radius_m / units::mm) +
                  " mm) must be smaller than the tumour radius (" +
                  std::to_string(tumour_radius_m / units::mm) + " mm)");
    if ((geometry_type == Type::sphere_in_sphere || geometry_type == Type::sphere_in_cube) &&
        host_size_m <= 1.05 * tumour_radius_m)
      file.fail("Geometry/Host size [mm]",
                "the host size (" + std::to_string(host_size_m / units::mm) +
                  " mm) must exceed the tumour radius (" +
                  std::to_string(tumour_radius_m / units::mm) + " mm) by at least 5%");
    if (geometry_type == Type::gmsh)
      {
        gmsh_file_location = file.locate("Geometry/Gmsh/Mesh file").describe();
        if (gmsh_file.empty())
          file.fail("Geometry/Gmsh/Mesh file", "'Type = gmsh' needs a mesh file");
        gmsh_file = file.resolve_path(gmsh_file);
        std::ifstream test(gmsh_file);
        if (!test)
          file.fail("Geometry/Gmsh/Mesh file",
                    "cannot open mesh file '" + gmsh_file + "' (missing or unreadable)");
        if (gmsh_ids[region_index(material_id(Region::tumour))].empty())
          file.fail("Geometry/Gmsh/Tumour physical ids", "at least one id is needed");
      }
  }

  double Geometry::outer_extent() const
  {
    switch (geometry_type)
      {
        case Type::sphere_in_sphere:
        case Type::sphere_in_cube:
          return host_size_m;
        case Type::isolated_sphere:
          return tumour_radius_m;
        case Type::gmsh:
          break;
      }
    return 2 * tumour_radius_m;
  }

  std::vector<Region> Geometry::regions() const
  {
    std::vector<Region> r{Region::tumour};
    if (geometry_type == Type::gmsh)
      {
        if (!gmsh_ids[region_index(material_id(Region::necrotic_core))].empty())
          r.push_back(Region::necrotic_core);
        if (!gmsh_ids[region_index(material_id(Region::host))].empty())
          r.push_back(Region::host);
        return r;
      }
    if (core_radius_m > 0)
      r.push_back(Region::necrotic_core);
    if (geometry_type != Type::isolated_sphere)
      r.push_back(Region::host);
    return r;
  }

  void Geometry::build_coarse_mesh(Triangulation<3> &coarse) const
  {
    // Concentric layers: a ball (7 cells) for the innermost region, then 6-cell shells whose
    // vertices coincide with the ball's, merged into one coarse mesh. Every region boundary
    // is a sphere of coarse faces, so material ids follow the geometry exactly.
    std::vector<double> radii; // interfaces from the inside out
    if (core_radius_m > 0)
      radii.push_back(core_radius_m);
    radii.push_back(tumour_radius_m);

    Triangulation<3> ball;
    GridGenerator::hyper_ball(ball, centre_point, radii[0]);
    ball.set_all_manifold_ids(numbers::flat_manifold_id);

    std::vector<Triangulation<3>> layers(radii.size());
    for (unsigned int i = 1; i < radii.size(); ++i)
      GridGenerator::hyper_shell(layers[i], centre_point, radii[i - 1], radii[i], 6);
    if (geometry_type == Type::sphere_in_sphere)
      {
        layers.emplace_back();
        GridGenerator::hyper_shell(layers.back(), centre_point, tumour_radius_m, host_size_m, 6);
      }
    else if (geometry_type == Type::sphere_in_cube)
      {
        // A 6-cell shell whose outer vertices are moved onto the cube corners: the outer
        // radius sqrt(3) L puts them at (+-L, +-L, +-L).
        layers.emplace_back();
        GridGenerator::hyper_shell(layers.back(), centre_point, tumour_radius_m,
                                   std::sqrt(3.0) * host_size_m, 6);
      }

    std::vector<const Triangulation<3> *> parts{&ball};
    for (unsigned int i = 1; i < layers.size(); ++i)
      parts.push_back(&layers[i]);
    GridGenerator::merge_triangulations(parts, coarse, 1e-12 * tumour_radius_m, false);

    const double tol = 1e-8 * tumour_radius_m;
    for (const auto &cell : coarse.active_cell_iterators())
      {
        // Classify by the outermost vertex: the vertex average of a shell cell can lie
        // inside the sphere that bounds the shell from below.
        double r = 0;
        for (const auto v : cell->vertex_indices())
          r = std::max(r, cell->vertex(v).distance(centre_point));
        Region region = Region::host;
        if (core_radius_m > 0 && r < core_radius_m + tol)
          region = Region::necrotic_core;
        else if (r < tumour_radius_m + tol)
          region = Region::tumour;
        cell->set_material_id(material_id(region));
      }
    coarse.set_all_manifold_ids(concentric_spheres_manifold_id);
    for (const auto &cell : coarse.active_cell_iterators())
      for (const auto f : cell->face_indices())
        if (cell->face(f)->at_boundary())
          cell->face(f)->set_boundary_id(0);
  }

  void Geometry::read_gmsh(Triangulation<3> &coarse) const
  {
    GridIn<3> grid_in;
    grid_in.attach_triangulation(coarse);
    std::ifstream in(gmsh_file);
    try
      {
        grid_in.read_msh(in);
      }
    catch (const ExceptionBase &e)
      {
        std::ostringstream os;
        e.print_info(os);
        std::string msg = os.str();
        for (auto &c : msg)
          if (c == '\n')
            c = ' ';
        throw InputError(gmsh_file_location + ": cannot read Gmsh mesh '" + gmsh_file +
                         "': " + msg);
      }
    if (coarse.n_active_cells() == 0)
      throw InputError(gmsh_file_location + ": Gmsh mesh '" + gmsh_file + "' has no 3D cells");

    GridTools::scale(gmsh_length_unit_m, coarse);

    std::set<types::material_id> present;
    for (const auto &cell : coarse.active_cell_iterators())
      present.insert(cell->material_id());

    const char *id_parameter[3] = {"Tumour physical ids", "Necrotic core physical ids",
                                   "Host physical ids"};
    std::map<types::material_id, Region> region_of_id;
    for (const Region r : all_regions)
      for (const unsigned int id : gmsh_ids[region_index(material_id(r))])
        {
          if (present.count(id) == 0)
            throw InputError(gmsh_file_location + ": mesh '" + gmsh_file +
                             "' has no physical volume group " + std::to_string(id) +
                             " named for region '" + region_name(r) + "' (parameter "
                             "'Geometry/Gmsh/" + id_parameter[region_index(material_id(r))] +
                             "'); groups present: " + id_list(present));
          region_of_id[id] = r;
        }
    for (const auto id : present)
      if (region_of_id.count(id) == 0)
        throw InputError(gmsh_file_location + ": mesh '" + gmsh_file +
                         "' has cells in physical volume group " + std::to_string(id) +
                         " which no region claims (parameters 'Geometry/Gmsh/... physical ids')");
    for (const auto &cell : coarse.active_cell_iterators())
      cell->set_material_id(material_id(region_of_id[cell->material_id()]));
    for (const auto &face : coarse.active_face_iterators())
      if (face->at_boundary())
        face->set_boundary_id(0);
  }

  ConcentricSpheresManifold Geometry::chart_manifold(const Triangulation<3> &tria) const
  {
    // The central cube of deal.II's hyper_ball: its corners are the innermost vertices.
    double central_half_width = std::numeric_limits<double>::max();
    for (const auto &v : tria.get_vertices())
      {
        const Tensor<1, 3> z = v - centre_point;
        central_half_width =
          std::min(central_half_width, std::max({std::abs(z[0]), std::abs(z[1]), std::abs(z[2])}));
      }
    std::vector<ConcentricSpheresManifold::Surface> surfaces;
    if (core_radius_m > 0)
      surfaces.push_back({true, core_radius_m});
    surfaces.push_back({true, tumour_radius_m});
    if (geometry_type == Type::sphere_in_sphere)
      surfaces.push_back({true, host_size_m});
    else if (geometry_type == Type::sphere_in_cube)
      surfaces.push_back({false, host_size_m});
    return ConcentricSpheresManifold(centre_point, central_half_width, surfaces);
  }

  double Geometry::cells_after_flagged_refinement(const parallel::distributed::Triangulation<3> &tria)
  {
    double flagged = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->refine_flag_set())
        ++flagged;
    return tria.n_global_active_cells() + 7 * Utilities::MPI::sum(flagged, tria.get_communicator());
  }

  void Geometry::require_memory_for(const parallel::distributed::Triangulation<3> &tria,
                                    const double active_cells_after, const std::string &location,
                                    const std::string &advice) const
  {
    const double ranks = Utilities::MPI::n_mpi_processes(tria.get_communicator());
    const double added_cells_per_rank =
      std::max(0.0, active_cells_after - tria.n_global_active_cells()) / ranks;
    std::ostringstream what;
    what << (location.empty() ? refinements_location : location) << ": the mesh of " << std::setprecision(3)
         << active_cells_after << " cells";
    require_memory(resident_memory_MB() + added_cells_per_rank * mesh_bytes_per_active_cell / (1024.0 * 1024.0),
                   what.str(),
                   advice.empty() ? "use fewer 'Geometry/... refinements' or more ranks (nodes)" : advice,
                   tria.get_communicator());
  }

  void Geometry::refine_near_tumour(
    parallel::distributed::Triangulation<3>              &tria,
    const std::function<Point<3>(const Point<3> &)> &position) const
  {
    const auto is_tumour = [](const types::material_id id) {
      return id == material_id(Region::tumour) || id == material_id(Region::necrotic_core);
    };
    for (unsigned int step = 0; step < tumour_refinements; ++step)
      {
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && is_tumour(cell->material_id()))
            cell->set_refine_flag();
        require_memory_for(tria, cells_after_flagged_refinement(tria));
        tria.execute_coarsening_and_refinement();
      }
    for (unsigned int step = 0; step < rim_refinements; ++step)
      {
        for (const auto &cell : tria.active_cell_iterators())
          {
            if (!cell->is_locally_owned())
              continue;
            bool refine = false;
            if (geometry_type == Type::gmsh)
              {
                for (const auto f : cell->face_indices())
                  if (!cell->at_boundary(f) &&
                      is_tumour(cell->material_id()) != is_tumour(cell->neighbor(f)->material_id()))
                    refine = true;
              }
            else
              {
                double r_min = std::numeric_limits<double>::max(), r_max = 0;
                for (const auto v : cell->vertex_indices())
                  {
                    const double r = position(cell->vertex(v)).distance(centre_point);
                    r_min = std::min(r_min, r);
                    r_max = std::max(r_max, r);
                  }
                refine = (r_min <= tumour_radius_m + rim_band_m) &&
                         (r_max >= tumour_radius_m - rim_band_m);
              }
            if (refine)
              cell->set_refine_flag();
          }
        require_memory_for(tria, cells_after_flagged_refinement(tria));
        tria.execute_coarsening_and_refinement();
      }
  }

  void Geometry::create_coarse(parallel::distributed::Triangulation<3> &tria) const
  {
    Triangulation<3> coarse;
    if (geometry_type == Type::gmsh)
      read_gmsh(coarse);
    else
      build_coarse_mesh(coarse);
    tria.copy_triangulation(coarse);
    if (geometry_type != Type::gmsh)
      tria.set_manifold(concentric_spheres_manifold_id, chart_manifold(coarse));
  }

  void Geometry::create(parallel::distributed::Triangulation<3> &tria) const
  {
    create_coarse(tria);
    require_memory_for(tria, tria.n_global_active_cells() * std::pow(8.0, global_refinements));
    if (geometry_type == Type::gmsh)
      {
        tria.refine_global(global_refinements);
        refine_near_tumour(tria, [](const Point<3> &x) { return x; });
        return;
      }
    // Refine the flat chart (new vertices are plain averages), deciding the rim refinement
    // on the curved positions, then move every vertex once onto the curved geometry. This
    // is where refinement through the chart would have put it, so later refinement
    // (adaptivity, a restart's Triangulation::load) continues through the chart manifold.
    const ConcentricSpheresManifold chart =
      dynamic_cast<const ConcentricSpheresManifold &>(tria.get_manifold(concentric_spheres_manifold_id));
    tria.set_manifold(concentric_spheres_manifold_id, FlatManifold<3>());
    tria.refine_global(global_refinements);
    refine_near_tumour(tria, [&chart](const Point<3> &x) { return chart.push_forward(x); });
    // Every vertex of every level exactly once; unlike GridTools::transform, hanging
    // vertices are not pulled back onto their parents' flat faces.
    std::vector<bool> moved(tria.n_vertices(), false);
    for (const auto &cell : tria.cell_iterators())
      for (const auto v : cell->vertex_indices())
        if (!moved[cell->vertex_index(v)])
          {
            cell->vertex(v) = chart.push_forward(cell->vertex(v));
            moved[cell->vertex_index(v)] = true;
          }
    tria.set_manifold(concentric_spheres_manifold_id, chart);
  }
} // namespace radiotwin
