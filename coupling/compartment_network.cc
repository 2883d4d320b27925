#include "coupling/compartment_network.h"

#include "physics/binding.h"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include <algorithm>
#include <stdexcept>

namespace radiotwin
{
  unsigned int CompartmentNetwork::add_pool(const std::string &name, const double volume_L)
  {
    if (!integrals.empty() || !doses.empty() || n_extra > 0)
      throw std::logic_error("CompartmentNetwork: add pools before extra states and accumulators");
    pools.push_back({name, volume_L});
    return pools.size() - 1;
  }

  unsigned int CompartmentNetwork::add_extra_states(const unsigned int n)
  {
    if (!integrals.empty() || !doses.empty() || !amount_integrals.empty())
      throw std::logic_error("CompartmentNetwork: add extra states before accumulators");
    n_extra += n;
    return 2 * pools.size() + n_extra - n;
  }

  void CompartmentNetwork::set_imported_kinetics(std::shared_ptr<const ImportedKinetics> kinetics,
                                                 std::vector<unsigned int> state_of_variable)
  {
    if (kinetics->n_variables() != state_of_variable.size())
      throw std::logic_error("CompartmentNetwork: one state for each imported variable");
    imported        = std::move(kinetics);
    imported_states = std::move(state_of_variable);
    imported_x.resize(imported_states.size());
    imported_f.resize(imported_states.size());
    imported_f2.resize(imported_states.size());
  }

  void CompartmentNetwork::add_transfer(const unsigned int from, const unsigned int to,
                                        const double k_per_min)
  {
    if (k_per_min != 0)
      transfers.push_back({from, to, k_per_min});
  }

  void CompartmentNetwork::add_binding(const unsigned int free_pool, const unsigned int bound_pool,
                                       const double receptors_nmol, const double k_on,
                                       const double k_off)
  {
    if (pools[free_pool].volume <= 0)
      throw std::logic_error("CompartmentNetwork: binding needs a free pool with a volume");
    if (receptors_nmol > 0)
      bindings.push_back({free_pool, bound_pool, receptors_nmol, k_on, k_off});
  }

  unsigned int CompartmentNetwork::add_integral(const std::vector<unsigned int> &group)
  {
    if (!doses.empty())
      throw std::logic_error("CompartmentNetwork: add integrals before dose trackers");
    integrals.push_back(group);
    return integrals.size() - 1;
  }

  unsigned int CompartmentNetwork::add_dose_tracker(
    const std::vector<std::pair<unsigned int, double>> &weights, const double repair_rate_per_min)
  {
    if (!amount_integrals.empty())
      throw std::logic_error("CompartmentNetwork: add dose trackers before amount integrals");
    doses.push_back({weights, repair_rate_per_min, 0.0});
    return doses.size() - 1;
  }

  void CompartmentNetwork::set_external_dose_rate(const unsigned int tracker, const double rate)
  {
    doses.at(tracker).external_rate = rate;
  }

  unsigned int CompartmentNetwork::add_linear_flux(const unsigned int source,
                                                   const unsigned int source_species,
                                                   const unsigned int target,
                                                   const unsigned int target_species, const double k)
  {
    linear_fluxes.push_back({amount(source, source_species), amount(target, target_species), k});
    return linear_fluxes.size() - 1;
  }

  void CompartmentNetwork::set_linear_flux_rate(const unsigned int index, const double k)
  {
    linear_fluxes.at(index).k = k;
  }

  unsigned int CompartmentNetwork::add_amount_integral(const unsigned int pool)
  {
    amount_integrals.push_back(pool);
    return amount_integrals.size() - 1;
  }

  unsigned int CompartmentNetwork::n_states() const
  {
    return 2 * pools.size() + n_extra + 1 + integrals.size() + 3 * doses.size() +
           2 * amount_integrals.size();
  }

