// RadioTwin: radionuclide data (docs/physics.md section 7) and the conversions between
// amount, activity and absorbed dose. 177Lu is the default.
#pragma once

#include <cmath>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  namespace constants
  {
    constexpr double avogadro_per_mol = 6.02214076e23;
    constexpr double joule_per_keV    = 1.602176634e-16;
  } // namespace constants

  struct Radionuclide
  {
    double half_life_d              = 6.647; ///< [d]
    double electron_energy_keV      = 147.9; ///< mean non-penetrating energy per decay [keV]
    double photon_energy_keV        = 35.1;  ///< mean photon energy per decay [keV]

    static void declare_parameters(ParameterSchema &prm);
    void        parse_parameters(ParameterReader &prm);
    // The same with deal.II's ParameterHandler (the full program; defined with deal.II).
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm);

    /// Physical decay constant [1/min].
    double decay_constant_per_min() const { return std::log(2.0) / (half_life_d * 1440.0); }
  };

  /// Activity of 1 nmol of radionuclide atoms decaying at lambda [1/min]: lambda N_A [MBq/nmol].
  inline double activity_MBq_per_nmol(const double lambda_per_min)
  {
    return lambda_per_min / 60.0 * constants::avogadro_per_mol * 1e-9 * 1e-6;
  }

  /// Absorbed dose [Gy] from a time-integrated activity [MBq h] deposited locally in a mass
  /// [kg] with mean energy per decay E [keV]: 1 GBq h in 1 kg with 147.9 keV gives 0.0853 Gy.
  inline double local_dose_Gy(const double tia_MBq_h, const double energy_keV, const double mass_kg)
  {
    return tia_MBq_h * 1e6 * 3600.0 * energy_keV * constants::joule_per_keV / mass_kg;
  }
} // namespace radiotwin
