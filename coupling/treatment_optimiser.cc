// RadioTwin: the radiobiological optimiser (treatment_optimiser.h).
#include "coupling/treatment_optimiser.h"

#include <nlopt.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

#include "coupling/model_calibration.h"

namespace radiotwin
{
  namespace
  {
    /// Total dose and BED [Gy] of a tissue in the final state.
    std::pair<double, double> dose_and_bed(const WholeBodyModel &m, const WholeBodyModel::Tissue &t,
                                           const std::vector<double> &y)
    {
      const auto terms = m.dose_terms(t, y);
      return {terms[0], WholeBodyModel::bed_Gy(t, terms[0], terms[1])};
    }
  } // namespace

  TreatmentOptimiser::TreatmentOptimiser(const WholeBodyModel &patient, PlanSettings settings)
    : model(patient)
    , config(std::move(settings))
  {
    model.set_tolerances(config.relative_tolerance, 1e-12);
    if (config.targets.empty())
      throw std::invalid_argument("no target lesion");
    if (config.cycles == 0)
      throw std::invalid_argument("no cycle to plan");
    for (const auto &t : config.targets)
      if (!model.is_lesion(t) || model.tissue(t) == nullptr || model.tissue(t)->dose_tracker < 0)
        throw std::invalid_argument("'" + t + "' is not a lesion of the whole-body model");
    for (const auto &l : config.limits)
      {
        const auto *t = model.tissue(l.tissue);
        if (t == nullptr || t->dose_tracker < 0)
          throw std::invalid_argument("'" + l.tissue + "' is not a tissue of the whole-body model with a dose");
        if (l.bed && !(t->alpha_beta_Gy > 0))
          throw std::invalid_argument("'" + l.tissue + "' has no radiobiology ('Radiobiology/Tissues') for its BED");
        if (!(l.limit_Gy > 0))
          throw std::invalid_argument("the limit of '" + l.tissue + "' must be > 0 Gy");
      }
  }

  std::vector<double> TreatmentOptimiser::expand(const std::vector<double> &x_GBq) const
  {
    std::vector<double> a;
    for (unsigned int c = 0; c < config.cycles; ++c)
      a.push_back(1e3 * std::max(0.0, x_GBq[config.equal_activities ? 0 : c]));
    return a;
  }

  std::vector<double> TreatmentOptimiser::quantities(const std::vector<double> &activities_MBq) const
  {
    const PlanOutcome   o = evaluate(activities_MBq);
    std::vector<double> out{o.objective_BED_Gy};
    out.insert(out.end(), o.limit_values_Gy.begin(), o.limit_values_Gy.end());
    return out;
  }

  PlanOutcome TreatmentOptimiser::evaluate(const std::vector<double> &activities_MBq) const
  {
    WholeBodyModel m = model;
    m.set_plan(activities_MBq, config.interval_h, config.fixed_peptide);
    const WholeBodyModel::Result run = m.run(std::vector<double>{activities_MBq.size() * config.interval_h});
    const std::vector<double> &  y   = run.states.back();
    PlanOutcome out;
    out.activities_MBq = activities_MBq;
    for (const auto &t : m.tissues())
      if (t.dose_tracker >= 0)
        out.tissues.emplace_back(t.key, dose_and_bed(m, t, y));
    for (const auto &t : config.targets)
      out.objective_BED_Gy += dose_and_bed(m, *m.tissue(t), y).second / config.targets.size();
    for (const auto &l : config.limits)
      {
        const auto v = dose_and_bed(m, *m.tissue(l.tissue), y);
        out.limit_values_Gy.push_back(l.bed ? v.second : v.first);
        out.feasible = out.feasible && out.limit_values_Gy.back() <= l.limit_Gy * (1 + 1e-6);
      }
    return out;
  }

