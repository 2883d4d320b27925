#include "physics/injection_protocol.h"

#include <algorithm>
#include <set>

namespace radiotwin
{
  InjectionProtocol::InjectionProtocol(const std::vector<Injection> &one_cycle, const unsigned int cycles,
                                       const double interval_h)
  {
    for (unsigned int c = 0; c < cycles; ++c)
      for (const auto &i : one_cycle)
        list.push_back({i.start_h + c * interval_h, i.duration_min, i.hot_nmol, i.cold_nmol});
  }

  InjectionProtocol::InjectionProtocol(const std::vector<Injection> &one_cycle,
                                       const std::vector<std::array<double, 2>> &hot_cold_scale, const double interval_h)
  {
    for (std::size_t c = 0; c < hot_cold_scale.size(); ++c)
      for (const auto &i : one_cycle)
        list.push_back({i.start_h + c * interval_h, i.duration_min, i.hot_nmol * hot_cold_scale[c][0],
                        i.cold_nmol * hot_cold_scale[c][1]});
  }

  std::vector<double> InjectionProtocol::event_times_h() const
  {
    std::set<double> events;
    for (const auto &i : list)
      {
        events.insert(i.start_h);
        if (!i.is_bolus())
          events.insert(i.start_h + i.duration_min / 60.0);
      }
    return {events.begin(), events.end()};
  }

  std::vector<double> InjectionProtocol::event_times_s() const
  {
    std::set<double> events;
    for (const auto &i : list)
      {
        events.insert(i.start_s());
        if (!i.is_bolus())
          events.insert(i.end_s());
      }
    return {events.begin(), events.end()};
  }

  std::array<double, 2> InjectionProtocol::infusion_rate_nmol_per_min(const double t0_s, const double t1_s) const
  {
    std::array<double, 2> rate{{0, 0}};
    for (const auto &i : list)
      if (!i.is_bolus() && reached(i.start_s(), t0_s) && reached(t1_s, i.end_s()))
        {
          rate[0] += i.hot_nmol / i.duration_min;
          rate[1] += i.cold_nmol / i.duration_min;
        }
    return rate;
  }

  namespace
  {
    /// The fraction of injection i given by until_h.
    double given_fraction(const Injection &i, const double until_h)
    {
      if (i.start_h > until_h)
        return 0;
      return i.is_bolus() ? 1.0 : std::min(1.0, (until_h - i.start_h) * 60 / i.duration_min);
    }
  } // namespace

  double InjectionProtocol::injected_hot_nmol(const double until_h) const
  {
    double sum = 0;
    for (const auto &i : list)
      sum += i.hot_nmol * given_fraction(i, until_h);
    return sum;
  }

  double InjectionProtocol::injected_cold_nmol(const double until_h) const
  {
    double sum = 0;
    for (const auto &i : list)
      sum += i.cold_nmol * given_fraction(i, until_h);
    return sum;
  }
} // namespace radiotwin
