// RadioTwin: interstitial fluid exchange, docs/physics.md section 2 (Baxter & Jain 1989).
//
// Pure functions of numbers, in SI units (Pa, m, s): no mesh code here, so that the same
// expressions serve the finite-element solver, the whole-body model and the unit tests.
#pragma once

#include <cmath>
#include <utility>

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

  /// Closed form for a uniformly perfused tumour sphere of radius R embedded in a host sphere
  /// of radius R_h (both with their own K, transvascular and lymphatic exchange), p(R_h) =
  /// p_out, p and the flux K dp/dr continuous at R. With k^2 = (Lp S/V + LpL SL/V) / K and P
  /// the region's balance pressure:
  ///   r < R:   p = P_t + A sinh(k_t r) / (r/R sinh(k_t R))
  ///   r > R:   p = P_h + B (R/r) e^{k_h (r - R_h)} + C (R/r) e^{-k_h (r - R)}
  /// (the exponentials are scaled to stay below 1: k_h (R_h - R) ~ 160 with the defaults, a
  /// host boundary layer of 1/k_h ~ 0.09 mm at the tumour surface).
  struct EmbeddedSphere
  {
    double radius, host_radius;         ///< R, R_h [m]
    double alpha;                       ///< k_t R [-]
    double k_host;                      ///< k_h [1/m]
    double balance_tumour, balance_host; ///< P_t, P_h [Pa]
    double A = 0, B = 0, C = 0;         ///< [Pa]

    EmbeddedSphere(const StarlingCoefficients &tumour, const StarlingCoefficients &host,
                   const double R, const double R_h, const double p_out)
      : radius(R)
      , host_radius(R_h)
      , alpha(R * std::sqrt((tumour.transvascular_coefficient() + tumour.lymphatic_coefficient) /
                            tumour.hydraulic_conductivity))
      , k_host(std::sqrt((host.transvascular_coefficient() + host.lymphatic_coefficient) /
                         host.hydraulic_conductivity))
      , balance_tumour(equilibrium_pressure(tumour))
      , balance_host(equilibrium_pressure(host))
    {
      // Three conditions for A, B, C: p(R_h) = p_out, p continuous at R, flux continuous at R.
      const double decay  = std::exp(-k_host * (R_h - R)); // e^{-k_h (R_h - R)}
      const double K_t    = tumour.hydraulic_conductivity, K_h = host.hydraulic_conductivity;
      const double dS     = BaxterJainSphere::shape_derivative(alpha, 1.0) / R; // d/dr at R
      const double dEplus = decay * (k_host * R - 1) / R, dEminus = -(k_host * R + 1) / R;
      double M[3][4] = {{0, R / R_h, R / R_h * decay, p_out - balance_host},
                        {1, -decay, -1, balance_host - balance_tumour},
                        {K_t * dS, -K_h * dEplus, -K_h * dEminus, 0}};
      for (unsigned int i = 0; i < 3; ++i) // Gauss-Jordan with partial pivoting
        {
          unsigned int pivot = i;
          for (unsigned int j = i + 1; j < 3; ++j)
            if (std::abs(M[j][i]) > std::abs(M[pivot][i]))
              pivot = j;
          for (unsigned int c = 0; c < 4; ++c)
            std::swap(M[i][c], M[pivot][c]);
          for (unsigned int j = 0; j < 3; ++j)
            if (j != i)
              {
                const double f = M[j][i] / M[i][i];
                for (unsigned int c = i; c < 4; ++c)
                  M[j][c] -= f * M[i][c];
              }
        }
      A = M[0][3] / M[0][0];
      B = M[1][3] / M[1][1];
      C = M[2][3] / M[2][2];
    }

    /// p(r) [Pa]
    double pressure(const double r) const
    {
      if (r <= radius)
        return balance_tumour + A * BaxterJainSphere::shape(alpha, r / radius);
      return balance_host + B * radius / r * std::exp(k_host * (r - host_radius)) +
             C * radius / r * std::exp(-k_host * (r - radius));
    }

    /// dp/dr [Pa/m]
    double pressure_derivative(const double r) const
    {
      if (r <= radius)
        return A * BaxterJainSphere::shape_derivative(alpha, r / radius) / radius;
      return B * radius * std::exp(k_host * (r - host_radius)) * (k_host * r - 1) / (r * r) -
             C * radius * std::exp(-k_host * (r - radius)) * (k_host * r + 1) / (r * r);
    }
  };
} // namespace radiotwin::physics
