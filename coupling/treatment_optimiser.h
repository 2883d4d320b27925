// RadioTwin: the radiobiological optimiser (docs/optimiser.md, issue 21 point 3): the activity
// of each cycle chosen to maximise the tumour BED of one (calibrated or population) patient on
// the whole-body model, subject to organ-at-risk limits over the whole treatment.
//
//   maximise   mean over the target lesions of BED_l(A_1, ..., A_N)
//   subject to Q_j(A) <= limit_j   (kidney BED, red-marrow dose, salivary dose, ...)
//              0 <= A_c <= A_max
//
// NLopt's SLSQP (sequential quadratic programming) with gradients by central differences over
// model runs in parallel; the model is integrated over the N cycles to N x the interval.
#pragma once

#include <string>
#include <vector>

#include "coupling/whole_body_model.h"

namespace radiotwin
{
  /// An organ-at-risk limit: the tissue's total absorbed dose or BED over the treatment.
  struct OrganLimit
  {
    std::string tissue;
    bool        bed = true; ///< BED, else absorbed dose
    double      limit_Gy = 0;
  };

  struct PlanSettings
  {
    std::vector<std::string> targets;  ///< lesions whose mean BED is maximised
    std::vector<OrganLimit>  limits;
    unsigned int             cycles = 6;
    double                   interval_h = 1008;
    double                   max_activity_MBq = 15000; ///< per cycle
    bool                     equal_activities = false; ///< one activity for every cycle
    bool                     fixed_peptide = false;    ///< total ligand per cycle fixed
    double                   relative_tolerance = 1e-10; ///< of the model runs
    double                   optimality_tolerance = 1e-7; ///< relative change of the plan
    unsigned int             threads = 1;
  };

  /// What a plan gives: per tissue total dose and BED, the objective and every limit's use.
  struct PlanOutcome
  {
    std::vector<double> activities_MBq;
    double              objective_BED_Gy = 0;  ///< mean BED of the targets
    std::vector<std::pair<std::string, std::pair<double, double>>> tissues; ///< key -> (dose, BED) [Gy]
    std::vector<double> limit_values_Gy;       ///< in the order of the settings' limits
    bool                feasible = true;
    unsigned int        evaluations = 0;       ///< model runs (optimisation only)
    std::string         status;                ///< the optimiser's result
  };

  class TreatmentOptimiser
  {
  public:
    /// Throws std::invalid_argument for an unknown target or limit tissue, a limit without a
    /// radiobiology for its BED, or no target.
    TreatmentOptimiser(const WholeBodyModel &patient, PlanSettings settings);

    /// The outcome of a given plan (activities per cycle [MBq]).
    PlanOutcome evaluate(const std::vector<double> &activities_MBq) const;
    /// The best plan from @p start (activities per cycle [MBq]; clipped to the bounds).
    PlanOutcome optimise(const std::vector<double> &start_MBq) const;
    const PlanSettings &settings() const { return config; }
    PlanSettings &      settings() { return config; }

  private:
    /// Objective, then every limit's value, for a plan.
    std::vector<double> quantities(const std::vector<double> &activities_MBq) const;
    std::vector<double> expand(const std::vector<double> &x_GBq) const;

    WholeBodyModel model;
    PlanSettings   config;
  };
} // namespace radiotwin
