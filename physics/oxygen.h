// RadioTwin: oxygen in tissue and its radiobiological effect (docs/physics.md section 6).
// Pure functions; pO2 in mmHg throughout (the unit every oxygen datum is tabulated in).
#pragma once

#include <algorithm>

namespace radiotwin::physics
{
  /// Michaelis-Menten oxygen consumption, in pO2 units [mmHg/s]: M0/alpha P/(P + K_m) with
  /// M0 [mL O2/(mL s)] divided by the solubility alpha [mL O2/(mL mmHg)]. No consumption
  /// where P <= 0; K_m = 0 is zero-order consumption (the Krogh cylinder's).
  struct OxygenConsumption
  {
    double max_rate_mmHg_per_s = 0; ///< M0 / alpha
    double michaelis_mmHg      = 0; ///< K_m

    double rate(const double P) const
    {
      if (P <= 0)
        return 0;
      return max_rate_mmHg_per_s * P / (P + michaelis_mmHg);
    }
    /// d rate / dP (0 below P = 0, and for zero-order consumption).
    double derivative(const double P) const
    {
      if (P <= 0 || michaelis_mmHg == 0)
        return 0;
      return max_rate_mmHg_per_s * michaelis_mmHg / ((P + michaelis_mmHg) * (P + michaelis_mmHg));
    }
  };

  /// Oxygen enhancement ratio, Sovik et al. 2006: OER(P) = m (P + K)/(m P + K); 1 in well
  /// oxygenated tissue, m in anoxic tissue. m = 2.5 for alpha, 3.0 for beta; K = 3.28 mmHg.
  inline double oxygen_enhancement_ratio(const double P_mmHg, const double m,
                                         const double K_mmHg = 3.28)
  {
    const double P = std::max(P_mmHg, 0.0);
    return m * (P + K_mmHg) / (m * P + K_mmHg);
  }
} // namespace radiotwin::physics
