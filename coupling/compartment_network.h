// RadioTwin: a network of well-mixed pools of hot (radiolabelled) and cold ligand, with
// first-order transfers, saturable receptor binding (section 3 kinetics), physical decay that
// moves hot into cold in every pool, and accumulators evaluated alongside (time-integrated
// amounts; absorbed dose and Lea-Catcheside BED). Integrated by SUNDIALS CVODE (BDF, analytic
// Jacobian, sparse KLU direct solver by default): stiff-stable for binding rates of ~10/min
// over weeks.
//
// The whole-body PBRPK model builds one; tests build small ones with closed forms.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace radiotwin
{
  /// Kinetics given as a right-hand side over some of a network's states instead of its
  /// transfers and bindings: an imported model (SBML, sbml_whole_body.h). Its variables are
  /// amounts of pools (hot and cold ligand) and states of its own (extra states).
  class ImportedKinetics
  {
  public:
    virtual ~ImportedKinetics() = default;
    virtual unsigned int n_variables() const = 0;
    /// dx/dt [per min] at time t [min].
    virtual void rhs(double t_min, const double *x, double *xdot) const = 0;
    /// For each variable j, the variables whose derivative depends on it (the Jacobian's
    /// pattern; difference quotients fill it).
    virtual const std::vector<std::vector<unsigned int>> &dependents() const = 0;
  };

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
    /// States that belong to no pool (an imported model's own variables), placed after the
    /// pools' amounts; add them after the pools. Returns the index of the first.
    unsigned int add_extra_states(unsigned int n);
    unsigned int extra(const unsigned int k) const { return 2 * pools.size() + k; }
    /// Imported kinetics whose variable k is the network's state @p state_of_variable[k];
    /// added to the transfers, bindings and decay.
    void set_imported_kinetics(std::shared_ptr<const ImportedKinetics> kinetics,
                               std::vector<unsigned int> state_of_variable);
    /// Physical decay constant [1/min] (0: stable).
    void set_decay(double lambda_per_min) { decay = lambda_per_min; }
    /// Leave a pool out of the network's decay (imported kinetics that decay it themselves).
    void exclude_from_decay(const unsigned int pool)
    {
      decay_excluded.resize(pools.size(), false);
      decay_excluded[pool] = true;
    }
    /// Accumulator of the time integral of the hot amount in these pools [nmol min].
    unsigned int add_integral(const std::vector<unsigned int> &pools);
    /// Accumulators of absorbed dose D [Gy], repair-weighted dose Q [Gy] and I = int Ddot Q
    /// [Gy^2], with Ddot = sum w_p A_hot,p (w in Gy/min per nmol) and dQ/dt = Ddot - mu Q.
    /// BED = D + 2 I / (alpha/beta).
    unsigned int add_dose_tracker(const std::vector<std::pair<unsigned int, double>> &weights,
                                  double repair_rate_per_min);
    /// An absorbed-dose rate [Gy/min] added to a dose tracker from outside the network (the
    /// meshed lesion of a coupled run irradiating the marrow); piecewise constant in time.
    void set_external_dose_rate(unsigned int tracker, double Gy_per_min);

    /// Coupling to a model outside the network (the meshed tumour): a flux k A_source,s into
    /// the target pool's species t, taken from nowhere (k may be negative; into the source
    /// pool itself it is a loss). What the network gains or loses this way is the outside
    /// model's business: the coupled system conserves, the network alone does not. Returns
    /// an index for set_linear_flux_rate().
    unsigned int add_linear_flux(unsigned int source_pool, unsigned int source_species,
                                 unsigned int target_pool, unsigned int target_species,
                                 double k_per_min);
    void         set_linear_flux_rate(unsigned int index, double k_per_min);
    /// Accumulators of int A_pool dt [nmol min] for hot and cold ligand, without decay: the
    /// time mean of the pool's concentration over a step follows exactly from them.
    unsigned int add_amount_integral(unsigned int pool);

    unsigned int n_pools() const { return pools.size(); }
    unsigned int n_states() const;
    const std::string &pool_name(const unsigned int p) const { return pools[p].name; }
    double pool_volume(const unsigned int p) const { return pools[p].volume; }
    unsigned int amount(const unsigned int pool, const unsigned int species) const
    {
      return 2 * pool + species;
    }
    /// State index of the cumulative amount of hot ligand that has decayed [nmol].
    unsigned int decayed() const { return 2 * pools.size() + n_extra; }
    unsigned int integral(const unsigned int k) const { return decayed() + 1 + k; }
    unsigned int dose(const unsigned int k) const
    {
      return decayed() + 1 + integrals.size() + 3 * k;
    }
    unsigned int amount_integral(const unsigned int k, const unsigned int species) const
    {
      return dose(doses.size()) + 2 * k + species;
    }

    /// dy/dt for state y and external sources [nmol/min per state] at time t [min] (only
    /// imported kinetics may depend on time).
    void rhs(const double *y, const double *source, double *ydot, double t_min = 0) const;
    /// Jacobian d(dy/dt)/dy through an accessor J(i, j) -> double& (entries are added to).
    /// Every structural entry is visited whatever the state, so one call with a recording
    /// accessor gives the sparsity pattern.
    template <typename Accessor>
    void jacobian(const double *y, Accessor &&J, double t_min = 0) const;

    /// The network's structure, for its export (SBML).
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
    const std::vector<Transfer> &transfer_list() const { return transfers; }
    const std::vector<Binding> & binding_list() const { return bindings; }
    double                       decay_constant_per_min() const { return decay; }
    /// Whether the network has parts that only RadioTwin's coupling drives (linear fluxes,
    /// external dose rates): these are not part of an export.
    bool has_external_coupling() const { return !linear_fluxes.empty(); }

  private:
    struct Pool
    {
      std::string name;
      double      volume;
    };
    struct DoseTracker
    {
      std::vector<std::pair<unsigned int, double>> weights;
      double                                       mu;
      double                                       external_rate = 0;
    };
    struct LinearFlux
    {
      unsigned int source, target; ///< state indices
      double       k;
    };
    std::vector<Pool>                      pools;
    std::vector<Transfer>                  transfers;
    std::vector<Binding>                   bindings;
    std::vector<std::vector<unsigned int>> integrals;
    std::vector<DoseTracker>               doses;
    std::vector<LinearFlux>                linear_fluxes;
    std::vector<unsigned int>              amount_integrals; ///< pool of each
    double                                 decay = 0;
    unsigned int                           n_extra = 0;
    std::vector<bool>                      decay_excluded; ///< by pool (shorter: not excluded)
    std::shared_ptr<const ImportedKinetics> imported;
    std::vector<unsigned int>              imported_states; ///< network state of each variable
    mutable std::vector<double>            imported_x, imported_f, imported_f2; ///< scratch
  };

  /// CVODE (BDF) on a CompartmentNetwork, with piecewise-constant sources so that
  /// boluses and infusions start and stop exactly at their times.
  class NetworkIntegrator
  {
  public:
    /// The Newton systems' direct solver. The Jacobian of the whole-body model (193 states)
    /// has ~4 % non-zeros: KLU on the compressed-column matrix factorises it in microseconds
    /// where the dense LU takes a millisecond; both give the same solution to round-off.
    enum class LinearSolver
    {
      sparse, ///< SUNDIALS KLU on the CSC Jacobian (default)
      dense   ///< SUNDIALS dense LU (the former solver, kept for comparison)
    };
    NetworkIntegrator(const CompartmentNetwork &network, double relative_tolerance,
                      double absolute_tolerance, unsigned long max_steps = 1000000,
                      LinearSolver linear_solver = LinearSolver::sparse);
    ~NetworkIntegrator();
    NetworkIntegrator(const NetworkIntegrator &) = delete;
    NetworkIntegrator &operator=(const NetworkIntegrator &) = delete;

    /// Restart at time t [min] from state y (after a bolus, or when sources change).
    void reset(double t_min, const std::vector<double> &y, const std::vector<double> &source);
    /// The state at t [min], integrating as far as needed but never beyond stop [min]
    /// (the next discontinuity); between steps CVODE interpolates, so output times cost
    /// nothing.
    const std::vector<double> &advance_to(double t_min, double stop_min);

    /// Totals over every integration since construction (across reset()).
    unsigned long n_steps() const;
    unsigned long n_rhs_evaluations() const;
    unsigned long n_jacobian_evaluations() const;
    unsigned long n_linear_solver_setups() const; ///< factorisations of I - gamma J

  private:
    struct Impl;
    std::unique_ptr<Impl> impl;
  };
} // namespace radiotwin
