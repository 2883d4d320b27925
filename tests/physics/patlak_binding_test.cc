// Unit tests of physics/patlak.h and physics/binding.h (no mesh).
#define BOOST_TEST_MODULE patlak_binding
#include "../test_main.h"

#include "physics/binding.h"
#include "physics/patlak.h"

#include <cmath>

using namespace radiotwin::physics;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(bernoulli_function_is_smooth_through_zero)
{
  BOOST_TEST(bernoulli_function(0.0) == 1.0);
  // Both branches agree at the switch, and match the exact quotient in long double.
  for (const double x : {-1e-5, 1e-5, -2e-5, 2e-5, 1e-3, -0.5, 3.0, -30.0, 50.0})
    {
      const long double exact = static_cast<long double>(x) / std::expm1(static_cast<long double>(x));
      BOOST_TEST(bernoulli_function(x) == static_cast<double>(exact), tt::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(patlak_limits)
{
  const double Jv = 2e-5, PS = 3e-4, cp = 10.0, c = 4.0;
  // Pe -> 0 (no filtration): pure diffusion P S/V (c_p - c), no division by zero.
  BOOST_TEST(transvascular_solute_flux(0.0, 0.0, PS, cp, c) == PS * (cp - c), tt::tolerance(1e-14));
  BOOST_TEST(std::isfinite(transvascular_solute_flux(1e-300, 0.0, PS, cp, c)));
  // sigma_f = 1: the wall reflects the solute fully, convection stops.
  BOOST_TEST(transvascular_solute_flux(Jv, 1.0, PS, cp, c) == PS * (cp - c), tt::tolerance(1e-14));
  // Large Pe: convection dominates, J_s -> J_v c_p (diffusive term decays like Pe e^-Pe).
  BOOST_TEST(transvascular_solute_flux(1.0, 0.0, 1e-3, cp, c) == 1.0 * cp, tt::tolerance(1e-12));
  // Equal concentrations: only convection, whatever Pe.
  BOOST_TEST(transvascular_solute_flux(Jv, 0.2, PS, cp, cp) == Jv * 0.8 * cp, tt::tolerance(1e-14));
  // The general formula, evaluated directly at a moderate Pe.
  const double Pe = Jv / PS;
  BOOST_TEST(transvascular_solute_flux(Jv, 0.0, PS, cp, c) ==
               Jv * cp + PS * (cp - c) * Pe / (std::exp(Pe) - 1), tt::tolerance(1e-12));
  // No permeability: convection only.
  BOOST_TEST(transvascular_solute_flux(Jv, 0.0, 0.0, cp, c) == Jv * cp);
}

BOOST_AUTO_TEST_CASE(binding_equilibrium)
{
  // The defaults of section 3: K_eff = (0.368 + 0.001)/0.046 = 8.02 nM; at c = K_eff with
  // internalisation, half the receptors are bound at steady state:
  // k_on c (R0 - b) = (k_off + lambda_int) b.
  const double k_on = 0.046, k_off = 0.368, l_int = 0.001, R0 = 57.0;
  const double K = effective_dissociation_constant(k_on, k_off, l_int);
  BOOST_TEST(K == 8.02174, tt::tolerance(1e-5));
  const double b = R0 / 2;
  BOOST_TEST(binding_rate(k_on, K, R0 - b, k_off, b) == l_int * b, tt::tolerance(1e-12));
}
