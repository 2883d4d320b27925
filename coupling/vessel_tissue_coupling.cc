#include "coupling/vessel_tissue_coupling.h"

#include <deal.II/base/bounding_box.h>
#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_tools_cache.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/rtree.h>

#include <algorithm>
#include <numeric>
#include <climits>
#include <cmath>
#include <fstream>
#include <sstream>

#include "physics/base/input_error.h"
#include "physics/base/units.h"
#include "solvers/darcy_solver.h"
#include "solvers/oxygen_solver.h"

namespace radiotwin
{
  using namespace dealii;

  double physics::fahraeus_lindqvist_relative_viscosity(const double diameter_m)
  {
    const double D = diameter_m / units::um;
    return 220.0 * std::exp(-1.3 * D) + 3.2 - 2.44 * std::exp(-0.06 * std::pow(D, 0.645));
  }

  // ------------------------------------------------------------------------------------
  // Network flow

  void NetworkFlowSolver::initialize(const VesselNetwork &net, const std::vector<double> &G,
                                     const std::vector<NetworkLeakagePoint> &leak_points)
  {
    network     = &net;
    conductance = G;
    points      = leak_points;
    const unsigned int n = net.n_nodes();
    DynamicSparsityPattern dsp(n, n);
    for (unsigned int i = 0; i < n; ++i)
      dsp.add(i, i);
    for (const auto &s : net.segments)
      {
        dsp.add(s.node_a, s.node_b);
        dsp.add(s.node_b, s.node_a);
      }
    pattern.copy_from(dsp);
    matrix.reinit(pattern);
    // Element matrices: Poiseuille conductance, plus the leakage mass sum_k a_k psi psi^T.
    for (unsigned int s = 0; s < net.n_segments(); ++s)
      {
        const auto a = net.segments[s].node_a, b = net.segments[s].node_b;
        matrix.add(a, a, G[s]);
        matrix.add(b, b, G[s]);
        matrix.add(a, b, -G[s]);
        matrix.add(b, a, -G[s]);
      }
    for (const auto &p : points)
      {
        const auto   a = net.segments[p.segment].node_a, b = net.segments[p.segment].node_b;
        const double psi[2] = {1 - p.t, p.t};
        const unsigned int ids[2] = {a, b};
        for (unsigned int i = 0; i < 2; ++i)
          for (unsigned int j = 0; j < 2; ++j)
            matrix.add(ids[i], ids[j], p.coefficient * psi[i] * psi[j]);
      }
    // Pressure nodes: identity rows and columns; their couplings go to the right-hand side.
    reduced.reinit(pattern);
    reduced.copy_from(matrix);
    for (unsigned int i = 0; i < n; ++i)
      if (net.boundary[i].type == VesselBoundary::Type::pressure)
        for (auto it = reduced.begin(i); it != reduced.end(i); ++it)
          {
            const unsigned int j = it->column();
            it->value()          = (i == j) ? 1.0 : 0.0;
            if (i != j)
              reduced.set(j, i, 0.0);
          }
    direct.initialize(reduced);
    pressure.assign(n, 0.0);
    outside.assign(points.size(), 0.0);
  }

  void NetworkFlowSolver::solve(const std::vector<double> &outside_pressure)
  {
    AssertDimension(outside_pressure.size(), points.size());
    outside = outside_pressure;
    const VesselNetwork &net = *network;
    const unsigned int   n   = net.n_nodes();
    Vector<double>       rhs(n), dirichlet(n), x(n);
    for (unsigned int i = 0; i < n; ++i)
      if (net.boundary[i].type == VesselBoundary::Type::pressure)
        dirichlet(i) = net.boundary[i].value;
      else if (net.boundary[i].type == VesselBoundary::Type::inflow)
        rhs(i) += net.boundary[i].value;
    for (unsigned int k = 0; k < points.size(); ++k)
      {
        const auto &p = points[k];
        const auto  a = net.segments[p.segment].node_a, b = net.segments[p.segment].node_b;
        rhs(a) += p.coefficient * (1 - p.t) * outside[k];
        rhs(b) += p.coefficient * p.t * outside[k];
      }
    // Lift the pressure values: rhs -= A g on free rows; pressure rows get g.
    Vector<double> lift(n);
    matrix.vmult(lift, dirichlet);
    for (unsigned int i = 0; i < n; ++i)
      rhs(i) = net.boundary[i].type == VesselBoundary::Type::pressure ? dirichlet(i) :
                                                                          rhs(i) - lift(i);
    direct.vmult(x, rhs);
    pressure.assign(x.begin(), x.end());
  }

  double NetworkFlowSolver::point_pressure(const unsigned int k) const
  {
    const auto &s = network->segments[points[k].segment];
    return (1 - points[k].t) * pressure[s.node_a] + points[k].t * pressure[s.node_b];
  }