  PlanOutcome TreatmentOptimiser::optimise(const std::vector<double> &start_MBq) const
  {
    const unsigned int  n = config.equal_activities ? 1 : config.cycles;
    const double        upper = config.max_activity_MBq * 1e-3; // GBq
    std::vector<double> x(n);
    for (unsigned int i = 0; i < n; ++i)
      x[i] = std::clamp(start_MBq.at(std::min<std::size_t>(i, start_MBq.size() - 1)) * 1e-3, 0.0, upper);

    // One model run gives the objective and every limit; the gradients come from 2 n more,
    // cached for the constraint call that follows the objective's at the same point.
    struct Cache
    {
      std::vector<double>              x, values;
      std::vector<std::vector<double>> gradient; // [quantity][variable]
    } cache;
    std::atomic<unsigned int> runs{0};
    const auto f = [&](const std::vector<double> &xx) {
      ++runs;
      return quantities(expand(xx));
    };
    const double step = 1e-3; // GBq
    const auto   at   = [&](const std::vector<double> &xx, const bool need_gradient) -> const Cache & {
      if (xx != cache.x || (need_gradient && cache.gradient.empty()))
        {
          cache.x = xx;
          cache.gradient.clear();
          if (!need_gradient)
            cache.values = f(xx);
          else
            {
              std::vector<std::vector<double>> points{xx};
              std::vector<double>              width;
              for (unsigned int i = 0; i < n; ++i)
                {
                  auto plus = xx, minus = xx;
                  const bool up = xx[i] + step <= upper, down = xx[i] - step >= 0;
                  plus[i] += up ? step : 0;
                  minus[i] -= down ? step : 0;
                  width.push_back((up ? step : 0) + (down ? step : 0));
                  points.push_back(plus);
                  points.push_back(minus);
                }
              const auto v = evaluate_in_parallel(f, points, config.threads);
              cache.values = v[0];
              cache.gradient.assign(cache.values.size(), std::vector<double>(n, 0.0));
              for (std::size_t q = 0; q < cache.values.size(); ++q)
                for (unsigned int i = 0; i < n; ++i)
                  cache.gradient[q][i] = (v[1 + 2 * i][q] - v[2 + 2 * i][q]) / width[i];
            }
        }
      return cache;
    };

    nlopt::opt opt(nlopt::LD_SLSQP, n);
    opt.set_lower_bounds(std::vector<double>(n, 0.0));
    opt.set_upper_bounds(std::vector<double>(n, upper));
    using Objective = std::function<double(const std::vector<double> &, std::vector<double> &)>;
    Objective objective = [&](const std::vector<double> &xx, std::vector<double> &grad) {
      const Cache &c = at(xx, !grad.empty());
      if (!grad.empty())
        grad = c.gradient[0];
      return c.values[0];
    };
    opt.set_max_objective(
      [](const std::vector<double> &xx, std::vector<double> &grad, void *data) {
        return (*static_cast<Objective *>(data))(xx, grad);
      },
      &objective);
    using Constraints = std::function<void(unsigned, double *, unsigned, const double *, double *)>;
    Constraints constraints = [&](const unsigned m, double *result, const unsigned nn, const double *xx,
                                  double *grad) {
      const Cache &c = at(std::vector<double>(xx, xx + nn), grad != nullptr);
      for (unsigned j = 0; j < m; ++j)
        {
          const double limit = config.limits[j].limit_Gy;
          result[j]          = c.values[1 + j] / limit - 1;
          if (grad != nullptr)
            for (unsigned i = 0; i < nn; ++i)
              grad[j * nn + i] = c.gradient[1 + j][i] / limit;
        }
    };
    if (!config.limits.empty())
      opt.add_inequality_mconstraint(
        [](unsigned m, double *result, unsigned nn, const double *xx, double *grad, void *data) {
          (*static_cast<Constraints *>(data))(m, result, nn, xx, grad);
        },
        &constraints, std::vector<double>(config.limits.size(), 1e-10));
    opt.set_xtol_rel(config.optimality_tolerance);
    opt.set_ftol_rel(1e-12);
    opt.set_maxeval(300);
    std::string status;
    double      best = 0;
    try
      {
        const nlopt::result r = opt.optimize(x, best);
        status = r == nlopt::XTOL_REACHED ? "converged (plan tolerance)" :
                 r == nlopt::FTOL_REACHED ? "converged (objective tolerance)" :
                 r == nlopt::MAXEVAL_REACHED ? "stopped at 300 evaluations" : "converged";
      }
    catch (const nlopt::roundoff_limited &)
      {
        status = "converged to round-off";
      }
    catch (const std::exception &e)
      {
        status = std::string("failed: ") + e.what();
      }
    PlanOutcome out = evaluate(expand(x));
    out.evaluations = runs;
    out.status      = status;
    return out;
  }
} // namespace radiotwin
