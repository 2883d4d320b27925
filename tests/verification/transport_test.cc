// Radioligand transport (issue 3, first part): the per-step mass balance with flow and
// lymphatics, and the well-mixed limit against an independent ODE integration (CVODE on the
// compartment network), converging at the first order of the Lie splitting.
#define BOOST_TEST_MODULE transport
#include "../test_main.h"
#include "../run_simulator.h"

#include "coupling/compartment_network.h"
#include "physics/base/parameter_file.h"
#include "coupling/app/simulator.h"
#include "physics/base/units.h"

using namespace radiotwin;

namespace
{
  const auto run = run_simulator;
} // namespace

BOOST_AUTO_TEST_CASE(balance_every_step_with_flow_and_lymphatics)
{
  // Default tumour in host tissue: leakage, lymphatic drainage, boundary outflow, binding,
  // internalisation, release and decay. Every step: change = in - out to 1e-8.
  const auto sim = run(source_path("configs/default.prm"),
                       {"Transport/Enabled=true", "Transport/Time stepping/End time [h]=2",
                        "Transport/Time stepping/Output times [h]=2",
                        "Geometry/Global refinements=2", "Output/Directory=transport_balance",
                        "Output/Write VTU=false"});
  BOOST_TEST(sim->part<TransportPart>()->worst_balance_defect() < 1e-8);
  // Positivity (issue 3, point 6): no concentration below -1e-8 of its maximum.
  for (const auto &[lo, hi] : sim->part<TransportPart>()->solver().field_ranges())
    BOOST_TEST(lo >= -1e-8 * std::max(hi, 1e-300));
  const auto content = sim->part<TransportPart>()->solver().region_content();
  BOOST_TEST(content[0][1][0] > 0); // tumour receptors hold hot ligand after 2 h
}

