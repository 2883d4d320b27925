// RadioTwin: radiobiology, docs/physics.md section 7. Pure functions.
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

  /// Absorbed dose D and BED accumulated step by step for a dose rate that is linear within
  /// each step (section 7): dQ/dt = Ddot - mu Q, solved exactly; I = int Ddot Q dt by
  /// Simpson's rule; BED = D + 2 I / (alpha/beta). Units: Gy, h.
  struct DoseAccumulator
  {
    double mu_per_h = 0;      ///< ln 2 / T_rep (0: no repair)
    double alpha_beta_Gy = 0; ///< 0: no BED
    double D = 0, Q = 0, I = 0;

    void add(const double dt_h, const double rate0_Gy_per_h, const double rate1_Gy_per_h)
    {
      if (dt_h <= 0)
        return;
      const double slope = (rate1_Gy_per_h - rate0_Gy_per_h) / dt_h;
      // Q(tau) = Q0 e^(-mu tau) + int_0^tau (r0 + slope s) e^(-mu (tau - s)) ds
      const auto q_at = [&](const double tau) {
        const double x = mu_per_h * tau;
        if (x < 1e-6)
          return Q * (1 - x) + rate0_Gy_per_h * tau * (1 - x / 2) + slope * tau * tau * (0.5 - x / 6);
        const double decay = std::exp(-x);
        return Q * decay + rate0_Gy_per_h * (1 - decay) / mu_per_h +
               slope * (x - 1 + decay) / (mu_per_h * mu_per_h);
      };
      const double q_mid = q_at(0.5 * dt_h), q_end = q_at(dt_h);
      I += dt_h / 6 *
           (rate0_Gy_per_h * Q + 2 * (rate0_Gy_per_h + rate1_Gy_per_h) * q_mid + rate1_Gy_per_h * q_end);
      D += 0.5 * dt_h * (rate0_Gy_per_h + rate1_Gy_per_h);
      Q = q_end;
    }
    double bed_Gy() const { return alpha_beta_Gy > 0 ? D + 2 * I / alpha_beta_Gy : D; }

    template <class Archive>
    void serialize(Archive &ar, const unsigned int)
    {
      ar &mu_per_h &alpha_beta_Gy &D &Q &I;
    }
  };
} // namespace radiotwin::physics

namespace radiotwin::physics
{
  /// BED of a dose D with Lea-Catcheside integral I = int Ddot Q dt (DoseAccumulator) in
  /// tissue whose radiosensitivities are alpha/OER_alpha and beta/OER_beta^2 (section 6):
  /// the effect alpha D/OER_a + 2 beta I/OER_b^2, expressed as the BED that gives the same
  /// effect in oxygenated tissue. OER = 1 gives the plain BED.
  inline double bed_hypoxia_adjusted_Gy(const double D_Gy, const double I_Gy2,
                                        const double alpha_beta_Gy, const double oer_alpha,
                                        const double oer_beta)
  {
    const double quadratic = alpha_beta_Gy > 0 ? 2 * I_Gy2 / alpha_beta_Gy : 0.0;
    return D_Gy / oer_alpha + quadratic / (oer_beta * oer_beta);
  }
} // namespace radiotwin::physics