  void CompartmentNetwork::rhs(const double *y, const double *source, double *ydot, const double t_min) const
  {
    const unsigned int n = n_states();
    for (unsigned int i = 0; i < n; ++i)
      ydot[i] = source ? source[i] : 0.0;
    if (imported)
      {
        for (std::size_t k = 0; k < imported_states.size(); ++k)
          imported_x[k] = y[imported_states[k]];
        imported->rhs(t_min, imported_x.data(), imported_f.data());
        for (std::size_t k = 0; k < imported_states.size(); ++k)
          ydot[imported_states[k]] += imported_f[k];
      }
    for (const auto &t : transfers)
      for (unsigned int s = 0; s < 2; ++s)
        {
          const double flux = t.k * y[amount(t.from, s)];
          ydot[amount(t.from, s)] -= flux;
          ydot[amount(t.to, s)] += flux;
        }
    for (const auto &f : linear_fluxes)
      ydot[f.target] += f.k * y[f.source];
    for (const auto &b : bindings)
      {
        const double r_free =
          b.receptors - y[amount(b.bound_pool, hot)] - y[amount(b.bound_pool, cold)];
        for (unsigned int s = 0; s < 2; ++s)
          {
            const double c    = y[amount(b.free_pool, s)] / pools[b.free_pool].volume;
            const double flux =
              physics::binding_rate(b.k_on, c, r_free, b.k_off, y[amount(b.bound_pool, s)]);
            ydot[amount(b.free_pool, s)] -= flux;
            ydot[amount(b.bound_pool, s)] += flux;
          }
      }
    if (decay > 0)
      for (unsigned int p = 0; p < pools.size(); ++p)
        {
          if (p < decay_excluded.size() && decay_excluded[p])
            continue;
          const double flux = decay * y[amount(p, hot)];
          ydot[amount(p, hot)] -= flux;
          ydot[amount(p, cold)] += flux;
          ydot[decayed()] += flux;
        }
    for (unsigned int k = 0; k < integrals.size(); ++k)
      for (const unsigned int p : integrals[k])
        ydot[integral(k)] += y[amount(p, hot)];
    for (unsigned int k = 0; k < doses.size(); ++k)
      {
        double rate = doses[k].external_rate;
        for (const auto &[p, w] : doses[k].weights)
          rate += w * y[amount(p, hot)];
        const unsigned int d = dose(k);
        ydot[d]     = rate;
        ydot[d + 1] = rate - doses[k].mu * y[d + 1];
        ydot[d + 2] = rate * y[d + 1];
      }
    for (unsigned int k = 0; k < amount_integrals.size(); ++k)
      for (unsigned int s = 0; s < 2; ++s)
        ydot[amount_integral(k, s)] = y[amount(amount_integrals[k], s)];
  }