  std::vector<double> NetworkFlowSolver::segment_leakage() const
  {
    std::vector<double> leak(network->n_segments(), 0.0);
    for (unsigned int k = 0; k < points.size(); ++k)
      leak[points[k].segment] += points[k].coefficient * (point_pressure(k) - outside[k]);
    return leak;
  }

  std::vector<double> NetworkFlowSolver::segment_flow() const
  {
    // Flow entering at a: G (p_a - p_b) + sum_k a_k psi_a (p_v - p_out); leaving at b: the
    // same minus the leakage. The mean of the two is the flow the segment carries.
    std::vector<double> flow(network->n_segments());
    for (unsigned int s = 0; s < network->n_segments(); ++s)
      {
        const auto &seg = network->segments[s];
        flow[s]         = conductance[s] * (pressure[seg.node_a] - pressure[seg.node_b]);
      }
    for (unsigned int k = 0; k < points.size(); ++k)
      flow[points[k].segment] += points[k].coefficient * (point_pressure(k) - outside[k]) *
                                 ((1 - points[k].t) - 0.5);
    return flow;
  }

  std::vector<double> NetworkFlowSolver::boundary_inflow() const
  {
    const unsigned int n = network->n_nodes();
    Vector<double>     p(pressure.begin(), pressure.end()), r(n);
    matrix.vmult(r, p);
    for (unsigned int k = 0; k < points.size(); ++k)
      {
        const auto &s = network->segments[points[k].segment];
        r(s.node_a) -= points[k].coefficient * (1 - points[k].t) * outside[k];
        r(s.node_b) -= points[k].coefficient * points[k].t * outside[k];
      }
    std::vector<double> inflow(n, 0.0);
    for (unsigned int i = 0; i < n; ++i)
      if (network->boundary[i].type != VesselBoundary::Type::none)
        inflow[i] = r(i);
    return inflow;
  }

  double NetworkFlowDiagnostics::network_defect() const
  {
    return std::abs(inflow - outflow - network_leakage) /
           std::max({inflow, outflow, std::abs(network_leakage), 1e-300});
  }

  double NetworkFlowDiagnostics::exchange_defect() const
  {
    return std::abs(network_leakage - tissue_source) /
           std::max({std::abs(network_leakage), std::abs(tissue_source), 1e-300});
  }

  // ------------------------------------------------------------------------------------
  // Homogenised vessel surface density: the wall area of the sample points deposited on a
  // uniform grid (trilinear weights), smoothed with a Gaussian of standard deviation R_h
  // (separable, truncated at 3 R_h and renormalised), divided by the voxel volume. The
  // integral of S/V(x) equals the network's wall area wherever the kernel stays inside.
  namespace
  {
    class DensityGrid
    {
    public:
      DensityGrid(const std::vector<Point<3>> &x, const std::vector<double> &area,
                  const double sigma)
        : h(sigma / 2)
      {
        Point<3> lo = x.empty() ? Point<3>() : x[0], hi = lo;
        for (const auto &p : x)
          for (unsigned int d = 0; d < 3; ++d)
            {
              lo[d] = std::min(lo[d], p[d]);
              hi[d] = std::max(hi[d], p[d]);
            }
        const double margin = 3 * sigma + 2 * h;
        for (unsigned int d = 0; d < 3; ++d)
          {
            origin[d] = lo[d] - margin;
            n[d]      = static_cast<unsigned int>(std::ceil((hi[d] - lo[d] + 2 * margin) / h)) + 1;
          }
        values.assign(std::size_t(n[0]) * n[1] * n[2], 0.0);
        for (unsigned int k = 0; k < x.size(); ++k)
          {
            unsigned int i[3];
            double       f[3];
            locate(x[k], i, f);
            for (unsigned int c = 0; c < 8; ++c)
              {
                double w = area[k];
                for (unsigned int d = 0; d < 3; ++d)
                  w *= (c >> d & 1) ? f[d] : 1 - f[d];
                values[index(i[0] + (c & 1), i[1] + (c >> 1 & 1), i[2] + (c >> 2 & 1))] += w;
              }
          }
        // Separable Gaussian.
        const int           half = static_cast<int>(std::ceil(3 * sigma / h));
        std::vector<double> kernel(2 * half + 1);
        double              total = 0;
        for (int j = -half; j <= half; ++j)
          total += kernel[j + half] = std::exp(-0.5 * std::pow(j * h / sigma, 2));
        for (auto &k : kernel)
          k /= total;
        std::vector<double> line;
        for (unsigned int d = 0; d < 3; ++d)
          {
            const unsigned int d1 = (d + 1) % 3, d2 = (d + 2) % 3;
            line.resize(n[d]);
            unsigned int id[3];
            for (id[d1] = 0; id[d1] < n[d1]; ++id[d1])
              for (id[d2] = 0; id[d2] < n[d2]; ++id[d2])
                {
                  for (id[d] = 0; id[d] < n[d]; ++id[d])
                    line[id[d]] = values[index(id[0], id[1], id[2])];
                  for (id[d] = 0; id[d] < n[d]; ++id[d])
                    {
                      double s = 0;
                      for (int j = -half; j <= half; ++j)
                        {
                          const int m = static_cast<int>(id[d]) + j;
                          if (m >= 0 && m < static_cast<int>(n[d]))
                            s += kernel[j + half] * line[m];
                        }
                      values[index(id[0], id[1], id[2])] = s;
                    }
                }
          }
        for (auto &v : values)
          v /= h * h * h;
      }

