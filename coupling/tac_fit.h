// RadioTwin: classical dosimetry of one organ's time-activity curve (docs/physics.md section
// 8), as the clinical tools do it: sums of exponentials fitted by weighted least squares
// (Ceres), the model chosen by AICc, the time-integrated activity to infinity with its
// standard deviation from the parameter covariance, and the absorbed dose (local deposition)
// and Lea-Catcheside BED of the fitted curve in closed form.
//
//   mono      A(t) = a1 e^(-k1 t)
//   bi        A(t) = a1 e^(-k1 t) + a2 e^(-k2 t),                 k1 < k2
//   tri       A(t) = a1 e^(-k1 t) + a2 e^(-k2 t) + a3 e^(-k3 t),  k1 < k2 < k3
//   uptake    A(t) = a (e^(-k1 t) - e^(-k2 t)),                   k1 < k2 (uptake phase)
//
// with every k = lambda_phys + lambda_biological, lambda_biological >= 0.
#pragma once

#include <string>
#include <vector>

namespace radiotwin
{
  struct TacPoint
  {
    double time_h = 0, activity_MBq = 0, sigma_MBq = 0; ///< sigma > 0
  };

  enum class TacModel
  {
    mono,
    bi,
    tri,
    uptake
  };
  std::string to_string(TacModel model);
  /// "mono", "bi", "tri", "uptake"; throws std::invalid_argument otherwise.
  TacModel tac_model_from_string(const std::string &name);
  unsigned int n_parameters(TacModel model);

  struct TacFit
  {
    TacModel            model = TacModel::mono;
    bool                converged = false;
    std::vector<double> amplitudes_MBq;  ///< a_k (uptake: a, -a)
    std::vector<double> rates_per_h;     ///< effective k_k (physical decay included)
    std::vector<std::vector<double>> covariance; ///< of (a_k, k_k), in that order
    double chi2  = 0;   ///< sum of squared weighted residuals
    double aic  = 0;  ///< Akaike information criterion chi^2 + 2K (lower is better)
    double aicc = 0;  ///< AICc, corrected for few points (NaN where n <= K + 1)
    double criterion = 0; ///< what fit_tac_models() ranked by: AICc, or AIC for all
    unsigned int n_points = 0;
    double tia_MBq_h = 0, tia_sd_MBq_h = 0; ///< integral of A over [0, inf)

    double activity_MBq(double t_h) const;
    /// Absorbed dose [Gy] and Lea-Catcheside BED [Gy] of the curve for a dose rate of
    /// @p Gy_per_MBq_h per unit activity (energy per decay / mass), repair rate @p mu_per_h
    /// and alpha/beta [Gy] (0: no BED, returned equal to the dose).
    double dose_Gy(double Gy_per_MBq_h) const { return Gy_per_MBq_h * tia_MBq_h; }
    double bed_Gy(double Gy_per_MBq_h, double mu_per_h, double alpha_beta_Gy) const;
  };

  /// Fit @p model to the points with decay constant @p lambda_phys_per_h; converged is false
  /// when the model has as many parameters as there are points, or Ceres fails.
  TacFit fit_tac(const std::vector<TacPoint> &points, TacModel model, double lambda_phys_per_h);

  /// Fit every model of @p candidates that the points allow and return them, the one with
  /// the lowest AICc first (AIC when a fitted model has too few points for AICc).
  std::vector<TacFit> fit_tac_models(const std::vector<TacPoint> &points,
                                     const std::vector<TacModel> &candidates,
                                     double lambda_phys_per_h);
} // namespace radiotwin