  template <typename Accessor>
  void CompartmentNetwork::jacobian(const double *y, Accessor &&J, const double t_min) const
  {
    if (imported)
      {
        // Forward differences, column by column, on the imported variables.
        const std::size_t m = imported_states.size();
        for (std::size_t k = 0; k < m; ++k)
          imported_x[k] = y[imported_states[k]];
        imported->rhs(t_min, imported_x.data(), imported_f.data());
        const auto &dependents = imported->dependents();
        for (std::size_t j = 0; j < m; ++j)
          {
            if (dependents[j].empty())
              continue;
            const double x_j = imported_x[j];
            const double h   = 1.5e-8 * std::max(std::abs(x_j), 1e-6);
            imported_x[j]    = x_j + h;
            imported->rhs(t_min, imported_x.data(), imported_f2.data());
            imported_x[j] = x_j;
            for (const unsigned int i : dependents[j])
              J(imported_states[i], imported_states[j]) += (imported_f2[i] - imported_f[i]) / h;
          }
      }
    for (const auto &f : linear_fluxes)
      J(f.target, f.source) += f.k;
    for (const auto &t : transfers)
      for (unsigned int s = 0; s < 2; ++s)
        {
          J(amount(t.from, s), amount(t.from, s)) -= t.k;
          J(amount(t.to, s), amount(t.from, s)) += t.k;
        }
    for (const auto &b : bindings)
      {
        const double V      = pools[b.free_pool].volume;
        const double r_free =
          b.receptors - y[amount(b.bound_pool, hot)] - y[amount(b.bound_pool, cold)];
        for (unsigned int s = 0; s < 2; ++s)
          {
            const unsigned int f = amount(b.free_pool, s), bs = amount(b.bound_pool, s);
            const double       c = y[f] / V;
            // d flux_s / d A_free,s
            J(f, f) -= b.k_on / V * r_free;
            J(bs, f) += b.k_on / V * r_free;
            // d flux_s / d A_bound,s' (both species occupy the receptors)
            for (unsigned int s2 = 0; s2 < 2; ++s2)
              {
                const unsigned int b2 = amount(b.bound_pool, s2);
                const double d = -b.k_on * c - (s2 == s ? b.k_off : 0.0);
                J(f, b2) -= d;
                J(bs, b2) += d;
              }
          }
      }
    if (decay > 0)
      for (unsigned int p = 0; p < pools.size(); ++p)
        {
          if (p < decay_excluded.size() && decay_excluded[p])
            continue;
          J(amount(p, hot), amount(p, hot)) -= decay;
          J(amount(p, cold), amount(p, hot)) += decay;
          J(decayed(), amount(p, hot)) += decay;
        }
    for (unsigned int k = 0; k < integrals.size(); ++k)
      for (const unsigned int p : integrals[k])
        J(integral(k), amount(p, hot)) += 1.0;
    for (unsigned int k = 0; k < doses.size(); ++k)
      {
        const unsigned int d = dose(k);
        double rate = doses[k].external_rate;
        for (const auto &[p, w] : doses[k].weights)
          rate += w * y[amount(p, hot)];
        for (const auto &[p, w] : doses[k].weights)
          {
            J(d, amount(p, hot)) += w;
            J(d + 1, amount(p, hot)) += w;
            J(d + 2, amount(p, hot)) += w * y[d + 1];
          }
        J(d + 1, d + 1) -= doses[k].mu;
        J(d + 2, d + 1) += rate;
      }
    for (unsigned int k = 0; k < amount_integrals.size(); ++k)
      for (unsigned int s = 0; s < 2; ++s)
        J(amount_integral(k, s), amount(amount_integrals[k], s)) += 1.0;
  }

  // ---------------------------------------------------------------------------------------

  struct NetworkIntegrator::Impl
  {
    const CompartmentNetwork &network;
    LinearSolver              linear_solver;
    SUNContext                context = nullptr;
    N_Vector                  y       = nullptr;
    SUNMatrix                 A       = nullptr;
    SUNLinearSolver           solver  = nullptr;
    void *                    cvode   = nullptr;
    std::vector<double>       source, state;
    double                    t = 0;
    bool                      initialised = false;
    double                    rtol, atol;
    unsigned long             max_steps;
    /// Counts of the integrations before the last CVodeReInit (which zeroes CVODE's own).
    unsigned long steps_before = 0, rhs_before = 0, jacobians_before = 0, setups_before = 0;

    /// The sparse Jacobian's compressed-column pattern (every diagonal entry included, as
    /// CVODE forms I - gamma J in place) and, for each (row, column), its slot in the data
    /// array or -1. SUNMatZero clears the index arrays too, so they are copied back from
    /// here at every evaluation.
    std::vector<sunindextype> column_starts, row_of_slot;
    std::vector<int>          slot_of_entry; ///< [column * n + row]

    struct Counters
    {
      long steps = 0, rhs = 0, jacobians = 0, setups = 0;
    };
    Counters cvode_counters() const
    {
      Counters c;
      if (initialised)
        {
          CVodeGetNumSteps(cvode, &c.steps);
          CVodeGetNumRhsEvals(cvode, &c.rhs);
          CVodeGetNumJacEvals(cvode, &c.jacobians);
          CVodeGetNumLinSolvSetups(cvode, &c.setups);
        }
      return c;
    }

