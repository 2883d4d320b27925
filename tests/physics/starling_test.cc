// Unit tests of physics/starling.h: Starling and lymphatic fluxes, and the Baxter-Jain closed
// form checked against the ODE it must solve (no mesh involved).
#define BOOST_TEST_MODULE starling
#include "../test_main.h"

#include "physics/starling.h"
#include "physics/base/units.h"

using namespace radiotwin;
namespace tt = boost::test_tools;

namespace
{
  /// Tumour parameters of docs/physics.md section 2, in SI.
  physics::StarlingCoefficients tumour()
  {
    physics::StarlingCoefficients c;
    c.hydraulic_conductivity        = 4.13e-8 * units::cm2_per_mmHg_s;
    c.wall_conductivity             = 2.8e-7 * units::cm_per_mmHg_s;
    c.vessel_surface_density        = 200 * units::per_cm;
    c.oncotic_reflection            = 0.82;
    c.vascular_pressure             = 15.6 * units::mmHg;
    c.plasma_oncotic_pressure       = 20 * units::mmHg;
    c.interstitial_oncotic_pressure = 15 * units::mmHg;
    return c;
  }
} // namespace

BOOST_AUTO_TEST_CASE(effective_pressure_and_fluxes)
{
  auto c = tumour();
  // p_e = 15.6 - 0.82 (20 - 15) = 11.5 mmHg
  BOOST_TEST(c.effective_pressure() / units::mmHg == 11.5, tt::tolerance(1e-12));
  // No net filtration at p = p_e; filtration into tissue below it.
  BOOST_TEST(std::abs(physics::transvascular_flux(c, c.effective_pressure())) < 1e-20);
  const double Jv = physics::transvascular_flux(c, 0.0);
  BOOST_TEST(Jv == 2.8e-7 * 200 * 11.5, tt::tolerance(1e-12)); // [1/s]
  // S/V scaling enters linearly.
  BOOST_TEST(physics::transvascular_flux(c, 0.0, 0.5) == 0.5 * Jv, tt::tolerance(1e-14));

  c.lymphatic_coefficient = 1e-4 * units::per_mmHg_s;
  c.lymphatic_pressure    = 0;
  BOOST_TEST(physics::lymphatic_flux(c, 2 * units::mmHg) == 2e-4, tt::tolerance(1e-12));
  // At the equilibrium pressure leakage and drainage balance.
  const double p_eq = physics::equilibrium_pressure(c);
  BOOST_TEST(physics::transvascular_flux(c, p_eq) == physics::lymphatic_flux(c, p_eq),
             tt::tolerance(1e-12));
  BOOST_TEST(p_eq < c.effective_pressure());
}

BOOST_AUTO_TEST_CASE(baxter_jain_numbers_of_the_reference)
{
  // R = 1 cm: alpha = 36.8, central IFP ~ p_e, rim velocity 0.1-0.2 um/s.
  const physics::BaxterJainSphere s(tumour(), 1 * units::cm, 0.0);
  BOOST_TEST(s.alpha == 36.8, tt::tolerance(2e-3));
  BOOST_TEST(s.pressure(0) / units::mmHg == 11.5, tt::tolerance(1e-6));
  BOOST_TEST(std::abs(s.pressure(s.radius)) < 1e-9);
  const double u = s.rim_velocity() / units::um_per_s;
  BOOST_TEST(u > 0.1);
  BOOST_TEST(u < 0.2);
}

BOOST_AUTO_TEST_CASE(baxter_jain_solves_its_ode)
{
  // The shape S(x) = sinh(alpha x)/(x sinh alpha) of p - p_e must satisfy
  // S'' + (2/x) S' = alpha^2 S with S(1) = 1; checked by central differences, for a moderate
  // and for the reference alpha (the shape is tested directly: p - p_e would cancel).
  using BJ = physics::BaxterJainSphere;
  for (const double radius : {0.5 * units::mm, 1 * units::cm})
    {
      const BJ s(tumour(), radius, 2 * units::mmHg);
      const double a = s.alpha;
      BOOST_TEST(BJ::shape(a, 1.0) == 1.0, tt::tolerance(1e-14));
      for (const double x : {0.05, 0.3, 0.7, 0.95})
        {
          const double h  = 1e-3 / a;
          const double S  = BJ::shape(a, x);
          const double d1 = (BJ::shape(a, x + h) - BJ::shape(a, x - h)) / (2 * h);
          const double d2 = (BJ::shape(a, x + h) - 2 * S + BJ::shape(a, x - h)) / (h * h);
          BOOST_TEST(d2 + 2 / x * d1 == a * a * S, tt::tolerance(1e-5));
          BOOST_TEST(BJ::shape_derivative(a, x) == d1, tt::tolerance(1e-6));
        }
      // Rim velocity = -K dp/dr at R, from the analytic derivative.
      BOOST_TEST(-s.hydraulic_conductivity * s.pressure_derivative(radius) == s.rim_velocity(),
                 tt::tolerance(1e-12));
      // Continuity at the centre (series limit vs. formula).
      BOOST_TEST(BJ::shape(a, 1e-7) == BJ::shape(a, 0.0), tt::tolerance(1e-6));
      BOOST_TEST(BJ::shape_derivative(a, 2e-4 / a) ==
                   (BJ::shape(a, 3e-4 / a) - BJ::shape(a, 1e-4 / a)) / (2e-4 / a),
                 tt::tolerance(1e-4));
    }
}
