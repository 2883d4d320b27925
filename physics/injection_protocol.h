// RadioTwin: an injection protocol (docs/physics.md section 4): boluses and constant-rate
// infusions of hot and cold ligand into venous plasma, repeated over cycles. One type for the
// whole-body run and the tumour-body coupling, with one test for "has this time been
// reached": a time summed from steps reaches an event time up to round-off, so t reaches e
// when e <= t (1 + 1e-12) + 1 ns.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace radiotwin
{
  /// One administration into venous plasma: a bolus (duration 0) or a constant-rate infusion.
  struct Injection
  {
    double start_h, duration_min, hot_nmol, cold_nmol;

    bool   is_bolus() const { return duration_min == 0; }
    double start_s() const { return start_h * 3600.0; }
    double end_s() const { return start_h * 3600.0 + duration_min * 60.0; }
  };

  class InjectionProtocol
  {
  public:
    InjectionProtocol() = default;
    /// @p one_cycle repeated @p cycles times, every @p interval_h [h].
    InjectionProtocol(const std::vector<Injection> &one_cycle, unsigned int cycles, double interval_h);
    /// @p one_cycle once per entry of @p hot_cold_scale, every @p interval_h [h], its hot and
    /// cold amounts multiplied by that entry's factors (a plan of per-cycle activities).
    InjectionProtocol(const std::vector<Injection> &one_cycle, const std::vector<std::array<double, 2>> &hot_cold_scale,
                      double interval_h);

    const std::vector<Injection> &injections() const { return list; }
    std::size_t                   size() const { return list.size(); }

    /// Whether the time @p t_s [s] has reached @p event_s [s] (up to round-off).
    static bool reached(double event_s, double t_s) { return event_s <= t_s * (1 + 1e-12) + 1e-9; }

    /// Bolus times, infusion starts and infusion ends, increasing, without repeats: in hours
    /// (the whole-body model's clock) and in seconds (the tissue's).
    std::vector<double> event_times_h() const;
    std::vector<double> event_times_s() const;
    /// Whether injection @p k is a bolus that time @p t_s [s] has reached.
    bool bolus_due(std::size_t k, double t_s) const { return list[k].is_bolus() && reached(list[k].start_s(), t_s); }
    /// {hot, cold} [nmol/min] of the infusions that run throughout [t0, t1] [s].
    std::array<double, 2> infusion_rate_nmol_per_min(double t0_s, double t1_s) const;
    /// Hot and cold ligand injected by @p until_h [h] (infusions pro rata).
    double injected_hot_nmol(double until_h = 1e300) const;
    double injected_cold_nmol(double until_h = 1e300) const;

  private:
    std::vector<Injection> list;
  };
} // namespace radiotwin
