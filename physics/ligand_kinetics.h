// RadioTwin: local radioligand kinetics at one point of tissue (docs/physics.md section 3),
// the reaction part of the transport equations:
//
//   phi dc/dt = -(k_on c R_free - k_off b) + q_in c_p - q_out c   [-/+ lambda phi c]
//       db/dt =   k_on c R_free - k_off b - l_int b   [-/+ lambda b]
//       dm/dt =   l_int b - l_rel m                   [-/+ lambda m]
//
// for hot and cold ligand competing for R_free = R0 - b_hot - b_cold; decay moves each hot
// pool into its cold pool; released ligand (l_rel m) leaves the tissue. c is per volume of
// interstitial fluid, b and m per volume of tissue. Any consistent units (e.g. nmol/L, min).
//
// Integrated by the two-stage, second-order, L-stable SDIRK method (Alexander 1977,
// gamma = 1 - 1/sqrt(2)) with Newton on the 6x6 system: stable for k_on R0 dt >> 1, which
// is what binding looks like from an hour-long transport step.
#pragma once

#include <array>

namespace radiotwin::physics
{
  struct LigandKinetics
  {
    double k_on       = 0; ///< [L/(nmol time)]
    double k_off      = 0; ///< [1/time]
    double lambda_int = 0; ///< internalisation [1/time]
    double lambda_rel = 0; ///< release of internalised ligand [1/time]
    double lambda     = 0; ///< physical decay [1/time]
    double receptors  = 0; ///< R0 [nmol/L of tissue]
    double porosity   = 1; ///< interstitial volume fraction phi [-]
    double exchange_in  = 0; ///< q_in [1/time]
    double exchange_out = 0; ///< q_out [1/time]
    std::array<double, 2> plasma{{0, 0}}; ///< c_p, hot and cold, held over the step
  };

  /// c_hot, c_cold, b_hot, b_cold, m_hot, m_cold
  using LigandState = std::array<double, 6>;
  enum LigandPool : unsigned int
  {
    free_hot = 0,
    free_cold,
    bound_hot,
    bound_cold,
    internalised_hot,
    internalised_cold
  };

  /// d/dt of the state.
  LigandState ligand_rates(const LigandKinetics &k, const LigandState &y);

  /// What crossed the boundaries of the point during a step, per tissue volume.
  struct KineticsStep
  {
    std::array<double, 2> released{};  ///< from the internalised pools, hot and cold
    std::array<double, 2> uptake{};    ///< net transvascular exchange, plasma -> tissue
    /// With @p sensitivity, derivatives in the plasma held over the step (columns: c_p hot,
    /// c_p cold): d uptake_s / d c_p,s' (the coupled step's Newton matrix), d released_s /
    /// d c_p,s' and d y_end / d c_p,s'. They obey the balance too: a state moved by
    /// state_sensitivity times a change of c_p gains what uptake and release move by.
    std::array<std::array<double, 2>, 2> uptake_sensitivity{};
    std::array<std::array<double, 2>, 2> released_sensitivity{};
    std::array<LigandState, 2>           state_sensitivity{};
  };

  /// Advance the state by dt in n_steps SDIRK2 steps. The amounts are summed with the
  /// method's own weights, so the balance closes to round-off.
  KineticsStep advance_ligand_kinetics(const LigandKinetics &k, LigandState &y, double dt,
                                       unsigned int n_steps, bool sensitivity = false);
} // namespace radiotwin::physics
