// RadioTwin: model-based calibration of the whole-body model to one patient's measured
// time-activity points (docs/twin.md, issue 20): a chosen set of adjustable parameters is
// fitted by weighted least squares (Ceres, Levenberg-Marquardt, bounds) with log-normal
// priors at the population values; the posterior covariance comes from the Fisher
// information, and the data-only information says which parameters the data determine.
//
//   x_j = ln theta_j                         (every parameter is positive)
//   r_i = (A_model(t_i; x) - A_i) / sigma_i  (activity of a tissue [MBq] at time t_i)
//   r_j = (x_j - ln theta_pop_j) / s_j       (prior; s_j the sd of ln theta, 0: none)
//   F   = J_data^T J_data + diag(1/s_j^2),   C = F^-1   (posterior covariance of x)
//
// A parameter is identifiable when its data-only standard error (the pseudo-inverse of
// J_data^T J_data) is below the threshold, as a relative error of theta.
// Derivatives are central differences in x (step 1e-4, the ODE integrated to 1e-10), which
// keeps the model a black box: native parameters, lesions and protocols alike.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "coupling/whole_body_model.h"

namespace radiotwin
{
  /// A measured activity of one tissue of the model (the sum of its segmented regions).
  struct CalibrationDatum
  {
    std::string tissue;     ///< a tissue key of the model: kidney, salivary_glands, a lesion
    double      time_h = 0; ///< after the first injection
    double      activity_MBq = 0, sigma_MBq = 0; ///< sigma > 0
  };

  struct CalibrationSettings
  {
    std::vector<std::string> parameters;        ///< adjustable names (WholeBodyModel)
    double prior_sd_log = 1.0;                  ///< sd of ln theta around the population; 0: none
    double bound_factor = 100;                  ///< theta within [pop / f, pop x f]
    double identifiability_threshold = 0.5;     ///< data-only relative standard error
    double relative_tolerance = 1e-10;          ///< of the model runs
    unsigned int max_iterations = 100;
    unsigned int threads = 1;                   ///< model runs in parallel for the derivatives
  };

  struct CalibratedParameter
  {
    std::string name, unit;
    double      population = 0, value = 0; ///< prior mean and fitted value [unit]
    double      sd_log = 0;                ///< posterior sd of ln theta (relative sd)
    double      lower95 = 0, upper95 = 0;  ///< value x exp(-+1.96 sd_log)
    double      data_relative_se = 0;      ///< from the data alone (inf: not informed at all)
    double      prior_variance_removed = 0; ///< 1 - posterior / prior variance (no prior: 1)
    bool        identifiable = false;
  };

  struct CalibrationResult
  {
    std::vector<CalibratedParameter> parameters;
    std::vector<std::vector<double>> covariance_log; ///< posterior covariance of x
    std::vector<std::vector<double>> correlation;
    std::vector<double>              x;              ///< fitted ln theta
    std::vector<double>              fitted_MBq;     ///< the model's activity of every datum at x
    double       chi2_data = 0, chi2_prior = 0;
    unsigned int n_data = 0, iterations = 0, model_runs = 0;
    double       wall_time_s = 0;
    bool         converged = false;
    std::string  solver_message;
  };

  class ModelCalibration
  {
  public:
    /// @p population: the model at the population values (prior means, starting point).
    /// Throws std::invalid_argument for an unknown parameter, a tissue the model lacks or a
    /// parameter whose population value is 0.
    ModelCalibration(const WholeBodyModel &population, std::vector<CalibrationDatum> data,
                     CalibrationSettings settings);

    CalibrationResult run() const;

    /// The model with parameters x (ln theta, in the order of the settings).
    WholeBodyModel model_at(const std::vector<double> &x) const;
    /// Activity [MBq] of every datum's tissue at its time, with parameters x.
    std::vector<double> activities_MBq(const std::vector<double> &x) const;
    /// The population point ln theta_pop.
    const std::vector<double> &population_x() const { return x_pop; }
    const CalibrationSettings &settings() const { return config; }

  private:
    WholeBodyModel                  base;
    std::vector<CalibrationDatum>   data;
    CalibrationSettings             config;
    std::vector<double>             x_pop, x_lower, x_upper;
    std::vector<double>             times_h; ///< distinct data times, increasing
  };

  /// f at every point, @p threads at a time (independent model runs, each its own copy).
  std::vector<std::vector<double>> evaluate_in_parallel(
    const std::function<std::vector<double>(const std::vector<double> &)> &f,
    const std::vector<std::vector<double>> &points, unsigned int threads);

  /// Values of @p f at @p x and their standard deviations by linear propagation of @p covariance
  /// (central differences of step @p step in x; 2 dim(x) + 1 evaluations, @p threads at a time).
  void propagate_uncertainty(const std::function<std::vector<double>(const std::vector<double> &)> &f,
                             const std::vector<double> &x, const std::vector<std::vector<double>> &covariance,
                             std::vector<double> &values, std::vector<double> &sd, double step = 1e-4,
                             unsigned int threads = 1);

  /// Activity [MBq] of tissue @p key in state @p y of @p model (hot ligand of all its pools).
  double tissue_activity_MBq(const WholeBodyModel &model, const std::string &key, const std::vector<double> &y);
} // namespace radiotwin
