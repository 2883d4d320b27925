// Classical dosimetry's curve fits (coupling/tac_fit.h, docs/twin.md): noise-free mono-, bi-,
// tri-exponential and uptake curves are recovered with their model chosen by AIC(c) and their
// TIA to 1e-6; with 5 % noise at the clinical time points the TIA's 95 % interval covers the
// truth as often as it should; the closed-form BED of a fitted curve equals the integrated
// Lea-Catcheside BED; too few points fit nothing.
#define BOOST_TEST_MODULE tac_fit
#include "../test_main.h"

#include "coupling/tac_fit.h"
#include "physics/radiobiology.h"

#include <cmath>
#include <random>

using namespace radiotwin;

namespace
{
  const double lambda = std::log(2.0) / (6.647 * 24); // 177Lu [1/h]
  const std::vector<double> clinical_times = {4, 24, 48, 96, 168};

  struct Curve
  {
    std::vector<double> a, k; // amplitudes [MBq], effective rates [1/h]
    double activity(double t) const
    {
      double s = 0;
      for (std::size_t j = 0; j < a.size(); ++j)
        s += a[j] * std::exp(-k[j] * t);
      return s;
    }
    double tia() const
    {
      double s = 0;
      for (std::size_t j = 0; j < a.size(); ++j)
        s += a[j] / k[j];
      return s;
    }
  };

  std::vector<TacPoint> sample(const Curve &c, const std::vector<double> &times, const double relative,
                               std::mt19937 *rng = nullptr)
  {
    std::vector<TacPoint> points;
    std::normal_distribution<double> noise(0.0, 1.0);
    for (const double t : times)
      {
        const double a = c.activity(t);
        points.push_back({t, a * (1 + (rng ? relative * noise(*rng) : 0.0)), relative * a});
      }
    return points;
  }

  const std::vector<TacModel> all_models = {TacModel::mono, TacModel::bi, TacModel::tri, TacModel::uptake};
} // namespace

BOOST_AUTO_TEST_CASE(noise_free_curves_are_recovered_with_their_model)
{
  const Curve mono{{100}, {lambda + 0.01}};
  const Curve bi{{60, 80}, {lambda + 0.005, lambda + 0.15}};
  const Curve uptake{{120, -120}, {lambda + 0.01, lambda + 0.3}};
  const Curve tri{{40, 60, 90}, {lambda + 0.002, lambda + 0.05, lambda + 0.6}};
  const std::vector<double> dense_times = {0.25, 0.5, 1, 2, 4, 8, 24, 48, 72, 96, 168};
  const std::vector<std::tuple<Curve, TacModel, std::vector<double>>> cases = {
    {mono, TacModel::mono, clinical_times}, {bi, TacModel::bi, clinical_times},
    {uptake, TacModel::uptake, clinical_times}, {tri, TacModel::tri, dense_times}};
  for (const auto &[curve, model, times] : cases)
    {
      const auto fits = fit_tac_models(sample(curve, times, 0.05), all_models, lambda);
      BOOST_REQUIRE(!fits.empty());
      const TacFit &f = fits.front();
      BOOST_TEST_MESSAGE(to_string(model) << ": chosen " << to_string(f.model) << ", TIA " << f.tia_MBq_h << " +- "
                                          << f.tia_sd_MBq_h << " (exact " << curve.tia() << ")");
      BOOST_TEST(to_string(f.model) == to_string(model));
      BOOST_TEST(std::abs(f.tia_MBq_h - curve.tia()) / curve.tia() < 1e-6);
      for (const double t : {1.0, 10.0, 100.0, 300.0})
        BOOST_TEST(std::abs(f.activity_MBq(t) - curve.activity(t)) / curve.activity(t) < 1e-5);
      BOOST_TEST(f.tia_sd_MBq_h > 0);
      BOOST_TEST(f.tia_sd_MBq_h < 0.2 * f.tia_MBq_h);
    }
}

BOOST_AUTO_TEST_CASE(tia_intervals_cover_the_truth_under_noise)
{
  // 5 % noise, 400 patients each: a mono-exponential organ at the clinical times, and a
  // bi-exponential one sampled densely enough to see its fast phase. The 95 % interval
  // (TIA +- 1.96 sd) must cover the true TIA in about 95 % of them, without bias.
  const Curve mono{{50}, {lambda + 0.008}};
  const Curve bi{{30, 25}, {lambda + 0.004, lambda + 0.1}};
  const std::vector<std::tuple<Curve, TacModel, std::vector<double>>> cases = {
    {mono, TacModel::mono, clinical_times}, {bi, TacModel::bi, {1, 2, 4, 8, 24, 48, 96, 168}}};
  std::mt19937 rng(20261206);
  for (const auto &[curve, model, times] : cases)
    {
      unsigned int covered = 0, fitted = 0;
      double       bias    = 0;
      for (unsigned int n = 0; n < 400; ++n)
        {
          const TacFit f = fit_tac(sample(curve, times, 0.05, &rng), model, lambda);
          if (!f.converged)
            continue;
          ++fitted;
          covered += std::abs(f.tia_MBq_h - curve.tia()) <= 1.96 * f.tia_sd_MBq_h;
          bias += (f.tia_MBq_h - curve.tia()) / curve.tia();
        }
      BOOST_TEST_MESSAGE(to_string(model) << ": coverage " << covered << " of " << fitted
                                          << ", mean relative bias " << bias / fitted);
      BOOST_TEST(fitted >= 395u);
      BOOST_TEST(covered >= 0.91 * fitted);
      BOOST_TEST(covered <= 0.99 * fitted);
      BOOST_TEST(std::abs(bias / fitted) < 0.01);
    }
}

BOOST_AUTO_TEST_CASE(closed_form_bed_equals_the_integrated_one)
{
  const Curve  bi{{60, 80}, {lambda + 0.005, lambda + 0.15}};
  const TacFit f = fit_tac(sample(bi, clinical_times, 0.05), TacModel::bi, lambda);
  BOOST_REQUIRE(f.converged);
  const double w = 2e-4, mu = std::log(2.0) / 2.8, alpha_beta = 2.5; // Gy per MBq h; kidney
  physics::DoseAccumulator acc;
  acc.mu_per_h      = mu;
  acc.alpha_beta_Gy = alpha_beta;
  const double dt   = 0.01;
  for (double t = 0; t < 3000; t += dt)
    acc.add(dt, w * f.activity_MBq(t), w * f.activity_MBq(t + dt));
  BOOST_TEST_MESSAGE("BED closed form " << f.bed_Gy(w, mu, alpha_beta) << ", integrated " << acc.bed_Gy());
  BOOST_TEST(std::abs(f.bed_Gy(w, mu, alpha_beta) - acc.bed_Gy()) / acc.bed_Gy() < 1e-6);
  BOOST_TEST(std::abs(f.dose_Gy(w) - acc.D) / acc.D < 1e-6);
}

BOOST_AUTO_TEST_CASE(too_few_points_fit_nothing)
{
  const Curve bi{{60, 80}, {lambda + 0.005, lambda + 0.15}};
  const auto  three = sample(bi, {4, 24, 96}, 0.05);
  BOOST_TEST(!fit_tac(three, TacModel::bi, lambda).converged);
  BOOST_TEST(!fit_tac(three, TacModel::uptake, lambda).converged);
  const auto fits = fit_tac_models(three, all_models, lambda);
  BOOST_REQUIRE(fits.size() == 1u);
  BOOST_TEST(to_string(fits.front().model) == "mono");
}
