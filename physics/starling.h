// RadioTwin: interstitial fluid exchange, docs/physics.md section 2 (Baxter & Jain 1989).
//
// Pure functions of numbers, in SI units (Pa, m, s): no mesh code here, so that the same
// expressions serve the finite-element solver, the whole-body model and the unit tests.
#pragma once

#include <cmath>

namespace radiotwin::physics
{
  /// Darcy/Starling coefficients of one tissue region, all in SI units.
  struct StarlingCoefficients
  {
    double hydraulic_conductivity  = 0; ///< K [m^2/(Pa s)]
    double wall_conductivity       = 0; ///< Lp [m/(Pa s)]
    double vessel_surface_density  = 0; ///< S/V [1/m]
    double oncotic_reflection      = 0; ///< sigma_T [-]
    double vascular_pressure       = 0; ///< p_v [Pa]
    double plasma_oncotic_pressure = 0; ///< pi_v [Pa]
    double interstitial_oncotic_pressure = 0; ///< pi_i [Pa]
    double lymphatic_coefficient   = 0; ///< LpL*SL/V [1/(Pa s)]
    double lymphatic_pressure      = 0; ///< p_L [Pa]

    /// Effective vascular pressure p_e = p_v - sigma_T (pi_v - pi_i) [Pa].
    double effective_pressure() const
    {
      return vascular_pressure -
             oncotic_reflection * (plasma_oncotic_pressure - interstitial_oncotic_pressure);
    }

    /// Transvascular filtration coefficient Lp S/V [1/(Pa s)] (times a local scaling of S/V).
    double transvascular_coefficient(const double sv_scaling = 1.0) const
    {
      return wall_conductivity * vessel_surface_density * sv_scaling;
    }
  };

  /// Transvascular fluid source J_v = Lp S/V (p_e - p) [1/s]: volume of fluid per volume of
  /// tissue per time leaving the vessels at interstitial pressure p [Pa].
  inline double transvascular_flux(const StarlingCoefficients &c, const double p,
                                   const double sv_scaling = 1.0)
  {
    return c.transvascular_coefficient(sv_scaling) * (c.effective_pressure() - p);
  }

  /// Lymphatic drainage J_L = LpL SL/V (p - p_L) [1/s].
  inline double lymphatic_flux(const StarlingCoefficients &c, const double p)
  {
    return c.lymphatic_coefficient * (p - c.lymphatic_pressure);
  }

  /// The pressure at which a region is in local Starling balance, J_v = J_L [Pa]; the
  /// far-field IFP of a large uniform region. Falls back to p_e without any exchange.
  inline double equilibrium_pressure(const StarlingCoefficients &c, const double sv_scaling = 1.0)
  {
    const double a = c.transvascular_coefficient(sv_scaling);
    const double b = c.lymphatic_coefficient;
    if (a + b == 0.0)
      return c.effective_pressure();
    return (a * c.effective_pressure() + b * c.lymphatic_pressure) / (a + b);
  }

  /// Closed form of docs/physics.md section 2: uniformly perfused isolated sphere of radius R
  /// [m] without lymphatics and with p(R) = p_out [Pa].
  struct BaxterJainSphere
  {
    double radius;            ///< R [m]
    double alpha;             ///< alpha = R sqrt(Lp S/V / K) [-]
    double effective_pressure; ///< p_e [Pa]
    double outer_pressure;    ///< p_out [Pa]
    double hydraulic_conductivity; ///< K [m^2/(Pa s)]

    BaxterJainSphere(const StarlingCoefficients &c, const double R, const double p_out)
      : radius(R)
      , alpha(R * std::sqrt(c.transvascular_coefficient() / c.hydraulic_conductivity))
      , effective_pressure(c.effective_pressure())
      , outer_pressure(p_out)
      , hydraulic_conductivity(c.hydraulic_conductivity)
    {}

    /// sinh(alpha x) / (x sinh(alpha)) for x = r/R in [0,1], evaluated without overflow
    /// (alpha ~ 37 for a 1 cm tumour) and with its limit alpha/sinh(alpha) at x = 0.
    static double shape(const double alpha, const double x)
    {
      if (x < 1e-8)
        return alpha * std::exp(-alpha) * 2.0 / (1.0 - std::exp(-2.0 * alpha));
      return std::exp(alpha * (x - 1.0)) * (1.0 - std::exp(-2.0 * alpha * x)) /
             (x * (1.0 - std::exp(-2.0 * alpha)));
    }

    /// d/dx of shape(alpha, x) = (alpha coth(alpha x) - 1/x) shape(alpha, x), with its
    /// small-x limit shape(alpha, 0) alpha^2 x / 3.
    static double shape_derivative(const double alpha, const double x)
    {
      if (alpha * x < 1e-4)
        return shape(alpha, 0) * alpha * alpha * x / 3.0;
      return (alpha / std::tanh(alpha * x) - 1.0 / x) * shape(alpha, x);
    }

    /// dp/dr [Pa/m]
    double pressure_derivative(const double r) const
    {
      return (outer_pressure - effective_pressure) * shape_derivative(alpha, r / radius) / radius;
    }

    /// p(r) [Pa]
    double pressure(const double r) const
    {
      return effective_pressure +
             (outer_pressure - effective_pressure) * shape(alpha, r / radius);
    }

    /// Radial Darcy velocity at the rim u(R) = K (p_e - p_out)(alpha coth(alpha) - 1)/R [m/s].
    double rim_velocity() const
    {
      return hydraulic_conductivity * (effective_pressure - outer_pressure) *
             (alpha / std::tanh(alpha) - 1.0) / radius;
    }
  };
} // namespace radiotwin::physics
