// RadioTwin: an injection protocol (docs/physics.md section 4): boluses and constant-rate
// infusions of hot and cold ligand into venous plasma, repeated over cycles. One type for the
// whole-body run and the tumour-body coupling, with one time tolerance for every question
// about when an injection starts, runs or ends.
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
    double end_h() const { return start_h + duration_min / 60.0; }
  };

  class InjectionProtocol
  {
  public:
    /// Two times closer than this are the same event [h] (3.6 us: far below any time step).
    static constexpr double time_tolerance_h = 1e-9;

    InjectionProtocol() = default;
    /// @p one_cycle repeated @p cycles times, every @p interval_h [h].
    InjectionProtocol(const std::vector<Injection> &one_cycle, unsigned int cycles, double interval_h);

    const std::vector<Injection> &injections() const { return list; }
    std::size_t                   size() const { return list.size(); }

    /// Bolus times, infusion starts and infusion ends [h], increasing, without repeats.
    std::vector<double> event_times_h() const;
    /// Whether injection @p k starts at @p t_h, and whether it is a bolus due by @p t_h.
    bool starts_at(std::size_t k, double t_h) const;
    bool bolus_due(std::size_t k, double t_h) const;
    /// {hot, cold} [nmol/min] of the infusions that run throughout [t0, t1] [h].
    std::array<double, 2> infusion_rate_nmol_per_min(double t0_h, double t1_h) const;
    /// Hot and cold ligand injected by @p until_h [h] (infusions pro rata).
    double injected_hot_nmol(double until_h = 1e300) const;
    double injected_cold_nmol(double until_h = 1e300) const;

  private:
    std::vector<Injection> list;
  };
} // namespace radiotwin
