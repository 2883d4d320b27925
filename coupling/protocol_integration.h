// RadioTwin: one injection protocol integrated by an ODE integrator, for the native
// whole-body model (NetworkIntegrator) and an imported SBML model (sbml_whole_body.h) alike.
// The integrator stops at every discontinuity (bolus, infusion start or end, a model's timed
// event) and restarts from there; between them, output rows come from its interpolation.
#pragma once

#include <algorithm>
#include <functional>
#include <set>
#include <vector>

#include "physics/injection_protocol.h"

namespace radiotwin
{
  /// Where the injections go and what else happens at fixed times.
  struct ProtocolTargets
  {
    unsigned int hot = 0, cold = 0;   ///< state indices receiving hot and cold ligand
    bool         has_cold = true;     ///< false: cold ligand is not modelled
    double       amount_per_nmol = 1; ///< state amount units per nmol
    /// Times [h] of the model's own events and what they do to the state (may be empty).
    std::vector<double>                                          event_times_h;
    std::function<void(std::size_t event, std::vector<double> &y)> apply_event;
  };

  /// Output times every @p output_interval_h [h] from 0, and the end of the run.
  inline std::vector<double> regular_output_times(const double duration_h, const double output_interval_h)
  {
    std::vector<double> outputs;
    for (double t = 0; t <= duration_h * (1 - 1e-12); t = outputs.size() * output_interval_h)
      outputs.push_back(t);
    outputs.push_back(duration_h); // the last row is the end of the run, whatever the interval
    return outputs;
  }

  /// Integrate from state @p y at time 0 to @p duration_h [h], with rows at @p output_times_h
  /// (increasing, within the run). Integrator: reset(t_min, y, source) and advance_to(t_min,
  /// stop_min) -> state.
  template <class Integrator>
  void integrate_protocol(Integrator &integrator, const InjectionProtocol &injections,
                          const double duration_h, const std::vector<double> &output_times_h,
                          const ProtocolTargets &targets, std::vector<double> y,
                          std::vector<double> &times_h, std::vector<std::vector<double>> &states)
  {
    std::vector<double> source(y.size(), 0.0);
    // Breakpoints [h]: output times, injection starts, infusion ends, model events.
    const std::vector<double> event_list = injections.event_times_h();
    std::set<double>          events(event_list.begin(), event_list.end());
    events.insert(targets.event_times_h.begin(), targets.event_times_h.end());
    std::vector<double> outputs(output_times_h);
    outputs.erase(std::unique(outputs.begin(), outputs.end()), outputs.end());
    std::set<double> breaks(outputs.begin(), outputs.end());
    for (const double e : events)
      if (e <= duration_h)
        breaks.insert(e);

    std::vector<bool> bolus_given(injections.size(), false), event_done(targets.event_times_h.size(), false);
    integrator.reset(0.0, y, source);
    std::size_t next_output = 0;
    for (const double t : breaks)
      {
        const auto   next_event = events.upper_bound(t * (1 - 1e-15));
        const double stop_h     = next_event == events.end() ? duration_h : std::min(*next_event, duration_h);
        y = integrator.advance_to(t * 60.0, std::max(stop_h, t) * 60.0);
        bool changed = std::binary_search(event_list.begin(), event_list.end(), t);
        for (std::size_t k = 0; k < targets.event_times_h.size(); ++k)
          if (!event_done[k] && targets.event_times_h[k] <= t)
            {
              targets.apply_event(k, y);
              event_done[k] = changed = true;
            }
        // Boluses now; infusions starting or ending now change the source until the next
        // event (or the end of the run).
        for (std::size_t k = 0; k < injections.size(); ++k)
          if (!bolus_given[k] && injections.bolus_due(k, t * 3600.0))
            {
              y[targets.hot] += injections.injections()[k].hot_nmol * targets.amount_per_nmol;
              if (targets.has_cold)
                y[targets.cold] += injections.injections()[k].cold_nmol * targets.amount_per_nmol;
              bolus_given[k] = true;
            }
        if (changed)
          {
            const auto   after = events.upper_bound(t);
            const double until = after == events.end() ? std::max(duration_h, t) : *after;
            const auto   rate  = injections.infusion_rate_nmol_per_min(t * 3600.0, until * 3600.0);
            std::fill(source.begin(), source.end(), 0.0);
            source[targets.hot] = rate[0] * targets.amount_per_nmol;
            if (targets.has_cold)
              source[targets.cold] = rate[1] * targets.amount_per_nmol;
            integrator.reset(t * 60.0, y, source);
          }
        if (next_output < outputs.size() && outputs[next_output] == t)
          {
            times_h.push_back(t);
            states.push_back(y);
            ++next_output;
          }
      }
  }
} // namespace radiotwin
