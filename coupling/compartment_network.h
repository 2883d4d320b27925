// RadioTwin: a network of well-mixed pools of hot (radiolabelled) and cold ligand, with
// first-order transfers, saturable receptor binding (section 3 kinetics), physical decay that
// moves hot into cold in every pool, and accumulators evaluated alongside (time-integrated
// amounts; absorbed dose and Lea-Catcheside BED). Integrated by SUNDIALS CVODE (BDF, dense
// direct solver, analytic Jacobian): stiff-stable for binding rates of ~10/min over weeks.
//
// The whole-body PBRPK model builds one; tests build small ones with closed forms.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace radiotwin
{
  class CompartmentNetwork
  {
  public:
    static constexpr unsigned int hot = 0, cold = 1;

    /// A pool of the given volume [L] (0 for sinks such as urine); returns its index.
    unsigned int add_pool(const std::string &name, double volume_L);
    /// Transfer k A_from [nmol/min] from one pool to another, for both species.
    void add_transfer(unsigned int from, unsigned int to, double k_per_min);
    /// Binding of free ligand (concentration A_free/V_free) to receptors that become the
    /// bound pool: k_on c R_free - k_off A_bound, R_free = R0 - A_bound,hot - A_bound,cold.
    void add_binding(unsigned int free_pool, unsigned int bound_pool, double receptors_nmol,
                     double k_on_L_per_nmol_min, double k_off_per_min);
    /// Physical decay constant [1/min] (0: stable).
    void set_decay(double lambda_per_min) { decay = lambda_per_min; }
    /// Accumulator of the time integral of the hot amount in these pools [nmol min].
    unsigned int add_integral(const std::vector<unsigned int> &pools);
    /// Accumulators of absorbed dose D [Gy], repair-weighted dose Q [Gy] and I = int Ddot Q
    /// [Gy^2], with Ddot = sum w_p A_hot,p (w in Gy/min per nmol) and dQ/dt = Ddot - mu Q.
    /// BED = D + 2 I / (alpha/beta).
    unsigned int add_dose_tracker(const std::vector<std::pair<unsigned int, double>> &weights,
                                  double repair_rate_per_min);

    unsigned int n_pools() const { return pools.size(); }
    unsigned int n_states() const;
    const std::string &pool_name(const unsigned int p) const { return pools[p].name; }
    double pool_volume(const unsigned int p) const { return pools[p].volume; }
    unsigned int amount(const unsigned int pool, const unsigned int species) const
    {
      return 2 * pool + species;
    }
    /// State index of the cumulative amount of hot ligand that has decayed [nmol].
    unsigned int decayed() const { return 2 * pools.size(); }
    unsigned int integral(const unsigned int k) const { return 2 * pools.size() + 1 + k; }
    unsigned int dose(const unsigned int k) const
    {
      return 2 * pools.size() + 1 + integrals.size() + 3 * k;
    }

    /// dy/dt for state y and external sources [nmol/min per state].
    void rhs(const double *y, const double *source, double *ydot) const;
    /// Dense Jacobian d(dy/dt)/dy, column-major accessor J(i, j).
    template <typename Accessor>
    void jacobian(const double *y, Accessor &&J) const;

  private:
    struct Pool
    {
      std::string name;
      double      volume;
    };
    struct Transfer
    {
      unsigned int from, to;
      double       k;
    };
    struct Binding
    {
      unsigned int free_pool, bound_pool;
      double       receptors, k_on, k_off;
    };
    struct DoseTracker
    {
      std::vector<std::pair<unsigned int, double>> weights;
      double                                       mu;
    };
    std::vector<Pool>                      pools;
    std::vector<Transfer>                  transfers;
    std::vector<Binding>                   bindings;
    std::vector<std::vector<unsigned int>> integrals;
    std::vector<DoseTracker>               doses;
    double                                 decay = 0;
  };

  /// CVODE (BDF, dense) on a CompartmentNetwork, with piecewise-constant sources so that
  /// boluses and infusions start and stop exactly at their times.
  class NetworkIntegrator
  {
  public:
    NetworkIntegrator(const CompartmentNetwork &network, double relative_tolerance,
                      double absolute_tolerance, unsigned long max_steps = 1000000);
    ~NetworkIntegrator();
    NetworkIntegrator(const NetworkIntegrator &) = delete;
    NetworkIntegrator &operator=(const NetworkIntegrator &) = delete;

    /// Restart at time t [min] from state y (after a bolus, or when sources change).
    void reset(double t_min, const std::vector<double> &y, const std::vector<double> &source);
    /// The state at t [min], integrating as far as needed but never beyond stop [min]
    /// (the next discontinuity); between steps CVODE interpolates, so output times cost
    /// nothing.
    const std::vector<double> &advance_to(double t_min, double stop_min);

    unsigned long n_steps() const;
    unsigned long n_rhs_evaluations() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl;
  };
} // namespace radiotwin