    Impl(const CompartmentNetwork &n, const LinearSolver solver_kind)
      : network(n)
      , linear_solver(solver_kind)
    {}

    void build_sparsity_pattern()
    {
      const unsigned int n = network.n_states();
      std::vector<std::vector<bool>> present(n, std::vector<bool>(n, false)); // [column][row]
      for (unsigned int i = 0; i < n; ++i)
        present[i][i] = true;
      const std::vector<double> y_any(n, 1.0);
      double                    sink = 0;
      network.jacobian(y_any.data(), [&](const unsigned int i, const unsigned int j) -> double & {
        present[j][i] = true;
        return sink;
      });
      slot_of_entry.assign(std::size_t(n) * n, -1);
      column_starts.assign(n + 1, 0);
      row_of_slot.clear();
      for (unsigned int j = 0; j < n; ++j)
        {
          for (unsigned int i = 0; i < n; ++i)
            if (present[j][i])
              {
                slot_of_entry[std::size_t(j) * n + i] = row_of_slot.size();
                row_of_slot.push_back(i);
              }
          column_starts[j + 1] = row_of_slot.size();
        }
    }

    static int rhs(realtype t, N_Vector y, N_Vector ydot, void *data)
    {
      auto *self = static_cast<Impl *>(data);
      self->network.rhs(N_VGetArrayPointer(y), self->source.data(), N_VGetArrayPointer(ydot), t);
      return 0;
    }

    static int dense_jacobian(realtype t, N_Vector y, N_Vector, SUNMatrix J, void *data, N_Vector,
                              N_Vector, N_Vector)
    {
      auto *self = static_cast<Impl *>(data);
      SUNMatZero(J);
      realtype **cols = SUNDenseMatrix_Cols(J);
      self->network.jacobian(
        N_VGetArrayPointer(y),
        [cols](const unsigned int i, const unsigned int j) -> realtype & { return cols[j][i]; }, t);
      return 0;
    }

    static int sparse_jacobian(realtype t, N_Vector y, N_Vector, SUNMatrix J, void *data,
                               N_Vector, N_Vector, N_Vector)
    {
      auto *self = static_cast<Impl *>(data);
      if (SUNSparseMatrix_NNZ(J) < sunindextype(self->row_of_slot.size()))
        return -1; // cannot happen: the matrix was created with this pattern
      std::copy(self->column_starts.begin(), self->column_starts.end(),
                SUNSparseMatrix_IndexPointers(J));
      std::copy(self->row_of_slot.begin(), self->row_of_slot.end(),
                SUNSparseMatrix_IndexValues(J));
      realtype *values = SUNSparseMatrix_Data(J);
      std::fill(values, values + self->row_of_slot.size(), 0.0);
      const std::size_t n    = self->network.n_states();
      const int *       slot = self->slot_of_entry.data();
      self->network.jacobian(
        N_VGetArrayPointer(y),
        [values, slot, n](const unsigned int i, const unsigned int j) -> realtype & {
          return values[slot[j * n + i]];
        },
        t);
      return 0;
    }
  };

  NetworkIntegrator::NetworkIntegrator(const CompartmentNetwork &network,
                                       const double relative_tolerance,
                                       const double absolute_tolerance,
                                       const unsigned long max_steps,
                                       const LinearSolver linear_solver)
    : impl(std::make_unique<Impl>(network, linear_solver))
  {
    impl->rtol      = relative_tolerance;
    impl->atol      = absolute_tolerance;
    impl->max_steps = max_steps;
    const sunindextype n = network.n_states();
    if (SUNContext_Create(nullptr, &impl->context) != 0)
      throw std::runtime_error("SUNDIALS: cannot create a context");
    impl->y = N_VNew_Serial(n, impl->context);
    if (linear_solver == LinearSolver::sparse)
      {
        impl->build_sparsity_pattern();
        impl->A = SUNSparseMatrix(n, n, impl->row_of_slot.size(), CSC_MAT, impl->context);
        impl->solver = SUNLinSol_KLU(impl->y, impl->A, impl->context);
      }
    else
      {
        impl->A      = SUNDenseMatrix(n, n, impl->context);
        impl->solver = SUNLinSol_Dense(impl->y, impl->A, impl->context);
      }
    if (impl->y == nullptr || impl->A == nullptr || impl->solver == nullptr)
      throw std::runtime_error("SUNDIALS: cannot create the vector, matrix or linear solver");
    impl->cvode = CVodeCreate(CV_BDF, impl->context);
    impl->source.assign(n, 0.0);
    impl->state.assign(n, 0.0);
  }

