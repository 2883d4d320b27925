// RadioTwin: model-based calibration of the whole-body model (model_calibration.h).
#include "coupling/model_calibration.h"

#include <ceres/ceres.h>

#include <Eigen/Dense>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace radiotwin
{
  std::vector<std::vector<double>> evaluate_in_parallel(
    const std::function<std::vector<double>(const std::vector<double> &)> &f,
    const std::vector<std::vector<double>> &points, const unsigned int threads)
  {
    std::vector<std::vector<double>> out(points.size());
    std::atomic<std::size_t>         next{0};
    std::exception_ptr               failure;
    std::mutex                       failure_mutex;
    const auto                       work = [&]() {
      for (std::size_t i = next++; i < points.size(); i = next++)
        try
          {
            out[i] = f(points[i]);
          }
        catch (...)
          {
            std::lock_guard<std::mutex> lock(failure_mutex);
            failure = std::current_exception();
          }
    };
    const unsigned int n = std::max(1u, std::min<unsigned int>(threads, points.size()));
    std::vector<std::thread> pool;
    for (unsigned int t = 1; t < n; ++t)
      pool.emplace_back(work);
    work();
    for (auto &t : pool)
      t.join();
    if (failure)
      std::rethrow_exception(failure);
    return out;
  }

  namespace
  {
    /// Central differences of f at x (one-sided at a bound): the Jacobian, column by column.
    std::vector<std::vector<double>> difference_jacobian(
      const std::function<std::vector<double>(const std::vector<double> &)> &f, const std::vector<double> &x,
      const std::vector<double> &f0, const std::vector<double> &lower, const std::vector<double> &upper,
      const double step, const unsigned int threads)
    {
      std::vector<std::vector<double>> points;
      std::vector<double>              widths;
      for (std::size_t j = 0; j < x.size(); ++j)
        {
          std::vector<double> plus = x, minus = x;
          const bool          up = x[j] + step <= upper[j], down = x[j] - step >= lower[j];
          plus[j] += up ? step : 0;
          minus[j] -= down ? step : 0;
          widths.push_back((up ? step : 0) + (down ? step : 0));
          points.push_back(plus);
          points.push_back(minus);
        }
      const auto values = evaluate_in_parallel(f, points, threads);
      std::vector<std::vector<double>> J(f0.size(), std::vector<double>(x.size(), 0.0));
      for (std::size_t j = 0; j < x.size(); ++j)
        for (std::size_t i = 0; i < f0.size(); ++i)
          J[i][j] = (values[2 * j][i] - values[2 * j + 1][i]) / widths[j];
      return J;
    }

    /// The weighted residuals of the data and the prior, with a Jacobian by differences.
    class CalibrationCost : public ceres::CostFunction
    {
    public:
      CalibrationCost(const ModelCalibration &calibration, const std::vector<CalibrationDatum> &data,
                      const std::vector<double> &lower, const std::vector<double> &upper,
                      std::atomic<unsigned int> &runs)
        : calibration(calibration)
        , data(data)
        , lower(lower)
        , upper(upper)
        , runs(runs)
      {
        mutable_parameter_block_sizes()->push_back(static_cast<int>(lower.size()));
        set_num_residuals(static_cast<int>(data.size() + (prior_sd() > 0 ? lower.size() : 0)));
      }

      bool Evaluate(double const *const *parameters, double *residuals, double **jacobians) const override
      {
        const std::size_t   p = lower.size();
        std::vector<double> x(parameters[0], parameters[0] + p);
        const auto          f = [&](const std::vector<double> &xx) {
          ++runs;
          const auto          a = calibration.activities_MBq(xx);
          std::vector<double> r(data.size());
          for (std::size_t i = 0; i < data.size(); ++i)
            r[i] = (a[i] - data[i].activity_MBq) / data[i].sigma_MBq;
          return r;
        };
        std::vector<double> r;
        try
          {
            r = f(x);
          }
        catch (const std::exception &)
          {
            return false; // outside what the model accepts: Ceres shortens the step
          }
        const double s = prior_sd();
        std::copy(r.begin(), r.end(), residuals);
        if (s > 0)
          for (std::size_t j = 0; j < p; ++j)
            residuals[data.size() + j] = (x[j] - calibration.population_x()[j]) / s;
        if (jacobians != nullptr && jacobians[0] != nullptr)
          {
            std::vector<std::vector<double>> J;
            try
              {
                J = difference_jacobian(f, x, r, lower, upper, 1e-4, calibration.settings().threads);
              }
            catch (const std::exception &)
              {
                return false;
              }
            const std::size_t n = num_residuals();
            std::fill(jacobians[0], jacobians[0] + n * p, 0.0);
            for (std::size_t i = 0; i < data.size(); ++i)
              for (std::size_t j = 0; j < p; ++j)
                jacobians[0][i * p + j] = J[i][j];
            if (s > 0)
              for (std::size_t j = 0; j < p; ++j)
                jacobians[0][(data.size() + j) * p + j] = 1.0 / s;
          }
        return true;
      }

    private:
      double prior_sd() const { return calibration.settings().prior_sd_log; }

      const ModelCalibration &              calibration;
      const std::vector<CalibrationDatum> &data;
      const std::vector<double> &           lower, &upper;
      std::atomic<unsigned int> &           runs;
    };
  } // namespace

  double tissue_activity_MBq(const WholeBodyModel &model, const std::string &key, const std::vector<double> &y)
  {
    const WholeBodyModel::Tissue *t = model.tissue(key);
    if (t == nullptr)
      throw std::invalid_argument("the whole-body model has no tissue '" + key + "'");
    double s = 0;
    for (const unsigned int p : t->pools)
      s += y[model.network().amount(p, CompartmentNetwork::hot)];
    return s * model.activity_MBq_per_nmol();
  }

  ModelCalibration::ModelCalibration(const WholeBodyModel &population, std::vector<CalibrationDatum> data_,
                                     CalibrationSettings settings)
    : base(population)
    , data(std::move(data_))
    , config(std::move(settings))
  {
    if (config.parameters.empty())
      throw std::invalid_argument("no parameter to calibrate");
    if (data.empty())
      throw std::invalid_argument("no measured activity to calibrate to");
    base.set_tolerances(config.relative_tolerance, 1e-12);
    const auto adjustable = base.adjustable_parameters();
    for (const auto &name : config.parameters)
      {
        const double theta = base.parameter(name); // throws for an unknown name
        if (!(theta > 0))
          throw std::invalid_argument("'" + name + "' is 0 in the population model: a parameter is calibrated "
                                      "relative to a positive population value");
        if (std::count(config.parameters.begin(), config.parameters.end(), name) > 1)
          throw std::invalid_argument("'" + name + "' is listed twice");
        const auto a = std::find_if(adjustable.begin(), adjustable.end(), [&](const auto &p) { return p.name == name; });
        x_pop.push_back(std::log(theta));
        x_lower.push_back(std::log(theta / config.bound_factor));
        x_upper.push_back(std::min(std::log(theta * config.bound_factor), std::log(a->upper)));
      }
    for (const auto &d : data)
      {
        if (base.tissue(d.tissue) == nullptr)
          throw std::invalid_argument("the whole-body model has no tissue '" + d.tissue + "'");
        if (!(d.time_h > 0) || !(d.sigma_MBq > 0))
          throw std::invalid_argument("tissue '" + d.tissue + "': every time and uncertainty must be > 0");
        times_h.push_back(d.time_h);
      }
    std::sort(times_h.begin(), times_h.end());
    times_h.erase(std::unique(times_h.begin(), times_h.end()), times_h.end());
  }

  WholeBodyModel ModelCalibration::model_at(const std::vector<double> &x) const
  {
    WholeBodyModel m = base;
    for (std::size_t j = 0; j < x.size(); ++j)
      m.set_parameter(config.parameters[j], std::exp(x[j]));
    return m;
  }

  std::vector<double> ModelCalibration::activities_MBq(const std::vector<double> &x) const
  {
    const WholeBodyModel         m = model_at(x);
    const WholeBodyModel::Result r = m.run(times_h);
    std::vector<double>          a;
    for (const auto &d : data)
      {
        const auto k = std::lower_bound(r.times_h.begin(), r.times_h.end(), d.time_h * (1 - 1e-12)) - r.times_h.begin();
        a.push_back(tissue_activity_MBq(m, d.tissue, r.states.at(k)));
      }
    return a;
  }

  CalibrationResult ModelCalibration::run() const
  {
    const auto                start = std::chrono::steady_clock::now();
    const std::size_t         p     = x_pop.size();
    std::atomic<unsigned int> runs{0};
    CalibrationResult         result;
    result.x = x_pop;
    ceres::Problem problem;
    problem.AddResidualBlock(new CalibrationCost(*this, data, x_lower, x_upper, runs), nullptr, result.x.data());
    for (std::size_t j = 0; j < p; ++j)
      {
        problem.SetParameterLowerBound(result.x.data(), j, x_lower[j]);
        problem.SetParameterUpperBound(result.x.data(), j, x_upper[j]);
      }
    ceres::Solver::Options options;
    options.linear_solver_type = ceres::DENSE_QR;
    options.max_num_iterations = config.max_iterations;
    options.function_tolerance = 1e-12;
    options.parameter_tolerance = 1e-10;
    options.gradient_tolerance  = 1e-12;
    options.logging_type        = ceres::SILENT;
    ceres::Solver::Summary summary;
    ceres::Solve(options, &problem, &summary);
    result.converged      = summary.termination_type == ceres::CONVERGENCE;
    result.solver_message = summary.message;
    result.iterations     = summary.iterations.size() > 0 ? summary.iterations.size() - 1 : 0;
    result.n_data         = data.size();

    // Fisher information at the optimum.
    const auto f = [&](const std::vector<double> &xx) {
      ++runs;
      const auto          a = activities_MBq(xx);
      std::vector<double> r(data.size());
      for (std::size_t i = 0; i < data.size(); ++i)
        r[i] = (a[i] - data[i].activity_MBq) / data[i].sigma_MBq;
      return r;
    };
    const std::vector<double> r0 = f(result.x);
    const auto J = difference_jacobian(f, result.x, r0, x_lower, x_upper, 1e-4, config.threads);
    for (std::size_t i = 0; i < data.size(); ++i)
      {
        result.chi2_data += r0[i] * r0[i];
        result.fitted_MBq.push_back(data[i].activity_MBq + data[i].sigma_MBq * r0[i]);
      }
    Eigen::MatrixXd Fd = Eigen::MatrixXd::Zero(p, p);
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t a = 0; a < p; ++a)
        for (std::size_t b = 0; b < p; ++b)
          Fd(a, b) += J[i][a] * J[i][b];
    const double    s = config.prior_sd_log;
    Eigen::MatrixXd F = Fd;
    if (s > 0)
      for (std::size_t j = 0; j < p; ++j)
        {
          F(j, j) += 1.0 / (s * s);
          result.chi2_prior += std::pow((result.x[j] - x_pop[j]) / s, 2);
        }
    // Pseudo-inverses by eigenvalues: directions without information get infinite variance.
    const auto pseudo_inverse_diagonal_and_matrix = [](const Eigen::MatrixXd &M, Eigen::MatrixXd &inverse) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(M);
      const double largest = std::max(eig.eigenvalues().cwiseAbs().maxCoeff(), 1e-300);
      inverse              = Eigen::MatrixXd::Zero(M.rows(), M.cols());
      Eigen::VectorXd diagonal = Eigen::VectorXd::Zero(M.rows());
      for (int k = 0; k < M.rows(); ++k)
        {
          const Eigen::VectorXd v = eig.eigenvectors().col(k);
          if (eig.eigenvalues()(k) > 1e-12 * largest)
            inverse += v * v.transpose() / eig.eigenvalues()(k);
          else
            for (int j = 0; j < M.rows(); ++j)
              if (std::abs(v(j)) > 1e-6)
                diagonal(j) = std::numeric_limits<double>::infinity();
        }
      return Eigen::VectorXd(inverse.diagonal() + diagonal);
    };
    Eigen::MatrixXd C, Cd;
    const Eigen::VectorXd var      = pseudo_inverse_diagonal_and_matrix(F, C);
    const Eigen::VectorXd var_data = pseudo_inverse_diagonal_and_matrix(Fd, Cd);
    result.covariance_log.assign(p, std::vector<double>(p, 0.0));
    result.correlation.assign(p, std::vector<double>(p, 0.0));
    const auto adjustable = base.adjustable_parameters();
    for (std::size_t a = 0; a < p; ++a)
      {
        for (std::size_t b = 0; b < p; ++b)
          {
            result.covariance_log[a][b] = C(a, b);
            result.correlation[a][b]    = C(a, b) / std::sqrt(C(a, a) * C(b, b));
          }
        CalibratedParameter cp;
        cp.name = config.parameters[a];
        for (const auto &adj : adjustable)
          if (adj.name == cp.name)
            cp.unit = adj.unit;
        cp.population             = std::exp(x_pop[a]);
        cp.value                  = std::exp(result.x[a]);
        cp.sd_log                 = std::sqrt(var(a));
        cp.lower95                = cp.value * std::exp(-1.96 * cp.sd_log);
        cp.upper95                = cp.value * std::exp(1.96 * cp.sd_log);
        cp.data_relative_se       = std::sqrt(var_data(a));
        cp.prior_variance_removed = s > 0 ? 1 - var(a) / (s * s) : 1;
        cp.identifiable           = cp.data_relative_se < config.identifiability_threshold;
        result.parameters.push_back(cp);
      }
    result.model_runs  = runs;
    result.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  void propagate_uncertainty(const std::function<std::vector<double>(const std::vector<double> &)> &f,
                             const std::vector<double> &x, const std::vector<std::vector<double>> &covariance,
                             std::vector<double> &values, std::vector<double> &sd, const double step,
                             const unsigned int threads)
  {
    values = f(x);
    const std::vector<double> none_lower(x.size(), -1e300), none_upper(x.size(), 1e300);
    const auto J = difference_jacobian(f, x, values, none_lower, none_upper, step, threads);
    sd.assign(values.size(), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i)
      {
        double v = 0;
        for (std::size_t a = 0; a < x.size(); ++a)
          for (std::size_t b = 0; b < x.size(); ++b)
            v += J[i][a] * covariance[a][b] * J[i][b];
        sd[i] = std::sqrt(std::max(v, 0.0));
      }
  }
} // namespace radiotwin
