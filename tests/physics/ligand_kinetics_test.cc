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

BOOST_AUTO_TEST_CASE(plasma_sensitivities_match_differences_and_keep_the_balance)
{
  // With exchange, the derivatives in the plasma held over a step (uptake, release, state)
  // against central differences, and the balance of a state moved along them.
  LigandKinetics k = tumour();
  k.exchange_in    = 0.02;
  k.exchange_out   = 0.05;
  k.lambda_rel     = 0.01; // fast enough for the release to matter over the step
  k.plasma         = {{3.0, 12.0}};
  const LigandState y0 = {{2.0, 8.0, 20.0, 15.0, 4.0, 1.0}};
  const double      dt = 120.0;
  LigandState       y  = y0;
  const auto        r  = advance_ligand_kinetics(k, y, dt, 3, true);
  for (unsigned int p = 0; p < 2; ++p)
    {
      const double h = 1e-4 * k.plasma[p];
      LigandKinetics up = k, down = k;
      up.plasma[p] += h;
      down.plasma[p] -= h;
      LigandState yu = y0, yd = y0;
      const auto  ru = advance_ligand_kinetics(up, yu, dt, 3);
      const auto  rd = advance_ligand_kinetics(down, yd, dt, 3);
      for (unsigned int s = 0; s < 2; ++s)
        {
          BOOST_TEST(r.uptake_sensitivity[s][p] == (ru.uptake[s] - rd.uptake[s]) / (2 * h),
                     tt::tolerance(1e-6));
          if (s == p)
            BOOST_TEST(r.released_sensitivity[s][p] == (ru.released[s] - rd.released[s]) / (2 * h),
                       tt::tolerance(1e-6));
        }
      for (unsigned int i = 0; i < 6; ++i)
        BOOST_TEST(r.state_sensitivity[p][i] + 1.0 == (yu[i] - yd[i]) / (2 * h) + 1.0,
                   tt::tolerance(1e-7));
    }
  // Moved along the sensitivities by a plasma change, the state still balances what the
  // moved uptake brings in and the moved release takes out (hot + cold: decay cancels).
  const std::array<double, 2> change = {{0.3, -1.1}};
  const auto content = [&](const LigandState &v) {
    return k.porosity * (v[free_hot] + v[free_cold]) + v[bound_hot] + v[bound_cold] +
           v[internalised_hot] + v[internalised_cold];
  };
  LigandState moved = y;
  double      in = 0, out = 0;
  for (unsigned int s = 0; s < 2; ++s)
    {
      in += r.uptake[s];
      out += r.released[s];
      for (unsigned int p = 0; p < 2; ++p)
        {
          in += r.uptake_sensitivity[s][p] * change[p];
          out += r.released_sensitivity[s][p] * change[p];
        }
    }
  for (unsigned int i = 0; i < 6; ++i)
    moved[i] += r.state_sensitivity[0][i] * change[0] + r.state_sensitivity[1][i] * change[1];
  BOOST_TEST(content(moved) - content(y0) == in - out, tt::tolerance(1e-11));
}