  NetworkIntegrator::~NetworkIntegrator()
  {
    CVodeFree(&impl->cvode);
    SUNLinSolFree(impl->solver);
    SUNMatDestroy(impl->A);
    N_VDestroy(impl->y);
    SUNContext_Free(&impl->context);
  }

  void NetworkIntegrator::reset(const double t_min, const std::vector<double> &y,
                                const std::vector<double> &source)
  {
    impl->t      = t_min;
    impl->state  = y;
    impl->source = source;
    std::copy(y.begin(), y.end(), N_VGetArrayPointer(impl->y));
    int status;
    if (!impl->initialised)
      {
        status = CVodeInit(impl->cvode, Impl::rhs, t_min, impl->y);
        status |= CVodeSStolerances(impl->cvode, impl->rtol, impl->atol);
        status |= CVodeSetUserData(impl->cvode, impl.get());
        status |= CVodeSetLinearSolver(impl->cvode, impl->solver, impl->A);
        status |= CVodeSetJacFn(impl->cvode, impl->linear_solver == LinearSolver::sparse ?
                                               Impl::sparse_jacobian :
                                               Impl::dense_jacobian);
        status |= CVodeSetMaxNumSteps(impl->cvode, impl->max_steps);
        impl->initialised = true;
      }
    else
      {
        const Impl::Counters c = impl->cvode_counters();
        impl->steps_before += c.steps;
        impl->rhs_before += c.rhs;
        impl->jacobians_before += c.jacobians;
        impl->setups_before += c.setups;
        status = CVodeReInit(impl->cvode, t_min, impl->y);
      }
    // CVODE's own first-step estimate after a bolus at a late time (a later cycle) can fall
    // below the resolution of t (t + h = t at t = 6e4 min and tight tolerances): no step
    // below 1e-13 t (about 500 round-offs of t; CVODE raises a smaller first step to it).
    status |= CVodeSetMinStep(impl->cvode, 1e-13 * std::abs(t_min));
    if (status != 0)
      throw std::runtime_error("CVODE: initialisation failed");
  }

  const std::vector<double> &NetworkIntegrator::advance_to(const double t_min,
                                                            const double stop_min)
  {
    if (t_min > impl->t)
      {
        CVodeSetStopTime(impl->cvode, stop_min);
        realtype  t_reached = impl->t;
        const int status    = CVode(impl->cvode, t_min, impl->y, &t_reached, CV_NORMAL);
        if (status < 0)
          throw std::runtime_error("CVODE failed at t = " + std::to_string(t_reached) +
                                   " min (flag " + std::to_string(status) +
                                   "); try a looser 'Relative tolerance'");
        impl->t = t_reached;
        const double *y = N_VGetArrayPointer(impl->y);
        impl->state.assign(y, y + impl->state.size());
      }
    return impl->state;
  }

  unsigned long NetworkIntegrator::n_steps() const
  {
    return impl->steps_before + impl->cvode_counters().steps;
  }

  unsigned long NetworkIntegrator::n_rhs_evaluations() const
  {
    return impl->rhs_before + impl->cvode_counters().rhs;
  }

  unsigned long NetworkIntegrator::n_jacobian_evaluations() const
  {
    return impl->jacobians_before + impl->cvode_counters().jacobians;
  }

  unsigned long NetworkIntegrator::n_linear_solver_setups() const
  {
    return impl->setups_before + impl->cvode_counters().setups;
  }
} // namespace radiotwin
