// RadioTwin: an SBML model read with libsbml and compiled into an ODE right-hand side
// (docs/sbml.md). The state is the amount of every species that reactions or rate rules
// change, then every parameter that a rate rule changes; time is the model's own unit.
//
// Supported (SBML Level 2 and 3 core): compartments of constant size; species as amounts or
// concentrations (hasOnlySubstanceUnits), boundary and constant species; parameters; initial
// assignments; assignment rules (any order: sorted by their dependencies) and rate rules on
// species and parameters; reactions with constant stoichiometry and MathML kinetic laws with
// local parameters; function definitions (inlined); events whose trigger is a time
// threshold (time >= T or time > T, at most once) with assignments evaluated at T.
// Anything else (algebraic rules, delays, other event triggers, variable compartments,
// stoichiometry math, conversion factors, required packages) is refused with an
// SbmlError naming the file and the element.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace radiotwin
{
  /// A malformed or unsupported SBML file; the message names the file and the element.
  class SbmlError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  class SbmlModel
  {
  public:
    /// Read and compile @p filename; throws SbmlError.
    explicit SbmlModel(const std::string &filename);
    ~SbmlModel();
    SbmlModel(SbmlModel &&) noexcept;

    const std::string &id() const;
    const std::string &filename() const;
    unsigned int       n_states() const;
    /// The SBML id of each state variable.
    const std::vector<std::string> &state_ids() const;
    /// State index of a species (its amount) or rate-rule parameter; throws SbmlError naming
    /// @p what (the mapping parameter that asked) if there is none.
    unsigned int state_index(const std::string &sbml_id, const std::string &what) const;
    /// Whether the id is a state variable (a species' amount or a parameter).
    bool is_state(const std::string &sbml_id) const;
    bool is_species(const std::string &sbml_id) const;
    unsigned int n_species() const;
    unsigned int n_reactions() const;

    /// The state at time 0 (initial values, initial assignments and assignment rules).
    std::vector<double> initial_state() const;
    /// dy/dt at time @p t [model time unit]; @p y and @p ydot have n_states() entries.
    void rhs(double t, const double *y, double *ydot) const;

    /// For each state j, the states whose derivative depends on it (through kinetic laws,
    /// rate rules and the assignment rules they read).
    const std::vector<std::vector<unsigned int>> &dependents() const;
    /// Size of the compartment of a species [model volume unit].
    double compartment_size(const std::string &species_id) const;

    /// An event of the supported kind: at @p time the variables take the values of the
    /// assignments (evaluated with the state just before).
    struct TimedEvent
    {
      std::string id;
      double      time = 0;
    };
    const std::vector<TimedEvent> &timed_events() const;
    /// Apply event @p k to the state @p y at its time.
    void apply_event(unsigned int k, std::vector<double> &y) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl;
  };
} // namespace radiotwin
