// RadioTwin: sums of exponentials fitted to time-activity points (tac_fit.h).
//
// Ceres minimises the weighted residuals over internal parameters that keep the model
// physical and identifiable: log-amplitudes, and the logs of the biological rate and of the
// gaps between successive rates (so k1 >= lambda_phys and k1 < k2 < k3). Several starts per
// model (from a log-linear fit) guard against local minima. The covariance of the internal
// parameters (Ceres, J^T J inverse of the weighted residuals) is carried to the amplitudes,
// rates and TIA by the delta method.
#include "coupling/tac_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace radiotwin
{
  std::string to_string(const TacModel model)
  {
    switch (model)
      {
        case TacModel::mono:
          return "mono";
        case TacModel::bi:
          return "bi";
        case TacModel::tri:
          return "tri";
        case TacModel::uptake:
          return "uptake";
      }
    return "";
  }

  TacModel tac_model_from_string(const std::string &name)
  {
    for (const TacModel m : {TacModel::mono, TacModel::bi, TacModel::tri, TacModel::uptake})
      if (to_string(m) == name)
        return m;
    throw std::invalid_argument("unknown curve model '" + name + "' (mono, bi, tri, uptake)");
  }

  unsigned int n_parameters(const TacModel model)
  {
    return model == TacModel::mono ? 2 : model == TacModel::bi ? 4 : model == TacModel::tri ? 6 : 3;
  }

  namespace
  {
    /// Amplitudes and effective rates from the internal parameters p.
    template <typename T>
    void natural(const TacModel model, const T *p, const double lambda, T *a, T *k, unsigned int &n_terms)
    {
      using std::exp;
      if (model == TacModel::uptake)
        {
          n_terms = 2;
          a[0]    = exp(p[0]);
          a[1]    = -a[0];
          k[0]    = T(lambda) + exp(p[1]);
          k[1]    = k[0] + exp(p[2]);
          return;
        }
      n_terms = n_parameters(model) / 2;
      for (unsigned int j = 0; j < n_terms; ++j)
        {
          a[j] = exp(p[2 * j]);
          k[j] = (j == 0 ? T(lambda) : k[j - 1]) + exp(p[2 * j + 1]);
        }
    }

    struct Residuals
    {
      const std::vector<TacPoint> *points;
      TacModel                     model;
      double                       lambda;
      template <typename T>
      bool operator()(T const *const *parameters, T *residuals) const
      {
        T            a[3], k[3];
        unsigned int n = 0;
        natural(model, parameters[0], lambda, a, k, n);
        for (std::size_t i = 0; i < points->size(); ++i)
          {
            const TacPoint &pt = (*points)[i];
            T               value(0.0);
            for (unsigned int j = 0; j < n; ++j)
              value += a[j] * exp(-k[j] * pt.time_h);
            residuals[i] = (value - pt.activity_MBq) / pt.sigma_MBq;
          }
        return true;
      }
    };

    /// log-linear fit of the positive points: A ~ a e^(-k t).
    void log_linear(const std::vector<TacPoint> &points, double &a, double &k)
    {
      double sw = 0, st = 0, sy = 0, stt = 0, sty = 0;
      for (const auto &p : points)
        if (p.activity_MBq > 0)
          {
            const double y = std::log(p.activity_MBq);
            sw += 1;
            st += p.time_h;
            sy += y;
            stt += p.time_h * p.time_h;
            sty += p.time_h * y;
          }
      const double det = sw * stt - st * st;
      k                = det > 0 ? -(sw * sty - st * sy) / det : 0;
      a                = std::exp(det > 0 ? (sy + k * st) / sw : (sw > 0 ? sy / sw : 0.0));
    }

    double tia_of(const double *a, const double *k, const unsigned int n)
    {
      double s = 0;
      for (unsigned int j = 0; j < n; ++j)
        s += a[j] / k[j];
      return s;
    }
  } // namespace

  double TacFit::activity_MBq(const double t_h) const
  {
    double s = 0;
    for (std::size_t j = 0; j < amplitudes_MBq.size(); ++j)
      s += amplitudes_MBq[j] * std::exp(-rates_per_h[j] * t_h);
    return s;
  }

  double TacFit::bed_Gy(const double Gy_per_MBq_h, const double mu_per_h, const double alpha_beta_Gy) const
  {
    const double D = dose_Gy(Gy_per_MBq_h);
    if (alpha_beta_Gy <= 0)
      return D;
    // Ddot = sum c_j e^(-k_j t): int Ddot(t) int_0^t Ddot(s) e^(-mu (t - s)) ds dt
    //      = sum_j sum_k c_j c_k / ((k_j + k_k) (k_j + mu))
    double I = 0;
    for (std::size_t j = 0; j < rates_per_h.size(); ++j)
      for (std::size_t k = 0; k < rates_per_h.size(); ++k)
        I += Gy_per_MBq_h * amplitudes_MBq[j] * Gy_per_MBq_h * amplitudes_MBq[k] /
             ((rates_per_h[j] + rates_per_h[k]) * (rates_per_h[j] + mu_per_h));
    return D + 2 * I / alpha_beta_Gy;
  }

  TacFit fit_tac(const std::vector<TacPoint> &points, const TacModel model, const double lambda)
  {
    TacFit fit;
    fit.model    = model;
    fit.n_points = points.size();
    const unsigned int K = n_parameters(model);
    if (points.size() < K + 1)
      return fit; // at least one degree of freedom

    double a0 = 0, k0 = 0;
    log_linear(points, a0, k0);
    const double b0     = std::max(k0 - lambda, 1e-4);
    const double t_last = points.back().time_h;
    double       a_max  = 0;
    for (const auto &pt : points)
      a_max = std::max(a_max, pt.activity_MBq);
    // Starts: curve stripping (the classical initial estimate of pharmacokinetics), then the
    // fast rates at several multiples of the slow one.
    std::vector<std::vector<double>> starts;
    const auto internal = [&](const std::vector<double> &a, const std::vector<double> &k) {
      std::vector<double> p;
      for (std::size_t j = 0; j < a.size(); ++j)
        {
          p.push_back(std::log(std::max(a[j], 1e-6 * a_max)));
          p.push_back(std::log(std::max(k[j] - (j == 0 ? lambda : k[j - 1]), 1e-6)));
        }
      return p;
    };
    if (model == TacModel::bi || model == TacModel::tri)
      {
        // Slowest first: a log-linear fit to the last group of points, subtracted from all.
        const unsigned int  n = K / 2, N = points.size();
        std::vector<double> rest(N), a(n), k(n);
        for (unsigned int i = 0; i < N; ++i)
          rest[i] = points[i].activity_MBq;
        for (unsigned int j = 0; j < n; ++j)
          {
            const unsigned int    begin = N - std::min<unsigned int>(N, (j + 1) * N / n);
            const unsigned int    end   = N - j * N / n;
            std::vector<TacPoint> group;
            for (unsigned int i = begin; i < std::max(end, begin + 2) && i < N; ++i)
              group.push_back({points[i].time_h, rest[i], 1.0});
            log_linear(group, a[j], k[j]);
            k[j] = std::max(k[j], j == 0 ? lambda + 1e-4 : 1.5 * k[j - 1]);
            for (unsigned int i = 0; i < N; ++i)
              rest[i] -= a[j] * std::exp(-k[j] * points[i].time_h);
          }
        starts.push_back(internal(a, k));
      }
    for (const double spread : {3.0, 10.0, 30.0})
      {
        std::vector<double> p;
        if (model == TacModel::mono)
          p = {std::log(a0), std::log(b0)};
        else if (model == TacModel::uptake)
          p = {std::log(1.5 * a0), std::log(b0), std::log(spread * (b0 + lambda) + 1.0 / t_last)};
        else
          {
            const unsigned int n = K / 2;
            double             k = lambda + 0.5 * b0;
            for (unsigned int j = 0; j < n; ++j)
              {
                p.push_back(std::log(a0 / n));
                const double next = j == 0 ? 0.5 * b0 : (spread - 1) * k;
                p.push_back(std::log(next));
                k += j == 0 ? 0 : next;
              }
          }
        starts.push_back(p);
        if (model == TacModel::mono)
          break;
      }

    // The weighted residuals of the points as a function of the parameter block p.
    const auto add_residuals = [&](ceres::Problem &problem, std::vector<double> &p) {
      auto *cost = new ceres::DynamicAutoDiffCostFunction<Residuals, 8>(new Residuals{&points, model, lambda});
      cost->AddParameterBlock(K);
      cost->SetNumResiduals(points.size());
      problem.AddResidualBlock(cost, nullptr, p.data());
    };
    double              best_cost = std::numeric_limits<double>::infinity();
    std::vector<double> best;
    for (auto p : starts)
      {
        ceres::Problem problem;
        add_residuals(problem, p);
        // Keep the logs finite: rates between 1e-9 and 1e3 per hour beyond decay.
        // and amplitudes below 1000 times the largest measured activity (a fast phase seen at
        // one point only could otherwise trade amplitude against rate without end).
        for (unsigned int i = 0; i < K; ++i)
          {
            const bool rate = model == TacModel::uptake ? i > 0 : i % 2 == 1;
            problem.SetParameterLowerBound(p.data(), i, rate ? std::log(1e-9) : std::log(1e-9 * a_max));
            problem.SetParameterUpperBound(p.data(), i, rate ? std::log(1e3) : std::log(1e3 * a_max));
            p[i] = std::min(std::max(p[i], problem.GetParameterLowerBound(p.data(), i)),
                            problem.GetParameterUpperBound(p.data(), i));
          }
        ceres::Solver::Options options;
        options.max_num_iterations        = 500;
        options.function_tolerance        = 1e-14;
        options.gradient_tolerance        = 1e-14;
        options.parameter_tolerance       = 1e-12;
        options.logging_type              = ceres::SILENT;
        ceres::Solver::Summary summary;
        ceres::Solve(options, &problem, &summary);
        if (summary.IsSolutionUsable() && summary.final_cost < best_cost)
          {
            best_cost = summary.final_cost;
            best      = p;
          }
      }
    if (best.empty())
      return fit;

    // Natural parameters and their covariance.
    double       a[3], k[3];
    unsigned int n = 0;
    natural(model, best.data(), lambda, a, k, n);
    fit.amplitudes_MBq.assign(a, a + n);
    fit.rates_per_h.assign(k, k + n);
    fit.chi2 = 2 * best_cost;
    // Known sigma: AIC = chi^2 + 2K; AICc adds 2K(K+1)/(n-K-1), defined for n > K + 1.
    fit.aic  = fit.chi2 + 2.0 * K;
    fit.aicc = points.size() > K + 1 ? fit.aic + 2.0 * K * (K + 1) / (double(points.size()) - K - 1) :
                                       std::numeric_limits<double>::quiet_NaN();
    fit.tia_MBq_h = tia_of(a, k, n);

    ceres::Problem problem;
    add_residuals(problem, best);
    ceres::Covariance::Options       covariance_options;
    covariance_options.algorithm_type = ceres::DENSE_SVD;
    covariance_options.null_space_rank = -1;
    ceres::Covariance                covariance(covariance_options);
    std::vector<std::pair<const double *, const double *>> blocks = {{best.data(), best.data()}};
    std::vector<double> C(K * K, 0.0);
    const bool have_covariance = covariance.Compute(blocks, &problem) &&
                                 covariance.GetCovarianceBlock(best.data(), best.data(), C.data());
    // Delta method: derivatives of (a, k) and TIA with respect to p by central differences.
    const unsigned int  m = 2 * n;
    std::vector<double> G(m * K), g_tia(K);
    for (unsigned int i = 0; i < K; ++i)
      {
        const double        h = 1e-6 * std::max(1.0, std::abs(best[i]));
        std::vector<double> plus = best, minus = best;
        plus[i] += h;
        minus[i] -= h;
        double       ap[3], kp[3], am[3], km[3];
        unsigned int nn = 0;
        natural(model, plus.data(), lambda, ap, kp, nn);
        natural(model, minus.data(), lambda, am, km, nn);
        for (unsigned int j = 0; j < n; ++j)
          {
            G[j * K + i]       = (ap[j] - am[j]) / (2 * h);
            G[(n + j) * K + i] = (kp[j] - km[j]) / (2 * h);
          }
        g_tia[i] = (tia_of(ap, kp, n) - tia_of(am, km, n)) / (2 * h);
      }
    fit.covariance.assign(m, std::vector<double>(m, 0.0));
    double var_tia = 0;
    for (unsigned int r = 0; r < K; ++r)
      for (unsigned int c = 0; c < K; ++c)
        {
          var_tia += g_tia[r] * C[r * K + c] * g_tia[c];
          for (unsigned int x = 0; x < m; ++x)
            for (unsigned int y = 0; y < m; ++y)
              fit.covariance[x][y] += G[x * K + r] * C[r * K + c] * G[y * K + c];
        }
    fit.tia_sd_MBq_h = std::sqrt(std::max(var_tia, 0.0));
    fit.converged    = have_covariance;
    return fit;
  }

  std::vector<TacFit> fit_tac_models(const std::vector<TacPoint> &points, const std::vector<TacModel> &candidates,
                                     const double lambda)
  {
    std::vector<TacFit> fits;
    for (const TacModel m : candidates)
      if (TacFit f = fit_tac(points, m, lambda); f.converged)
        fits.push_back(f);
    // AICc where every fitted model has it; with too few points for one of them (bi with five
    // points), all are ranked by AIC.
    const bool corrected = std::none_of(fits.begin(), fits.end(), [](const TacFit &f) { return std::isnan(f.aicc); });
    for (auto &f : fits)
      f.criterion = corrected ? f.aicc : f.aic;
    std::stable_sort(fits.begin(), fits.end(), [](const TacFit &x, const TacFit &y) { return x.criterion < y.criterion; });
    return fits;
  }
} // namespace radiotwin