      double operator()(const Point<3> &x) const
      {
        unsigned int i[3];
        double       f[3];
        for (unsigned int d = 0; d < 3; ++d)
          if (x[d] <= origin[d] || x[d] >= origin[d] + (n[d] - 1) * h)
            return 0.0;
        locate(x, i, f);
        double v = 0;
        for (unsigned int c = 0; c < 8; ++c)
          {
            double w = 1;
            for (unsigned int d = 0; d < 3; ++d)
              w *= (c >> d & 1) ? f[d] : 1 - f[d];
            v += w * values[index(i[0] + (c & 1), i[1] + (c >> 1 & 1), i[2] + (c >> 2 & 1))];
          }
        return v;
      }

    private:
      void locate(const Point<3> &x, unsigned int i[3], double f[3]) const
      {
        for (unsigned int d = 0; d < 3; ++d)
          {
            const double s = (x[d] - origin[d]) / h;
            i[d]           = std::min(static_cast<unsigned int>(s), n[d] - 2);
            f[d]           = s - i[d];
          }
      }
      std::size_t index(unsigned int i, unsigned int j, unsigned int k) const
      {
        return (std::size_t(k) * n[1] + j) * n[0] + i;
      }

      double              h;
      Point<3>            origin;
      unsigned int        n[3];
      std::vector<double> values;
    };
  } // namespace

  // ------------------------------------------------------------------------------------
  // Coupling

  void VesselCoupling::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Vessel network");
    prm.declare_entry(
      "Vessel representation", "uniform S/V",
      Patterns::Selection("uniform S/V|line sources|homogenised network"),
      "'uniform S/V': region-wise S/V from 'Tissue' (times its spatial scaling); 'line "
      "sources': every segment of the network exchanges fluid (and ligand) with the tissue "
      "along its centreline, with the network's blood pressure; 'homogenised network': the "
      "network's wall area smoothed into a field S/V(x) [1/cm], with the regions' p_v.");
    prm.declare_entry("Network source", "generator", Patterns::Selection("generator|file"),
                      "Where the network comes from: the synthetic generator (subsection "
                      "Generator) or 'Network file'.");
    prm.declare_entry("Network file", "", Patterns::Anything(),
                      "VTK PolyData .vtp (lines; cell data radius_um; coordinates in m) or the "
                      "nodes file of a CSV pair (id,x_mm,y_mm,z_mm[,boundary,value]); relative "
                      "paths are relative to the parameter file.");
    prm.declare_entry("Segments file", "", Patterns::Anything(),
                      "With a CSV nodes file: the segments file "
                      "(id,node_a,node_b,radius_um[,wall_Lp_cm_per_mmHg_s,permeability_cm_per_s]).");
    prm.declare_entry("Viscosity model", "Fahraeus-Lindqvist",
                      Patterns::Selection("Fahraeus-Lindqvist|constant"),
                      "Apparent blood viscosity: Pries et al. 1992 (in vitro, haematocrit "
                      "0.45) times the plasma viscosity, or 'Blood viscosity' everywhere.");
    prm.declare_entry("Blood viscosity [mPa s]", "3.5", Patterns::Double(0.5, 100),
                      "Constant model. Unit: mPa s. Range: 0.5-100.");
    prm.declare_entry("Plasma viscosity [mPa s]", "1.2", Patterns::Double(0.5, 10),
                      "Fahraeus-Lindqvist model. Unit: mPa s. Range: 0.5-10.");
    prm.declare_entry("Line source sample spacing [um]", "25", Patterns::Double(0.1, 1e4),
                      "Distance between the centreline points at which segments exchange "
                      "with the tissue (midpoint rule; at least one point per segment); keep "
                      "it well below the cell size. Unit: um. Range: 0.1-1e4.");
    prm.declare_entry("Homogenisation radius [um]", "250", Patterns::Double(1, 1e5),
                      "Standard deviation of the Gaussian that smooths the network's wall "
                      "area into S/V(x) (homogenised representation). Unit: um. Range: 1-1e5.");
    prm.declare_entry("Background S/V scaling", "0", Patterns::Double(0, 10),
                      "With a network: the fraction of the regions' uniform S/V kept for "
                      "capillaries the network does not resolve (0: the network is all the "
                      "vessels). Range: 0-10.");
    prm.declare_entry("Coupling tolerance", "1e-10", Patterns::Double(1e-15, 1e-2),
                      "Line sources: network-tissue sweeps stop when the tissue pressure at the "
                      "vessels changes by less than this, relative to its maximum. Range: "
                      "1e-15-1e-2.");
    prm.declare_entry("Maximum coupling iterations", "50", Patterns::Integer(1, 1000),
                      "Line sources: sweep limit; reaching it is an error. Range: 1-1000.");
    prm.enter_subsection("Generator");
    declare_vessel_generator_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void VesselCoupling::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Vessel network");
    const std::string r = prm.get("Vessel representation");
    mode = r == "line sources" ? Representation::line_sources :
           r == "homogenised network" ? Representation::homogenised :
                                        Representation::uniform;
    source_kind   = prm.get("Network source");
    network_file  = prm.get("Network file");
    segments_file = prm.get("Segments file");
    fahraeus_lindqvist      = prm.get("Viscosity model") == "Fahraeus-Lindqvist";
    blood_viscosity_Pa_s    = prm.get_double("Blood viscosity [mPa s]") * units::mPa_s;
    plasma_viscosity_Pa_s   = prm.get_double("Plasma viscosity [mPa s]") * units::mPa_s;
    sample_spacing_m        = prm.get_double("Line source sample spacing [um]") * units::um;
    homogenisation_radius_m = prm.get_double("Homogenisation radius [um]") * units::um;
    background_sv_scaling   = prm.get_double("Background S/V scaling");
    coupling_tolerance      = prm.get_double("Coupling tolerance");
    max_coupling_iterations = prm.get_integer("Maximum coupling iterations");
    prm.enter_subsection("Generator");
    generator = parse_vessel_generator_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();

