// RadioTwin: unit conventions.
//
// Inside RadioTwin every quantity is in SI units (m, s, Pa, m^3). Parameters are read in
// the units of the field (mm, cm, mmHg, ...) and converted once, at parsing; outputs are
// converted back at writing. These constants are the only place the factors live.
#pragma once

namespace radiotwin::units
{
  // Length
  constexpr double m  = 1.0;
  constexpr double cm = 1.0e-2;
  constexpr double mm = 1.0e-3;
  constexpr double um = 1.0e-6;

  // Time
  constexpr double s   = 1.0;
  constexpr double min = 60.0;
  constexpr double h   = 3600.0;

  // Pressure: 1 mmHg = 133.322387415 Pa (conventional millimetre of mercury)
  constexpr double Pa   = 1.0;
  constexpr double mmHg = 133.322387415;

  // Volume
  constexpr double m3 = 1.0;
  constexpr double mL = 1.0e-6;
  constexpr double uL = 1.0e-9;
  constexpr double nL = 1.0e-12;

  // Compound units that appear in parameter files.
  /// Hydraulic conductivity K [cm^2/(mmHg s)] -> [m^2/(Pa s)]
  constexpr double cm2_per_mmHg_s = cm * cm / (mmHg * s);
  /// Vessel-wall hydraulic conductivity Lp [cm/(mmHg s)] -> [m/(Pa s)]
  constexpr double cm_per_mmHg_s = cm / (mmHg * s);
  /// Lymphatic filtration coefficient LpL*SL/V [1/(mmHg s)] -> [1/(Pa s)]
  constexpr double per_mmHg_s = 1.0 / (mmHg * s);
  /// Surface-to-volume ratio S/V [1/cm] -> [1/m]
  constexpr double per_cm = 1.0 / cm;
  /// Velocity [um s^-1] -> [m/s]
  constexpr double um_per_s = um / s;
  /// Volume flow [uL/min] -> [m^3/s]
  constexpr double uL_per_min = uL / min;
  /// Blood flow in a vessel [nL/min] -> [m^3/s]
  constexpr double nL_per_min = nL / min;
  /// Dynamic viscosity [mPa s] -> [Pa s]
  constexpr double mPa_s = 1.0e-3;
} // namespace radiotwin::units
