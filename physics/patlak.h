// RadioTwin: transvascular solute flux in the Kedem-Katchalsky / Patlak form (docs/physics.md
// section 3):
//   J_s = J_v (1 - sigma_f) c_p + P S/V (c_p - c) Pe / (exp(Pe) - 1),
//   Pe  = J_v (1 - sigma_f) / (P S/V).
// Pure function; J_v [1/s], P S/V [1/s], concentrations in any one unit; J_s in that unit/s.
#pragma once

#include <cmath>

namespace radiotwin::physics
{
  /// x / (exp(x) - 1), continuous through x = 0 (value 1) and accurate for |x| small, where
  /// the quotient of two small numbers would lose every digit.
  inline double bernoulli_function(const double x)
  {
    if (std::abs(x) < 1e-5)
      return 1.0 - x / 2.0 + x * x / 12.0;
    return x / std::expm1(x);
  }

  /// Solute flux from plasma into tissue per tissue volume. With P S/V = 0 only convection
  /// remains.
  inline double transvascular_solute_flux(const double J_v, const double sigma_f,
                                          const double PS_per_volume, const double c_plasma,
                                          const double c_tissue)
  {
    const double convective = J_v * (1.0 - sigma_f);
    if (PS_per_volume <= 0.0)
      return convective * c_plasma;
    const double Pe = convective / PS_per_volume;
    return convective * c_plasma + PS_per_volume * (c_plasma - c_tissue) * bernoulli_function(Pe);
  }
} // namespace radiotwin::physics
