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

BOOST_AUTO_TEST_CASE(embedded_sphere_closed_form)
{
  // Tumour in host tissue with lymphatics (docs/physics.md section 2 host values).
  physics::StarlingCoefficients host;
  host.hydraulic_conductivity        = 8.53e-9 * units::cm2_per_mmHg_s;
  host.wall_conductivity             = 0.36e-7 * units::cm_per_mmHg_s;
  host.vessel_surface_density        = 70 * units::per_cm;
  host.oncotic_reflection            = 0.91;
  host.vascular_pressure             = 15.6 * units::mmHg;
  host.plasma_oncotic_pressure       = 20 * units::mmHg;
  host.interstitial_oncotic_pressure = 10 * units::mmHg;
  host.lymphatic_coefficient         = 1e-4 / units::mmHg;
  const double R = 5 * units::mm, R_h = 20 * units::mm, p_out = 0.5 * units::mmHg;
  const physics::EmbeddedSphere s(tumour(), host, R, R_h, p_out);

  // The outer boundary condition, and p and K dp/dr continuous at the tumour surface.
  BOOST_TEST(s.pressure(R_h) == p_out, tt::tolerance(1e-10));
  const double e = 1e-12 * R;
  BOOST_TEST(s.pressure(R - e) == s.pressure(R + e), tt::tolerance(1e-9));
  BOOST_TEST(tumour().hydraulic_conductivity * s.pressure_derivative(R - e) ==
               host.hydraulic_conductivity * s.pressure_derivative(R + e),
             tt::tolerance(1e-6));
  // Each region's ODE p'' + (2/r) p' = k^2 (p - P), by central differences, and the
  // analytic derivative against a difference quotient.
  const double k_t = s.alpha / R;
  for (const double r : {1.0 * units::mm, 4.9 * units::mm, 5.05 * units::mm, 5.2 * units::mm, 12 * units::mm})
    {
      const double k = r < R ? k_t : s.k_host;
      const double P = r < R ? s.balance_tumour : s.balance_host;
      const double h = 1e-3 / k;
      const double d1 = (s.pressure(r + h) - s.pressure(r - h)) / (2 * h);
      const double d2 = (s.pressure(r + h) - 2 * s.pressure(r) + s.pressure(r - h)) / (h * h);
      const double residual = d2 + 2 / r * d1 - k * k * (s.pressure(r) - P);
      BOOST_TEST(std::abs(residual) <= 1e-4 * k * k * (std::abs(s.pressure(r) - P) + 1e-3 * units::mmHg));
      BOOST_TEST(s.pressure_derivative(r) == d1, tt::tolerance(1e-5));
    }
  // Far from the tumour the host sits at its balance pressure; the 0.09 mm boundary layer.
  BOOST_TEST(s.pressure(12 * units::mm) == s.balance_host, tt::tolerance(1e-9));
  BOOST_TEST(1 / s.k_host == 0.0912 * units::mm, tt::tolerance(0.01));

  // A host with the tumour's properties: the isolated Baxter-Jain sphere of radius R_h.
  const physics::EmbeddedSphere same(tumour(), tumour(), R, R_h, p_out);
  const physics::BaxterJainSphere whole(tumour(), R_h, p_out);
  for (const double r : {0.0, 3 * units::mm, 5 * units::mm, 10 * units::mm, 19.9 * units::mm})
    BOOST_TEST(same.pressure(r) == whole.pressure(r), tt::tolerance(1e-9));
}