    if (mode != Representation::uniform && source_kind == "file")
      {
        if (network_file.empty())
          file.fail("Vessel network/Network file", "'Network source = file' needs a file");
        network_file  = file.resolve_path(network_file);
        segments_file = file.resolve_path(segments_file);
        if (csv_network() && segments_file.empty())
          file.fail("Vessel network/Segments file",
                    "a CSV nodes file needs its segments file");
        for (const std::string &name : {network_file, csv_network() ? segments_file : network_file})
          if (!std::ifstream(name))
            file.fail(name == network_file ? "Vessel network/Network file" :
                                             "Vessel network/Segments file",
                      "cannot open '" + name + "' (missing or unreadable)");
      }
  }

  VesselCoupling::VesselCoupling()
    : timer(nullptr)
  {}

  TimerOutput &VesselCoupling::timing()
  {
    // Created only when needed: a TimerOutput destroyed while an InputError propagates
    // prints a warning that would spoil the one-line message.
    if (!timer)
      {
        own_timer = std::make_unique<TimerOutput>(comm, std::cout, TimerOutput::never,
                                                  TimerOutput::wall_times);
        timer     = own_timer.get();
      }
    return *timer;
  }

  void VesselCoupling::create_network(const Geometry &geometry)
  {
    TimerOutput::Scope scope(timing(), "Vessels: network (generate or read)");
    generator.centre          = geometry.centre();
    generator.tumour_radius_m = geometry.tumour_radius();
    generator.core_radius_m   = geometry.necrotic_core_radius();
    generator.domain_radius_m = geometry.outer_extent();
    generator.cube_domain     = geometry.type() == Geometry::Type::sphere_in_cube;
    if (source_kind == "file")
      {
        vessels = csv_network() ? read_network_csv(network_file, segments_file) :
                        read_network_vtp(network_file);
      }
    else
      {
        if (geometry.type() != Geometry::Type::sphere_in_sphere &&
            geometry.type() != Geometry::Type::sphere_in_cube)
          throw InputError("parameter 'Vessel network/Network source': the generator needs "
                           "a tumour inside host tissue (Geometry/Type = sphere in sphere or "
                           "sphere in cube)");
        vessels = generate_tumour_vasculature(generator);
      }
    density = vessel_density_by_region(vessels, generator);
  }

  void VesselCoupling::set_network(VesselNetwork network)
  {
    vessels = std::move(network);
    density = vessel_density_by_region(vessels, generator);
  }

  void VesselCoupling::create_samples()
  {
    all_points.clear();
    for (unsigned int s = 0; s < vessels.n_segments(); ++s)
      {
        const double L = vessels.length(s);
        const auto   n = std::max(1u, static_cast<unsigned int>(std::ceil(L / sample_spacing_m)));
        const Point<3> &a = vessels.nodes[vessels.segments[s].node_a];
        const Point<3> &b = vessels.nodes[vessels.segments[s].node_b];
        for (unsigned int j = 0; j < n; ++j)
          {
            const double t = (j + 0.5) / n;
            all_points.push_back(
              {a + t * (b - a), s, t, 2 * numbers::PI * vessels.segments[s].radius_m * L / n});
          }
      }
  }

  void VesselCoupling::setup(const DoFHandler<3> &dofs, const Mapping<3> &mapping,
                             TissueProperties &tissue)
  {
    TimerOutput::Scope scope(timing(), "Vessels: locate sample points");
    comm = dofs.get_communicator();
    create_samples();
    sources.clear();
    owned_cells.clear();
    const unsigned int N    = all_points.size();
    const int          rank = Utilities::MPI::this_mpi_process(comm);

    // Each point goes to the cell that holds it deepest, the same cell on any number of
    // ranks: with hanging nodes on curved manifolds, the Q1 images of neighbouring cells
    // overlap or leave thin gaps, so "the first cell that contains it" would depend on the
    // partition. Score: depth inside the reference cell (>= 0), or minus the distance to it
    // for points in a gap or just outside the polyhedral boundary; accepted above -0.25
    // (gaps measured here: up to 0.055). Ties (points on a conforming face) contribute the
    // same either way.
    const auto &tria = dofs.get_triangulation();
    GridTools::Cache<3> cache(tria, mapping);
    const auto &        rtree = cache.get_locally_owned_cell_bounding_boxes_rtree();
    struct ScoreRank
    {
      double score;
      int    rank;
    };
    std::vector<ScoreRank> best(N, {-1e300, rank});
    std::vector<std::pair<typename Triangulation<3>::active_cell_iterator, Point<3>>> found(N);
    std::vector<std::pair<BoundingBox<3>, typename Triangulation<3>::active_cell_iterator>> hits;
    const double reach = 4 * sample_spacing_m;
    const Tensor<1, 3> offset({reach, reach, reach});
    for (unsigned int k = 0; k < N; ++k)
      {
        const Point<3> &x = all_points[k].x;
        for (const bool wide : {false, true})
          {
            hits.clear();
            if (wide)
              rtree.query(boost::geometry::index::intersects(
                            BoundingBox<3>(std::make_pair(Point<3>(x - offset), Point<3>(x + offset)))),
                          std::back_inserter(hits));
            else
              rtree.query(boost::geometry::index::intersects(x), std::back_inserter(hits));
            for (const auto &[box, cell] : hits)
              try
                {
                  const Point<3> unit = mapping.transform_real_to_unit_cell(cell, x);
                  double depth = 1;
                  for (unsigned int d = 0; d < 3; ++d)
                    depth = std::min({depth, unit[d], 1 - unit[d]});
                  const double score =
                    depth >= 0 ? depth : -GeometryInfo<3>::distance_to_unit_cell(unit);
                  if (score > best[k].score)
                    {
                      best[k].score = score;
                      found[k]      = {cell, GeometryInfo<3>::project_to_unit_cell(unit)};
                    }
                }
              catch (const typename Mapping<3>::ExcTransformationFailed &)
                {}
            if (best[k].score >= 0)
              break;
          }
      }
    MPI_Allreduce(MPI_IN_PLACE, best.data(), N, MPI_DOUBLE_INT, MPI_MAXLOC, comm);
    std::vector<int> owner(N, INT_MAX);
    for (unsigned int k = 0; k < N; ++k)
      if (best[k].score > -0.25)
        owner[k] = best[k].rank;
    for (unsigned int k = 0; k < N; ++k)
      if (owner[k] == INT_MAX)
        {
          const auto &p = all_points[k].x;
          std::ostringstream where;
          where << "(" << p[0] / units::mm << ", " << p[1] / units::mm << ", " << p[2] / units::mm
                << ") mm";
          throw InputError(vessels.source + ": segment " +
                           std::to_string(vessels.segment_id(all_points[k].segment)) +
                           " leaves the computational domain near " + where.str() +
                           " (parameter 'Vessel network/Network file')");
        }

    // This rank's points with their coefficients; replicated copies of what every rank needs.
    fluid_coefficient.assign(N, 0.0);
    oncotic_term.assign(N, 0.0);
    for (unsigned int k = 0; k < N; ++k)
      if (owner[k] == rank)
        {
          const auto &cell = found[k].first;
          const auto &c    = tissue(cell->material_id());
          const auto &seg  = vessels.segments[all_points[k].segment];
          const double Lp  = std::isnan(seg.wall_conductivity) ? c.wall_conductivity :
                                                                 seg.wall_conductivity;
          LineSourcePoint p;
          p.unit_point   = found[k].second;
          p.global_index = k;
          p.segment      = all_points[k].segment;
          p.surface_m2   = all_points[k].surface_m2;
          // The necrotic core has no functional vessels (S/V = 0 there): no exchange.
          p.fluid_coefficient = c.vessel_surface_density > 0 ? Lp * p.surface_m2 : 0.0;
          p.permeability      = seg.permeability;
          oncotic_term[k] = c.oncotic_reflection *
                            (c.plasma_oncotic_pressure - c.interstitial_oncotic_pressure);
          fluid_coefficient[k] = p.fluid_coefficient;
          sources.add(*cell, p);
          owned_cells.push_back(cell);
        }
    Utilities::MPI::sum(fluid_coefficient, comm, fluid_coefficient);
    Utilities::MPI::sum(oncotic_term, comm, oncotic_term);

    // Network operator: Poiseuille conductances and the leakage coefficients.
    std::vector<double> G(vessels.n_segments());
    for (unsigned int s = 0; s < vessels.n_segments(); ++s)
      {
        const double r  = vessels.segments[s].radius_m;
        const double mu = fahraeus_lindqvist ?
                            plasma_viscosity_Pa_s *
                              physics::fahraeus_lindqvist_relative_viscosity(2 * r) :
                            blood_viscosity_Pa_s;
        G[s] = numbers::PI * std::pow(r, 4) / (8 * mu * vessels.length(s));
      }
    std::vector<NetworkLeakagePoint> leak(N);
    for (unsigned int k = 0; k < N; ++k)
      leak[k] = {all_points[k].segment, all_points[k].t, fluid_coefficient[k], 0.0};
    {
      TimerOutput::Scope s2(timing(), "Vessels: network factorisation");
      flow.initialize(vessels, G, leak);
    }
    outside_pressure = oncotic_term;

    if (mode == Representation::homogenised)
      {
        std::vector<Point<3>> x(N);
        std::vector<double>   area(N);
        for (unsigned int k = 0; k < N; ++k)
          {
            x[k]    = all_points[k].x;
            area[k] = all_points[k].surface_m2;
          }
        auto grid = std::make_shared<DensityGrid>(x, area, homogenisation_radius_m);
        tissue.set_network_vessels([grid](const Point<3> &p) { return (*grid)(p); },
                                   background_sv_scaling);
      }
    else if (mode == Representation::line_sources)
      tissue.set_network_vessels({}, background_sv_scaling);
  }

  std::vector<double> VesselCoupling::sample(const DoFHandler<3> &dofs,
                                             const LinearAlgebra::distributed::Vector<double> &field) const
  {
    std::vector<double> values(all_points.size(), 0.0);
    const auto &        fe = dofs.get_fe();
    Vector<double>      local(fe.n_dofs_per_cell());
    for (unsigned int j = 0; j < sources.points().size(); ++j)
      {
        const LineSourcePoint &pt = sources.points()[j];
        const typename DoFHandler<3>::active_cell_iterator cell(&dofs.get_triangulation(),
                                                                owned_cells[j]->level(),
                                                                owned_cells[j]->index(), &dofs);
        cell->get_dof_values(field, local);
        double v = 0;
        for (unsigned int i = 0; i < local.size(); ++i)
          v += local(i) * fe.shape_value(i, pt.unit_point);
        values[pt.global_index] = v;
      }
    Utilities::MPI::sum(values, comm, values);
    return values;
  }

  std::vector<double> VesselCoupling::segment_ligand_flux(
    const DoFHandler<3> &dofs,
    const std::vector<const LinearAlgebra::distributed::Vector<double> *> &free_nM,
    const double plasma_nM, const std::vector<std::array<double, 2>> &coefficients) const
  {
    AssertDimension(coefficients.size(), sources.points().size());
    std::vector<double> c_i(all_points.size(), 0.0), flux(all_points.size(), 0.0);
    for (const auto *field : free_nM)
      {
        const auto values = sample(dofs, *field);
        for (unsigned int k = 0; k < values.size(); ++k)
          c_i[k] += values[k];
      }
    constexpr double litre_per_m3 = 1e3;
    for (unsigned int j = 0; j < sources.points().size(); ++j)
      {
        const unsigned int k = sources.points()[j].global_index;
        flux[k] = (coefficients[j][0] * plasma_nM - coefficients[j][1] * c_i[k]) * litre_per_m3;
      }
    Utilities::MPI::sum(flux, comm, flux);
    return per_segment(flux);
  }

  std::vector<double> VesselCoupling::per_segment(const std::vector<double> &per_point) const
  {
    std::vector<double> s(vessels.n_segments(), 0.0);
    for (unsigned int k = 0; k < all_points.size(); ++k)
      s[all_points[k].segment] += per_point[k];
    return s;
  }

  void VesselCoupling::solve(DarcySolver &darcy)
  {
    const unsigned int N = all_points.size();
    auto network_solve = [&](const std::vector<double> &p_tissue) {
      TimerOutput::Scope scope(timing(), "Vessels: network solve");
      for (unsigned int k = 0; k < N; ++k)
        outside_pressure[k] = p_tissue[k] + oncotic_term[k];
      flow.solve(outside_pressure);
      for (auto &pt : sources.points())
        {
          const double pv    = flow.point_pressure(pt.global_index);
          pt.vessel_pressure = pv - oncotic_term[pt.global_index];
          pt.leakage = pt.fluid_coefficient * (pv - outside_pressure[pt.global_index]);
        }
    };

    balance = NetworkFlowDiagnostics();
    if (mode == Representation::uniform)
      {
        darcy.solve();
        return;
      }
    if (mode == Representation::line_sources)
      {
        darcy.set_line_sources(&sources);
        std::vector<double> p_tissue(N, 0.0);
        if (darcy.pressure().size() > 0)
          p_tissue = sample(darcy.dof_handler(), darcy.pressure());
        double change = 1;
        unsigned int it = 0;
        while (change > coupling_tolerance)
          {
            if (++it > max_coupling_iterations)
              throw std::runtime_error(
                "network-tissue flow coupling did not converge in " +
                std::to_string(max_coupling_iterations) + " sweeps (relative change " +
                std::to_string(change) + "); raise 'Vessel network/Maximum coupling iterations'");
            network_solve(p_tissue);
            // Only the vessel pressures changed since the first sweep: keep matrix and AMG.
            darcy.solve_pressure(it > 1);
            const std::vector<double> p_new = sample(darcy.dof_handler(), darcy.pressure());
            double diff = 0, scale = 1e-300;
            for (unsigned int k = 0; k < N; ++k)
              {
                diff  = std::max(diff, std::abs(p_new[k] - p_tissue[k]));
                scale = std::max(scale, std::abs(p_new[k]));
              }
            change   = diff / scale;
            p_tissue = p_new;
          }
        darcy.recover_velocity();
        // The network sees the final tissue pressure: its leakage is the tissue's source.
        network_solve(p_tissue);
        balance.iterations   = it;
        balance.final_change = change;
      }
    else
      {
        darcy.solve();
        // Homogenised: the network flow with the resulting tissue pressure, for output only.
        if (mode == Representation::homogenised)
          network_solve(sample(darcy.dof_handler(), darcy.pressure()));
      }

    const auto inflow = flow.boundary_inflow();
    for (const double q : inflow)
      (q > 0 ? balance.inflow : balance.outflow) += std::abs(q);
    for (const double q : flow.segment_leakage())
      balance.network_leakage += q;
    balance.tissue_source = mode == Representation::line_sources ?
                              darcy.diagnostics().line_source_leakage :
                              balance.network_leakage;
    const auto &p = flow.node_pressure();
    balance.min_pressure = *std::min_element(p.begin(), p.end());
    balance.max_pressure = *std::max_element(p.begin(), p.end());
  }

  std::vector<double> VesselCoupling::replicate(const std::vector<double> &per_owned_point) const
  {
    AssertDimension(per_owned_point.size(), sources.points().size());
    std::vector<double> all(all_points.size(), 0.0);
    for (unsigned int j = 0; j < per_owned_point.size(); ++j)
      all[sources.points()[j].global_index] = per_owned_point[j];
    Utilities::MPI::sum(all, comm, all);
    return all;
  }

  std::vector<double> VesselCoupling::march_blood_po2(const std::vector<double> &tissue_po2,
                                                      const std::vector<double> &g,
                                                      const double inlet_mmHg,
                                                      const double capacity) const
  {
    const unsigned int n_nodes = vessels.n_nodes(), n_seg = vessels.n_segments();
    const auto &       p       = flow.node_pressure();
    const auto         q       = flow.segment_flow();
    // Points of each segment in the order of the flow.
    std::vector<std::vector<unsigned int>> on_segment(n_seg);
    for (unsigned int k = 0; k < all_points.size(); ++k)
      on_segment[all_points[k].segment].push_back(k);
    // Blood flows down the pressure gradient: visiting the nodes by decreasing pressure
    // visits every segment after its upstream node.
    std::vector<unsigned int> order(n_nodes);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](unsigned int a, unsigned int b) { return p[a] > p[b]; });
    std::vector<std::vector<unsigned int>> leaving(n_nodes);
    std::vector<double> mixed_O2(n_nodes, 0.0), mixed_flow(n_nodes, 0.0);
    for (unsigned int s = 0; s < n_seg; ++s)
      {
        const auto &seg = vessels.segments[s];
        leaving[p[seg.node_a] >= p[seg.node_b] ? seg.node_a : seg.node_b].push_back(s);
      }
    std::vector<double> blood(all_points.size(), 0.0);
    for (const unsigned int node : order)
      {
        // Flow-weighted mixing of what arrives; inlets and stagnant nodes get the inlet value.
        const double P_node = mixed_flow[node] > 0 ? mixed_O2[node] / mixed_flow[node] : inlet_mmHg;
        for (const unsigned int s : leaving[node])
          {
            const auto & seg     = vessels.segments[s];
            const bool   forward = node == seg.node_a;
            auto &       pts     = on_segment[s];
            std::sort(pts.begin(), pts.end(), [&](unsigned int a, unsigned int b) {
              return forward ? all_points[a].t < all_points[b].t : all_points[a].t > all_points[b].t;
            });
            const double QC = std::abs(q[s]) * capacity; // [m^3 O2 /(s mmHg)]
            double       P  = P_node;
            for (const unsigned int k : pts)
              {
                // Implicit in the point's loss: the blood ends between its inflow value and
                // the tissue's, whatever the flow (oxygen lost = QC (P_in - P) = g (P - P_t)).
                P        = QC + g[k] > 0 ? (QC * P + g[k] * tissue_po2[k]) / (QC + g[k]) : P;
                blood[k] = P;
              }
            const unsigned int downstream = forward ? seg.node_b : seg.node_a;
            mixed_O2[downstream] += std::abs(q[s]) * P;
            mixed_flow[downstream] += std::abs(q[s]);
          }
      }
    return blood;
  }

  void VesselCoupling::solve_oxygen(OxygenSolver &oxygen, const double inlet_po2_mmHg,
                                    const bool falls_along_flow, const double capacity)
  {
    AssertThrow(mode == Representation::line_sources, ExcInternalError());
    const unsigned int N = all_points.size();
    point_blood_po2.assign(N, inlet_po2_mmHg);
    auto owned_values = [&](const std::vector<double> &all) {
      std::vector<double> v(sources.points().size());
      for (unsigned int j = 0; j < v.size(); ++j)
        v[j] = all[sources.points()[j].global_index];
      return v;
    };
    oxygen.set_line_sources(&sources, owned_values(point_blood_po2));
    oxygen.setup();
    oxygen.solve();
    o2_iterations = 1;
    if (!falls_along_flow)
      return;
    const std::vector<double> g = replicate(oxygen.line_source_oxygen_conductance());
    double change = 1;
    while (change > coupling_tolerance)
      {
        if (++o2_iterations > max_coupling_iterations)
          throw std::runtime_error("network-tissue oxygen coupling did not converge in " +
                                   std::to_string(max_coupling_iterations) +
                                   " sweeps (relative change " + std::to_string(change) +
                                   "); raise 'Vessel network/Maximum coupling iterations'");
        std::vector<double> blood;
        {
          TimerOutput::Scope scope(timing(), "Vessels: blood oxygen");
          blood = march_blood_po2(replicate(oxygen.line_source_po2()), g, inlet_po2_mmHg, capacity);
        }
        double diff = 0;
        for (unsigned int k = 0; k < N; ++k)
          diff = std::max(diff, std::abs(blood[k] - point_blood_po2[k]));
        change          = diff / std::max(inlet_po2_mmHg, 1e-300);
        point_blood_po2 = blood;
        oxygen.set_line_sources(&sources, owned_values(point_blood_po2));
        oxygen.solve(); // Newton from the last tissue pO2
      }
  }

  void VesselCoupling::write_vtp(const std::string &file, const std::vector<NetworkField> &extra) const
  {
    if (Utilities::MPI::this_mpi_process(comm) != 0)
      return;
    NetworkField pressure{"blood_pressure_mmHg", flow.node_pressure()};
    for (auto &v : pressure.values)
      v /= units::mmHg;
    std::vector<NetworkField> segment_fields;
    NetworkField flow_field{"flow_nL_per_min", flow.segment_flow()};
    NetworkField velocity{"velocity_mm_per_s", flow_field.values};
    NetworkField leak{"leakage_nL_per_min_per_mm", flow.segment_leakage()};
    for (unsigned int s = 0; s < vessels.n_segments(); ++s)
      {
        const double r = vessels.segments[s].radius_m;
        velocity.values[s] /= numbers::PI * r * r * units::mm;
        flow_field.values[s] /= units::nL_per_min;
        leak.values[s] /= units::nL_per_min * vessels.length(s) / units::mm;
      }
    segment_fields = {flow_field, velocity, leak};
    segment_fields.insert(segment_fields.end(), extra.begin(), extra.end());
    write_network_vtp(vessels, file, {pressure}, segment_fields);
  }
} // namespace radiotwin
