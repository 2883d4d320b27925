// Vessel networks (issue 6): Poiseuille network flow against hand-solved pressures and flows;
// one straight vessel through a cylinder of tissue against the closed form of a line source
// (converging under refinement); conservation of the coupled network-tissue flow on the
// shipped generated network. Runs on 1 and 2 ranks.
#define BOOST_TEST_MODULE vessel_flow
#include "../test_main.h"

#include <deal.II/base/timer.h>
#include <deal.II/grid/grid_generator.h>

#include "../run_simulator.h"
#include "axial_vessel.h"
#include "physics/base/parameter_file.h"
#include "physics/base/units.h"
#include "postprocessing/line_profile.h"
#include "solvers/darcy_solver.h"
#include "coupling/vessel_tissue_coupling.h"
#include "tests/verification/solver_fixture.h"

using namespace radiotwin;
using namespace dealii;
namespace tt = boost::test_tools;

namespace
{
  double poiseuille(const double r, const double L, const double mu)
  {
    return M_PI * std::pow(r, 4) / (8 * mu * L);
  }
} // namespace

// A Y: inlet node 0 -> junction 1 -> outlets 2 and 3; no leakage. By hand:
//   p1 = (G1 p0 + G2 p2 + G3 p3) / (G1 + G2 + G3),  Q_i = G_i (p_upstream - p_downstream).
// With r = 20, 15, 10 um, L = 1, 0.5, 1 mm, mu = 3.5 mPa s, p0 = 20, p2 = 10, p3 = 5 mmHg:
//   G = 1.7952e-14, 1.1360e-14, 1.1220e-15 m^3/(Pa s), p1 = 110/7 = 15.7143 mmHg,
//   Q1 = Q2 + Q3 = 615.445 nL/min, Q2 = 519.282 nL/min, Q3 = 96.163 nL/min.
BOOST_AUTO_TEST_CASE(poiseuille_network_against_hand_solution)
{
  const double  mu = 3.5e-3, mmHg = units::mmHg;
  VesselNetwork net;
  net.nodes    = {Point<3>(0, 0, 0), Point<3>(1e-3, 0, 0), Point<3>(1.3e-3, 0.4e-3, 0),
               Point<3>(1.6e-3, -0.8e-3, 0)};
  net.boundary.resize(4);
  net.boundary[0] = {VesselBoundary::Type::pressure, 20 * mmHg};
  net.boundary[2] = {VesselBoundary::Type::pressure, 10 * mmHg};
  net.boundary[3] = {VesselBoundary::Type::pressure, 5 * mmHg};
  net.segments.resize(3);
  const double r[3] = {20e-6, 15e-6, 10e-6};
  const unsigned int ends[3][2] = {{0, 1}, {1, 2}, {1, 3}};
  for (unsigned int s = 0; s < 3; ++s)
    {
      net.segments[s].node_a   = ends[s][0];
      net.segments[s].node_b   = ends[s][1];
      net.segments[s].radius_m = r[s];
    }
  net.check();
  std::vector<double> G(3);
  for (unsigned int s = 0; s < 3; ++s)
    G[s] = poiseuille(r[s], net.length(s), mu);
  BOOST_TEST(net.length(1) == 0.5e-3, tt::tolerance(1e-12));

  NetworkFlowSolver flow;
  flow.initialize(net, G, {});
  flow.solve({});
  const double p1 = (G[0] * 20 + G[1] * 10 + G[2] * 5) / (G[0] + G[1] + G[2]) * mmHg;
  BOOST_TEST(flow.node_pressure()[1] / mmHg == 110.0 / 7.0, tt::tolerance(1e-10));
  BOOST_TEST(flow.node_pressure()[1] == p1, tt::tolerance(1e-12));
  const auto Q = flow.segment_flow();
  BOOST_TEST(Q[0] / units::nL_per_min == 615.445, tt::tolerance(1e-5));
  BOOST_TEST(Q[1] / units::nL_per_min == 519.282, tt::tolerance(1e-5));
  BOOST_TEST(Q[2] / units::nL_per_min == 96.163, tt::tolerance(1e-5));
  BOOST_TEST(Q[0] == G[0] * (20 * mmHg - p1), tt::tolerance(1e-12));
  BOOST_TEST(Q[0] == Q[1] + Q[2], tt::tolerance(1e-12));
  const auto inflow = flow.boundary_inflow();
  BOOST_TEST(inflow[0] == Q[0], tt::tolerance(1e-10));
  BOOST_TEST(inflow[2] == -Q[1], tt::tolerance(1e-10));

  // The same network driven by the inflow found above instead of the inlet pressure gives
  // the same pressures back.
  net.boundary[0] = {VesselBoundary::Type::inflow, Q[0]};
  flow.initialize(net, G, {});
  flow.solve({});
  BOOST_TEST(flow.node_pressure()[0] / mmHg == 20.0, tt::tolerance(1e-10));
  BOOST_TEST(flow.node_pressure()[1] == p1, tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(fahraeus_lindqvist_viscosity)
{
  // Pries et al. 1992 at haematocrit 0.45: 3.2 in wide tubes, a minimum near 7 um.
  using physics::fahraeus_lindqvist_relative_viscosity;
  BOOST_TEST(fahraeus_lindqvist_relative_viscosity(1e-2) == 3.2, tt::tolerance(1e-6));
  const double at7  = fahraeus_lindqvist_relative_viscosity(7e-6);
  const double at4  = fahraeus_lindqvist_relative_viscosity(4e-6);
  const double at20 = fahraeus_lindqvist_relative_viscosity(20e-6);
  BOOST_TEST(at7 < at4);
  BOOST_TEST(at7 < at20);
  BOOST_TEST(at7 > 1.0);
  BOOST_TEST(at20 < 2.0);
}

// One straight vessel (radius r_v, pressure p_v at both ends) along the axis of a tissue
// cylinder of radius R with p = 0 on its hull and no flux through its ends: a uniform line
// source of strength q per length, so p(r) = q / (2 pi K) ln(R / r) away from the vessel, and
//   q = (p_v - sigma (pi_v - pi_i)) / (1 / (Lp 2 pi r_v) + ln(R / r_v) / (2 pi K))
// when the tissue pressure at the wall is the closed form's.
namespace
{
  struct CylinderResult
  {
    double field_error;  ///< max |p_h - q_h ln(R/r) / (2 pi K)| over r in [0.2, 0.8] R [Pa]
    double field_scale;  ///< the closed form at 0.2 R [Pa]
    double q_numerical;  ///< mean leakage per length [m^2/s]
    double q_closed_form;
    double exchange_defect;
    double network_defect;
    double darcy_defect;
    unsigned int iterations;
  };

  CylinderResult single_vessel(const unsigned int refinements)
  {
    const double R = 1e-3, half_length = 1e-3, r_v = 10e-6;
    testing::SolverFixture f(
                          "subsection Darcy\n subsection Linear solver\n"
                          "  set Relative tolerance = 1e-13\n end\nend\n"
                          "subsection Vessel network\n set Vessel representation = line sources\n"
                          " set Viscosity model = constant\n"
                          " set Line source sample spacing [um] = 10\n"
                          " set Coupling tolerance = 1e-12\nend\n",
                          VesselCoupling::declare_parameters,
                          [&](testing::SolverFixture::Tria &tria) {
                            make_tissue_cylinder(tria, R, half_length, refinements);
                          });
    ParameterHandler &prm = f.prm;
    const ParameterFile &file = f.file;
    TissueProperties &tissue = f.tissue;
    DarcySolver &darcy = *f.darcy;
    darcy.setup();

    const auto  &c   = tissue(Region::tumour);
    const double p_v = 20 * units::mmHg;
    const VesselNetwork net = axial_vessel(half_length, r_v, p_v, p_v);
    VesselCoupling vessels;
    vessels.parse_parameters(prm, file);
    vessels.set_network(net);
    vessels.setup(darcy.dof_handler(), darcy.mapping(), tissue);
    vessels.solve(darcy);

    const double K = c.hydraulic_conductivity;
    CylinderResult result;
    result.q_numerical = vessels.diagnostics().tissue_source / (2 * half_length);
    const double p_e   = p_v - c.oncotic_reflection *
                                 (c.plasma_oncotic_pressure - c.interstitial_oncotic_pressure);
    result.q_closed_form =
      p_e / (1 / (c.wall_conductivity * 2 * M_PI * r_v) + std::log(R / r_v) / (2 * M_PI * K));
    std::vector<Point<3>> points;
    for (const double s : {0.2, 0.35, 0.5, 0.65, 0.8})
      for (const double angle : {0.3, 1.9, 4.0})
        points.emplace_back(0.1 * half_length, s * R * std::cos(angle), s * R * std::sin(angle));
    const auto samples = sample_field(darcy.mapping(), darcy.dof_handler(), darcy.pressure(), points);
    result.field_error = 0;
    for (const auto &s : samples)
      {
        BOOST_REQUIRE(s.found);
        const double r     = std::hypot(s.x[1], s.x[2]);
        const double exact = result.q_numerical / (2 * M_PI * K) * std::log(R / r);
        result.field_error = std::max(result.field_error, std::abs(s.value - exact));
      }
    result.field_scale     = result.q_numerical / (2 * M_PI * K) * std::log(1 / 0.2);
    result.exchange_defect = vessels.diagnostics().exchange_defect();
    result.network_defect  = vessels.diagnostics().network_defect();
    result.darcy_defect    = darcy.diagnostics().balance_defect();
    result.iterations      = vessels.diagnostics().iterations;
    return result;
  }
} // namespace

BOOST_AUTO_TEST_CASE(single_vessel_in_a_tissue_cylinder)
{
  std::vector<CylinderResult> results;
  for (const unsigned int refinements : {1u, 2u, 3u})
    {
      results.push_back(single_vessel(refinements));
      const auto &r = results.back();
      BOOST_TEST_MESSAGE("refinements " << refinements << ": field error "
                                        << r.field_error / r.field_scale << ", q/q_exact - 1 = "
                                        << r.q_numerical / r.q_closed_form - 1
                                        << ", sweeps " << r.iterations
                                        << ", exchange defect " << r.exchange_defect);
      BOOST_TEST(r.exchange_defect < 1e-8);
      BOOST_TEST(r.network_defect < 1e-8);
      BOOST_TEST(r.darcy_defect < 1e-8);
    }
  const double rate = std::log2(results[1].field_error / results[2].field_error);
  BOOST_TEST_MESSAGE("field error rate " << rate);
  BOOST_TEST(rate > 1.5);
  BOOST_TEST(results.back().field_error / results.back().field_scale < 0.02);
  // The line source sees the tissue pressure on the centreline, not on the wall; with the
  // wall resistance 30 times the tissue's, the strength stays within 2 % of the closed form.
  BOOST_TEST(std::abs(results.back().q_numerical / results.back().q_closed_form - 1) < 0.02);
}

// Conservation on the shipped generated network (reduced): network inflow - outflow = wall
// leakage = integral of the tissue line sources, and the tissue's own balance.
BOOST_AUTO_TEST_CASE(coupled_flow_conserves_fluid)
{
  const auto sim = run_simulator(
    source_path("configs/vessels/vascularised_5mm_line_sources.prm"),
    {"Geometry/Global refinements=2", "Geometry/Rim refinements=1",
     "Vessel network/Generator/Target rim vessel length density [mm^-2]=10",
     "Output/Directory=vessel_flow_test_conservation", "Output/Write VTU=false"});
  const auto &b = sim->part<VesselPart>()->coupling().diagnostics();
  BOOST_TEST_MESSAGE("inflow " << b.inflow / units::nL_per_min << " nL/min, outflow "
                               << b.outflow / units::nL_per_min << ", leakage "
                               << b.network_leakage / units::nL_per_min << ", tissue "
                               << b.tissue_source / units::nL_per_min << ", sweeps "
                               << b.iterations);
  BOOST_TEST(b.inflow > 0);
  BOOST_TEST(b.network_leakage > 0);
  BOOST_TEST(b.network_defect() < 1e-8);
  BOOST_TEST(b.exchange_defect() < 1e-8);
  BOOST_TEST(sim->part<DarcyPart>()->diagnostics().balance_defect() < 1e-8);
  BOOST_TEST(sim->part<DarcyPart>()->diagnostics().line_source_leakage == b.tissue_source, tt::tolerance(1e-12));
}

// The ligand crosses the walls through the same points: a short transport run on the
// line-source network conserves ligand step by step and takes it up in the vascularised rim,
// not in the avascular core.
BOOST_AUTO_TEST_CASE(ligand_exchange_through_line_sources)
{
  const auto sim = run_simulator(
    source_path("configs/vessels/vascularised_5mm_line_sources.prm"),
    {"Geometry/Global refinements=2", "Geometry/Rim refinements=1",
     "Vessel network/Generator/Target rim vessel length density [mm^-2]=10",
     "Transport/Enabled=true", "Transport/Time stepping/End time [h]=1",
     "Transport/Time stepping/Output times [h]=1",
     "Output/Directory=vessel_flow_test_transport", "Output/Write VTU=false"});
  BOOST_TEST(sim->part<TransportPart>()->worst_balance_defect() < 1e-10);
  const auto content = sim->part<TransportPart>()->solver().region_content();
  double rim = 0, core = 0;
  for (unsigned int pool = 0; pool < 3; ++pool)
    {
      rim += content[region_index(material_id(Region::tumour))][pool][0];
      core += content[region_index(material_id(Region::necrotic_core))][pool][0];
    }
  const double rim_volume  = sim->part<DarcyPart>()->diagnostics().volume[region_index(material_id(Region::tumour))];
  const double core_volume = sim->part<DarcyPart>()->diagnostics().volume[region_index(material_id(Region::necrotic_core))];
  BOOST_TEST_MESSAGE("hot ligand per volume: rim " << rim / rim_volume << ", core "
                                                   << core / core_volume << " nmol/m^3");
  BOOST_TEST(rim > 0);
  BOOST_TEST(rim / rim_volume > 3 * core / core_volume);
}
