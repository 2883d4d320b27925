// Vessel generator: parameters in SI, reproducibility (same seed -> bit-identical network,
// another seed -> another network), the rim reaching its target length density with none in
// the necrotic core and little in the host, and a network that is well posed for the flow
// problem (inside the domain, loops, a pressure node in every component).
#define BOOST_TEST_MODULE vessel_generator
#include "../test_main.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "physics/base/input_error.h"
#include "physics/regions.h"
#include "meshes/vessel_generator.h"
#include "physics/base/units.h"

using namespace radiotwin;
using namespace dealii;
namespace tt = boost::test_tools;

namespace
{
  const unsigned int rim  = region_index(material_id(Region::tumour));
  const unsigned int core = region_index(material_id(Region::necrotic_core));
  const unsigned int host = region_index(material_id(Region::host));

  /// 5 mm tumour with a 2 mm core in a 10 mm host sphere; default walk parameters.
  VesselGeneratorParameters tumour_5mm(const unsigned int seed)
  {
    VesselGeneratorParameters p;
    p.seed                              = seed;
    p.tumour_radius_m                   = 5 * units::mm;
    p.core_radius_m                     = 2 * units::mm;
    p.domain_radius_m                   = 10 * units::mm;
    p.target_rim_length_density_per_mm2 = 10;
    p.sprout_step_m                     = 100 * units::um;
    return p;
  }

  /// A small one for the reproducibility checks.
  VesselGeneratorParameters tumour_2mm(const unsigned int seed)
  {
    VesselGeneratorParameters p = tumour_5mm(seed);
    p.centre                    = Point<3>(1e-3, -2e-3, 0.5e-3);
    p.tumour_radius_m           = 2 * units::mm;
    p.core_radius_m             = 0.5 * units::mm;
    p.domain_radius_m           = 4 * units::mm;
    return p;
  }

  /// The 5 mm network of seed 1, generated once for the test cases that inspect it.
  const VesselNetwork &network_5mm()
  {
    static const VesselNetwork network = [] {
      const auto start   = std::chrono::steady_clock::now();
      VesselNetwork n = generate_tumour_vasculature(tumour_5mm(1));
      BOOST_TEST_MESSAGE("5 mm tumour: " << n.n_nodes() << " nodes, " << n.n_segments()
                         << " segments in "
                         << std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                              .count()
                         << " s");
      return n;
    }();
    return network;
  }

  /// Connected components by union-find (independent of VesselNetwork::components()).
  std::vector<unsigned int> component_roots(const VesselNetwork &n)
  {
    std::vector<unsigned int> parent(n.n_nodes());
    std::iota(parent.begin(), parent.end(), 0u);
    const auto find = [&](unsigned int i) {
      while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
      return i;
    };
    for (const auto &s : n.segments)
      parent[find(s.node_a)] = find(s.node_b);
    std::vector<unsigned int> root(n.n_nodes());
    for (unsigned int i = 0; i < n.n_nodes(); ++i)
      root[i] = find(i);
    return root;
  }

  double domain_depth(const VesselGeneratorParameters &p, const Point<3> &x)
  {
    if (!p.cube_domain)
      return p.domain_radius_m - x.distance(p.centre);
    double m = 0;
    for (unsigned int d = 0; d < 3; ++d)
      m = std::max(m, std::abs(x[d] - p.centre[d]));
    return p.domain_radius_m - m;
  }
} // namespace