namespace
{
  /// Tumour content per tissue volume [nmol L^-1] (free per fluid) after 2 h of constant plasma
  /// concentration in a well-mixed, flow-free tumour, with steps of dt [s].
  std::array<double, 3> well_mixed(const double dt_s, const std::string &theta, double &volume_L,
                                   const std::vector<std::string> &extra = {})
  {
    const std::string dt_min = std::to_string(dt_s / 60);
    std::vector<std::string> overrides = {"Geometry/Tumour radius [mm]=2", "Geometry/Global refinements=1",
                          "Geometry/Rim refinements=0", "Darcy/Finite element degree=1",
                          "Verification/Compare with Baxter-Jain sphere=false",
                          // no filtration: p = 0, u = 0, J_v = 0; exchange by diffusion only
                          "Tissue/Tumour/Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1]=0",
                          "Transport/Enabled=true", "Radionuclide/Half-life [d]=1e6",
                          "Plasma input/Hot curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]=10, 0, 0, 0",
                          "Plasma input/Cold curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]=40, 0, 0, 0",
                          "Transport/Time stepping/End time [h]=2",
                          "Transport/Time stepping/Output times [h]=2",
                          "Transport/Time stepping/Initial time step [min]=" + dt_min,
                          "Transport/Time stepping/Maximum time step [min]=" + dt_min,
                          "Transport/Time stepping/Maximum reaction step [min]=" + dt_min,
                          "Transport/Time stepping/Theta [-]=" + theta,
                          "Output/Directory=transport_well_mixed", "Output/Write VTU=false"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    const auto sim = run(source_path("configs/verification/baxter_jain_sphere.prm"), overrides);
    volume_L = sim->part<DarcyPart>()->diagnostics().volume[0] * 1000;
    for (const auto &[lo, hi] : sim->part<TransportPart>()->solver().field_ranges()) // positivity
      BOOST_TEST(lo >= -1e-8 * std::max(hi, 1e-300));
    const auto c = sim->part<TransportPart>()->solver().region_content()[0];
    return {{(c[0][0] + c[0][1]) / (0.38 * volume_L), (c[1][0] + c[1][1]) / volume_L,
             (c[2][0] + c[2][1]) / volume_L}};
  }
} // namespace

BOOST_AUTO_TEST_CASE(well_mixed_limit_matches_ode)
{
  // The same kinetics as an ODE: constant plasma 50 nM exchanging with the interstitium at
  // P S/V = 2e-5 cm/s x 200 /cm = 4e-3 /s (per tissue volume), receptor binding (R0 57 nM),
  // internalisation and release; integrated by CVODE.
  CompartmentNetwork net;
  const double phi = 0.38, PS = 4e-3, V_plasma = 1e12;
  const unsigned int plasma = net.add_pool("plasma", V_plasma), fr = net.add_pool("free", phi),
                     b = net.add_pool("bound", 0), m = net.add_pool("internalised", 0),
                     out = net.add_pool("released", 0);
  net.add_transfer(plasma, fr, PS / V_plasma);
  net.add_transfer(fr, plasma, PS / phi);
  net.add_binding(fr, b, 57, 0.046 / 60, 0.368 / 60);
  net.add_transfer(b, m, 0.001 / 60);
  net.add_transfer(m, out, 1.5e-4 / 60);
  std::vector<double> y0(net.n_states(), 0.0);
  y0[net.amount(plasma, CompartmentNetwork::cold)] = 50 * V_plasma;
  NetworkIntegrator integrator(net, 1e-11, 1e-14);
  integrator.reset(0, y0, std::vector<double>(net.n_states(), 0.0));
  const auto &r = integrator.advance_to(7200, 7200);
  const std::array<double, 3> exact = {{r[net.amount(fr, 1)] / phi, r[net.amount(b, 1)],
                                        r[net.amount(m, 1)]}};

  // Implicit Euler transport: first order overall; Crank-Nicolson: second order (Strang).
  for (const std::string theta : {"1", "0.5"})
  {
  double previous = 0, volume = 0;
  // Steps resolve the exchange time phi / (P S/V) = 95 s: asymptotic rates below 30 s.
  const std::vector<double> steps = theta == "1" ? std::vector<double>{120.0, 60.0, 30.0} :
                                                   std::vector<double>{20.0, 10.0, 5.0};
  for (const double dt : steps)
    {
      const auto c = well_mixed(dt, theta, volume);
      double error = 0;
      for (unsigned int k = 0; k < 3; ++k)
        error = std::max(error, std::abs(c[k] - exact[k]) / exact[k]);
      std::cout << "theta " << theta << ", dt " << dt << " s: free " << c[0] << " (ODE " << exact[0] << "), bound " << c[1]
                << " (" << exact[1] << "), internalised " << c[2] << " (" << exact[2]
                << "), max relative error " << error << std::endl;
      if (previous > 0)
        BOOST_TEST(std::log2(previous / error) > (theta == "1" ? 0.9 : 1.8));
      previous = error;
    }
  if (theta == "0.5")
    BOOST_TEST(previous < 1e-4); // the well-mixed tolerance
  }
}

BOOST_AUTO_TEST_CASE(closed_box_in_the_pde)
{
  // A huge vessel permeability (PS = 200 /s) holds the free ligand at the plasma value
  // (50 nM): after 2 h the bound ligand is at b = R0 c / (c + K_eff), K_eff = (k_off +
  // lambda_int) / k_on = 8.02 nM, whatever the internalisation and release that follow.
  double volume = 0;
  const auto c = well_mixed(60.0, "1", volume, {"Transport/Tumour/Vessel permeability P [cm s^-1]=1"});
  const double K_eff = (0.368 + 0.001) / 0.046;
  // c is held near the plasma value (the last half reaction step of the split takes up
  // lambda_int b dt/2 without re-exchange: 0.16 % at 60 s steps) ...
  BOOST_TEST(c[0] == 50.0, boost::test_tools::tolerance(5e-3));
  // ... and the receptors are in the closed-box equilibrium with the free ligand present.
  BOOST_TEST(c[1] == 57 * c[0] / (c[0] + K_eff), boost::test_tools::tolerance(1e-4));
}
