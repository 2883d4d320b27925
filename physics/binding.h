// RadioTwin: receptor binding kinetics (docs/physics.md section 3), shared by the
// whole-body compartments and the tissue PDE. Pure functions; units as the caller's, e.g.
// c [nmol L^-1], receptors [nmol/L or nmol], k_on [L/(nmol min)], k_off [1/min].
#pragma once

namespace radiotwin::physics
{
  /// Net binding rate of one species: k_on c R_free - k_off b, with R_free the receptors not
  /// occupied by either species (hot and cold compete for the same receptors).
  inline double binding_rate(const double k_on, const double c_free, const double r_free,
                             const double k_off, const double bound)
  {
    return k_on * c_free * r_free - k_off * bound;
  }

  /// Effective dissociation constant with internalisation, K_eff = (k_off + lambda_int)/k_on:
  /// with c held fixed, bound -> R0 c / (c + K_eff).
  inline double effective_dissociation_constant(const double k_on, const double k_off,
                                                const double lambda_int)
  {
    return (k_off + lambda_int) / k_on;
  }
} // namespace radiotwin::physics