BOOST_AUTO_TEST_CASE(parameters_are_read_in_si_units)
{
  ParameterHandler prm;
  prm.enter_subsection("Vessel network");
  prm.enter_subsection("Generator");
  declare_vessel_generator_parameters(prm);
  prm.leave_subsection();
  prm.leave_subsection();

  // The defaults match the struct's defaults.
  prm.enter_subsection("Vessel network");
  prm.enter_subsection("Generator");
  const VesselGeneratorParameters d = parse_vessel_generator_parameters(prm);
  const VesselGeneratorParameters s;
  BOOST_TEST(d.seed == s.seed);
  BOOST_TEST(d.n_parent_vessels == s.n_parent_vessels);
  BOOST_TEST(d.parent_radius_m == s.parent_radius_m, tt::tolerance(1e-12));
  BOOST_TEST(d.capillary_radius_m == s.capillary_radius_m, tt::tolerance(1e-12));
  BOOST_TEST(d.target_rim_length_density_per_mm2 == s.target_rim_length_density_per_mm2);
  BOOST_TEST(d.sprout_step_m == s.sprout_step_m, tt::tolerance(1e-12));
  BOOST_TEST(d.branching_probability == s.branching_probability);
  BOOST_TEST(d.anastomosis_distance_m == s.anastomosis_distance_m, tt::tolerance(1e-12));
  BOOST_TEST(d.taf_decay_length_m == s.taf_decay_length_m, tt::tolerance(1e-12));
  BOOST_TEST(d.inlet_pressure_Pa == s.inlet_pressure_Pa, tt::tolerance(1e-12));
  BOOST_TEST(d.outlet_pressure_Pa == s.outlet_pressure_Pa, tt::tolerance(1e-12));

  prm.set("Seed", "17");
  prm.set("Parent vessel radius [um]", "50");
  prm.set("Sprout step [um]", "80");
  prm.set("TAF decay length [mm]", "0.5");
  prm.set("Inlet pressure [mmHg]", "30");
  prm.set("Outlet pressure [mmHg]", "12");
  const VesselGeneratorParameters p = parse_vessel_generator_parameters(prm);
  prm.leave_subsection();
  prm.leave_subsection();
  BOOST_TEST(p.seed == 17u);
  BOOST_TEST(p.parent_radius_m == 50e-6, tt::tolerance(1e-12));
  BOOST_TEST(p.sprout_step_m == 80e-6, tt::tolerance(1e-12));
  BOOST_TEST(p.taf_decay_length_m == 0.5e-3, tt::tolerance(1e-12));
  BOOST_TEST(p.inlet_pressure_Pa == 30 * 133.322387415, tt::tolerance(1e-12));
  BOOST_TEST(p.outlet_pressure_Pa == 12 * 133.322387415, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(same_seed_same_network_other_seed_other_network)
{
  const VesselNetwork a = generate_tumour_vasculature(tumour_2mm(3));
  const VesselNetwork b = generate_tumour_vasculature(tumour_2mm(3));
  const VesselNetwork c = generate_tumour_vasculature(tumour_2mm(4));
  BOOST_TEST(a.n_nodes() > 1000u);

  BOOST_REQUIRE(a.n_nodes() == b.n_nodes());
  BOOST_REQUIRE(a.n_segments() == b.n_segments());
  bool identical = true;
  for (unsigned int i = 0; i < a.n_nodes(); ++i)
    for (unsigned int d = 0; d < 3; ++d)
      identical = identical && a.nodes[i][d] == b.nodes[i][d]; // bit-equal, no tolerance
  for (unsigned int s = 0; s < a.n_segments(); ++s)
    identical = identical && a.segments[s].node_a == b.segments[s].node_a &&
                a.segments[s].node_b == b.segments[s].node_b &&
                a.segments[s].radius_m == b.segments[s].radius_m;
  for (unsigned int i = 0; i < a.n_nodes(); ++i)
    identical = identical && a.boundary[i].type == b.boundary[i].type &&
                a.boundary[i].value == b.boundary[i].value;
  BOOST_TEST(identical);
  BOOST_TEST(a.source == "<generator seed 3>");

  bool differs = a.n_nodes() != c.n_nodes();
  for (unsigned int i = 0; !differs && i < a.n_nodes(); ++i)
    differs = a.nodes[i] != c.nodes[i];
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(rim_reaches_target_density_core_stays_empty)
{
  const VesselGeneratorParameters p   = tumour_5mm(1);
  const VesselNetwork &           n   = network_5mm();
  const VesselDensityReport       rep = vessel_density_by_region(n, p);

  // Volumes are the analytic ones.
  const double ball = 4.0 / 3.0 * M_PI;
  BOOST_TEST(rep.volume_m3[core] == ball * 8e-9, tt::tolerance(1e-12));
  BOOST_TEST(rep.volume_m3[rim] == ball * (125e-9 - 8e-9), tt::tolerance(1e-12));
  BOOST_TEST(rep.volume_m3[host] == ball * (1000e-9 - 125e-9), tt::tolerance(1e-12));

  // Stops once the target is reached; overshoots by at most the last segment.
  const double target = 10 / (units::mm * units::mm);
  BOOST_TEST(rep.length_density_per_m2[rim] >= target * (1 - 1e-12));
  BOOST_TEST(rep.length_density_per_m2[rim] <= 1.1 * target);
  // Not a single sample point in the necrotic core.
  BOOST_TEST(rep.length_density_per_m2[core] == 0.0);
  BOOST_TEST(rep.surface_density_per_m[core] == 0.0);
  // Dense rim, sparse host.
  BOOST_TEST(rep.length_density_per_m2[host] > 0.0);
  BOOST_TEST(rep.length_density_per_m2[rim] > 3 * rep.length_density_per_m2[host]);
  // Only capillaries in the rim (the parent vessels pass outside): S/V = 2 pi r L_v.
  BOOST_TEST(rep.surface_density_per_m[rim] ==
               2 * M_PI * p.capillary_radius_m * rep.length_density_per_m2[rim],
             tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(network_is_well_posed_and_perfusable)
{
  const VesselGeneratorParameters p = tumour_5mm(1);
  const VesselNetwork &           n = network_5mm();
  BOOST_REQUIRE(n.boundary.size() == n.n_nodes());

  BOOST_CHECK_NO_THROW(n.check([&](const Point<3> &x) { return domain_depth(p, x) > 0; }));

  double closest_to_boundary = std::numeric_limits<double>::max();
  for (const auto &x : n.nodes)
    closest_to_boundary = std::min(closest_to_boundary, domain_depth(p, x));
  BOOST_TEST(closest_to_boundary >= 0.2e-3 * (1 - 1e-9)); // the node margin

  // Segments: sprout steps, anastomoses and parent-vessel pieces are at most one step long;
  // Lp and P are left to the tissue regions.
  unsigned int n_parent = 0;
  bool         short_segments = true, nan_properties = true;
  for (unsigned int s = 0; s < n.n_segments(); ++s)
    {
      const double l = n.length(s);
      short_segments = short_segments && l > 0 && l <= p.sprout_step_m * (1 + 1e-9);
      nan_properties = nan_properties && std::isnan(n.segments[s].wall_conductivity) &&
                       std::isnan(n.segments[s].permeability);
      n_parent += n.segments[s].radius_m == p.parent_radius_m;
      BOOST_REQUIRE(n.segments[s].radius_m == p.parent_radius_m ||
                    n.segments[s].radius_m == p.capillary_radius_m);
    }
  BOOST_TEST(short_segments);
  BOOST_TEST(nan_properties);
  BOOST_TEST(n_parent > 0u);

  // Pressure nodes: both ends of each parent vessel, inlet and outlet values.
  unsigned int n_inlet = 0, n_outlet = 0;
  for (const auto &b : n.boundary)
    if (b.type == VesselBoundary::Type::pressure)
      {
        n_inlet += b.value == p.inlet_pressure_Pa;
        n_outlet += b.value == p.outlet_pressure_Pa;
      }
    else
      BOOST_REQUIRE(b.type == VesselBoundary::Type::none);
  BOOST_TEST(n_inlet == p.n_parent_vessels);
  BOOST_TEST(n_outlet == p.n_parent_vessels);

  // Every component has a pressure node; anastomoses made loops:
  // independent cycles = segments - nodes + components > 0.
  const auto                root = component_roots(n);
  std::vector<char>         is_root(n.n_nodes(), 0), has_pressure(n.n_nodes(), 0);
  std::vector<unsigned int> degree(n.n_nodes(), 0);
  for (const auto &s : n.segments)
    {
      ++degree[s.node_a];
      ++degree[s.node_b];
    }
  unsigned int n_components = 0;
  for (unsigned int i = 0; i < n.n_nodes(); ++i)
    {
      is_root[root[i]] = 1;
      if (n.boundary[i].type == VesselBoundary::Type::pressure)
        has_pressure[root[i]] = 1;
      BOOST_REQUIRE(degree[i] > 0);
    }
  bool all_with_pressure = true;
  for (unsigned int i = 0; i < n.n_nodes(); ++i)
    if (is_root[i])
      {
        ++n_components;
        all_with_pressure = all_with_pressure && has_pressure[i];
      }
  BOOST_TEST(all_with_pressure);
  BOOST_TEST(n_components <= p.n_parent_vessels);
  const long cycles = static_cast<long>(n.n_segments()) - n.n_nodes() + n_components;
  BOOST_TEST_MESSAGE(n_components << " components, " << cycles << " independent loops");
  BOOST_TEST(cycles > 100);
}

BOOST_AUTO_TEST_CASE(cube_domain_and_no_core)
{
  VesselGeneratorParameters p         = tumour_2mm(5);
  p.cube_domain                       = true;
  p.domain_radius_m                   = 3 * units::mm;
  p.core_radius_m                     = 0;
  p.target_rim_length_density_per_mm2 = 15;
  const VesselNetwork       n         = generate_tumour_vasculature(p);
  const VesselDensityReport rep       = vessel_density_by_region(n, p);

  for (const auto &x : n.nodes)
    BOOST_REQUIRE(domain_depth(p, x) > 0);
  BOOST_TEST(rep.volume_m3[core] == 0.0);
  BOOST_TEST(rep.length_density_per_m2[core] == 0.0);
  BOOST_TEST(rep.volume_m3[host] == 216e-9 - 4.0 / 3.0 * M_PI * 8e-9, tt::tolerance(1e-12));
  BOOST_TEST(rep.length_density_per_m2[rim] >= 15e6 * (1 - 1e-12));
  BOOST_TEST(rep.length_density_per_m2[rim] <= 1.1 * 15e6);
}

BOOST_AUTO_TEST_CASE(inconsistent_geometry_is_an_input_error)
{
  VesselGeneratorParameters p = tumour_2mm(1);
  p.core_radius_m             = p.tumour_radius_m;
  BOOST_CHECK_THROW(generate_tumour_vasculature(p), InputError);
  p                 = tumour_2mm(1);
  p.domain_radius_m = p.tumour_radius_m;
  BOOST_CHECK_THROW(generate_tumour_vasculature(p), InputError);
}
