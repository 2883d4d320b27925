// RadioTwin: radiobiology, physics-reference section 7. Pure functions.
#pragma once

#include <cmath>

namespace radiotwin::physics
{
  /// Biologically effective dose with Lea-Catcheside incomplete repair for a mono-exponential
  /// dose rate Ddot(t) = D0dot exp(-lambda t) delivered to completion:
  ///   BED = D (1 + D0dot / ((mu + lambda)(alpha/beta))),  D = D0dot / lambda,
  /// with mu = ln 2 / T_rep. Units: Gy, 1/h.
  inline double bed_monoexponential(const double initial_dose_rate_Gy_per_h,
                                    const double lambda_per_h, const double repair_half_time_h,
                                    const double alpha_beta_Gy)
  {
    const double mu = std::log(2.0) / repair_half_time_h;
    const double D  = initial_dose_rate_Gy_per_h / lambda_per_h;
    return D * (1.0 + initial_dose_rate_Gy_per_h / ((mu + lambda_per_h) * alpha_beta_Gy));
  }
} // namespace radiotwin::physics
