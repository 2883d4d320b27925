// physics/ligand_kinetics: the stiff local binding/internalisation/decay step against an
// independent integration (CVODE on the compartment network), its order, L-stability at
// transport-sized steps, the binding equilibrium, and the mass balance.
#define BOOST_TEST_MODULE ligand_kinetics
#include "../test_main.h"

#include "coupling/compartment_network.h"
#include "physics/ligand_kinetics.h"

#include <cmath>

using namespace radiotwin;
using namespace radiotwin::physics;
namespace tt = boost::test_tools;

namespace
{
  // Section 3 defaults (nmol/L, min), tumour: R0 = 57 nM, phi = 0.38, 177Lu decay.
  LigandKinetics tumour()
  {
    LigandKinetics k;
    k.k_on       = 0.046;
    k.k_off      = 0.368;
    k.lambda_int = 0.001;
    k.lambda_rel = 1.5e-4;
    k.lambda     = std::log(2.0) / (6.647 * 1440);
    k.receptors  = 57;
    k.porosity   = 0.38;
    return k;
  }

  LigandState initial()
  {
    return {{10.0, 40.0, 0, 0, 0, 0}}; // free hot and cold [nmol/L of fluid]
  }

  /// The same kinetics as a compartment network of 1 L tissue, integrated by CVODE.
  LigandState reference(const LigandKinetics &k, const LigandState &y0, const double t)
  {
    CompartmentNetwork net;
    const unsigned int fr = net.add_pool("free", k.porosity), b = net.add_pool("bound", 0),
                       m = net.add_pool("internalised", 0), out = net.add_pool("released", 0);
    net.add_binding(fr, b, k.receptors, k.k_on, k.k_off);
    net.add_transfer(b, m, k.lambda_int);
    net.add_transfer(m, out, k.lambda_rel);
    net.set_decay(k.lambda);
    std::vector<double> y(net.n_states(), 0.0);
    for (unsigned int s = 0; s < 2; ++s)
      y[net.amount(fr, s)] = y0[free_hot + s] * k.porosity;
    NetworkIntegrator integrator(net, 1e-12, 1e-16);
    integrator.reset(0, y, std::vector<double>(net.n_states(), 0.0));
    const auto &r = integrator.advance_to(t, t);
    LigandState result;
    for (unsigned int s = 0; s < 2; ++s)
      {
        result[free_hot + s]         = r[net.amount(fr, s)] / k.porosity;
        result[bound_hot + s]        = r[net.amount(b, s)];
        result[internalised_hot + s] = r[net.amount(m, s)];
      }
    return result;
  }

  double max_relative_difference(const LigandState &a, const LigandState &b)
  {
    double scale = 0, diff = 0;
    for (unsigned int i = 0; i < 6; ++i)
      {
        scale = std::max(scale, std::abs(b[i]));
        diff  = std::max(diff, std::abs(a[i] - b[i]));
      }
    return diff / scale;
  }
} // namespace

BOOST_AUTO_TEST_CASE(matches_independent_integration)
{
  // Well-mixed tissue, 7 days, steps of 0.1 min: every pool to 1e-6 of the largest.
  const LigandKinetics k = tumour();
  LigandState          y = initial();
  double               t = 0;
  for (const double t_out : {60.0, 1440.0, 10080.0})
    {
      const unsigned int n = static_cast<unsigned int>((t_out - t) / 0.1 + 0.5);
      advance_ligand_kinetics(k, y, t_out - t, n);
      t = t_out;
      BOOST_TEST(max_relative_difference(y, reference(k, initial(), t_out)) < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(second_order)
{
  const LigandKinetics k = tumour();
  const LigandState    exact = reference(k, initial(), 120.0);
  double               previous = 0;
  // Asymptotic once h is well below the binding time 1/(k_on R0 + k_off) ~ 0.3 min.
  for (const unsigned int n : {1200u, 2400u, 4800u})
    {
      LigandState y = initial();
      advance_ligand_kinetics(k, y, 120.0, n);
      const double error = max_relative_difference(y, exact);
      std::cout << "h = " << 120.0 / n << " min: error " << error << std::endl;
      if (previous > 0)
        BOOST_TEST(std::log2(previous / error) > 1.85);
      previous = error;
    }
}

BOOST_AUTO_TEST_CASE(stable_and_exact_equilibrium_at_large_steps)
{
  // Without internalisation, release and decay the free and bound ligand reach the binding
  // equilibrium b = R0 c / (c + K_D) with phi c + b conserved. Steps of one day (k_on R0 dt
  // ~ 3800) must neither blow up nor oscillate, and land on the equilibrium.
  LigandKinetics k = tumour();
  k.lambda_int = k.lambda_rel = k.lambda = 0;
  LigandState y = {{0, 20.0, 0, 0, 0, 0}};
  advance_ligand_kinetics(k, y, 20 * 1440.0, 20);
  const double c = y[free_cold], b = y[bound_cold], K_D = k.k_off / k.k_on;
  BOOST_TEST(b == k.receptors * c / (c + K_D), tt::tolerance(1e-10));
  BOOST_TEST(k.porosity * c + b == k.porosity * 20.0, tt::tolerance(1e-13));
  for (const double v : y)
    BOOST_TEST(v >= 0.0);
}

BOOST_AUTO_TEST_CASE(mass_balance_and_decay)
{
  // Total ligand in tissue + released is conserved to round-off with transport-sized steps.
  const LigandKinetics k = tumour();
  LigandState          y = initial();
  const double total0 = k.porosity * 50.0;
  double released_hot = 0, released_cold = 0;
  for (unsigned int step = 0; step < 168; ++step) // hourly steps, one week
    {
      const auto r = advance_ligand_kinetics(k, y, 60.0, 4);
      released_hot += r.released[0];
      released_cold += r.released[1];
    }
  const double in_tissue = k.porosity * (y[free_hot] + y[free_cold]) + y[bound_hot] +
                           y[bound_cold] + y[internalised_hot] + y[internalised_cold];
  BOOST_TEST(in_tissue + released_hot + released_cold == total0, tt::tolerance(1e-12));
  // The hot pools after a week of hourly steps, against the reference.
  const LigandState ref = reference(k, initial(), 168 * 60.0);
  BOOST_TEST(y[bound_hot] == ref[bound_hot], tt::tolerance(1e-4));
  BOOST_TEST(y[internalised_hot] == ref[internalised_hot], tt::tolerance(1e-4));
}
