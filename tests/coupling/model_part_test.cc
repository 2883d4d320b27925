// A model part added from outside the shipped ones (coupling/app/model_part.h): one class and
// one registration line, no edit of the Simulator. The part integrates the physical decay of
// a fixed activity over the Simulator's own time steps by the trapezoidal rule, declares and
// parses its own parameter, writes a summary entry, and keeps its state in checkpoints.
#define BOOST_TEST_MODULE model_part
#include "../test_main.h"
#include "../run_simulator.h"

#include <deal.II/base/parameter_handler.h>

#include <cmath>

#include "physics/base/units.h"

using namespace radiotwin;

namespace
{
  /// int_0^T A0 exp(-lambda t) dt, by the trapezoidal rule on the steps it is given.
  class DecayIntegralPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm)
    {
      prm.enter_subsection("Decay integral");
      prm.declare_entry("Enabled", "false", dealii::Patterns::Bool(), "Build the test part.");
      prm.declare_entry("Activity [MBq]", "1", dealii::Patterns::Double(0),
                        "Activity at t = 0. Unit: MBq. Range: >= 0.");
      prm.leave_subsection();
    }
    static std::unique_ptr<ModelPart> create(RunContext &, dealii::ParameterHandler &prm)
    {
      prm.enter_subsection("Decay integral");
      const bool   enabled = prm.get_bool("Enabled");
      const double a0      = prm.get_double("Activity [MBq]");
      prm.leave_subsection();
      return enabled ? std::make_unique<DecayIntegralPart>(a0) : nullptr;
    }
    explicit DecayIntegralPart(const double a0)
      : a0_MBq(a0)
    {}

    std::string name() const override { return "decay_integral"; }
    bool        is_time_dependent() const override { return true; }
    void        advance(const double t_s, const double dt_s) override
    {
      const double t0 = t_s / units::h, t1 = (t_s + dt_s) / units::h;
      tia_MBq_h += 0.5 * (activity(t0) + activity(t1)) * (t1 - t0);
      dt3_sum_h3 += std::pow(t1 - t0, 3);
      ++steps;
    }
    void add_summary(Json &summary) override
    {
      summary["decay_integral"] = {{"tia_MBq_h", tia_MBq_h}, {"steps", steps}};
    }
    unsigned int state_version() const override { return 1; }
    void save(boost::archive::binary_oarchive &archive) const override { archive << tia_MBq_h << steps; }
    void load(boost::archive::binary_iarchive &archive) override { archive >> tia_MBq_h >> steps; }

    double activity(const double t_h) const { return a0_MBq * std::exp(-lambda_per_h * t_h); }

    static constexpr double lambda_per_h = 0.004344; // 177Lu, T1/2 = 6.647 d
    double                  a0_MBq, tia_MBq_h = 0, dt3_sum_h3 = 0;
    unsigned int            steps = 0;
  };
} // namespace

BOOST_AUTO_TEST_CASE(a_registered_part_runs_with_the_simulator)
{
  PartRegistry::add<DecayIntegralPart>("decay_integral"); // the one line

  const std::vector<std::string> overrides = {
    "Geometry/Global refinements=1", "Geometry/Rim refinements=0", "Output/Write VTU=false",
    "Transport/Time stepping/End time [h]=12", "Transport/Time stepping/Output times [h]=12",
    "Decay integral/Enabled=true", "Decay integral/Activity [MBq]=50",
    "Output/Directory=" + std::string("model_part_test")};
  const auto  sim  = run_simulator(source_path("configs/transport/default_7days.prm"), overrides);
  const auto *part = sim->part<DecayIntegralPart>();
  BOOST_TEST_REQUIRE(part != nullptr);

  // It took the Simulator's steps: as many as the transport, ending at the end time.
  const auto &summary = sim->summary();
  BOOST_TEST(part->steps == summary["transport"]["steps"].get<unsigned int>());
  BOOST_TEST(summary["decay_integral"]["steps"].get<unsigned int>() == part->steps);
  // The trapezoidal integral against the closed form A0 (1 - exp(-lambda T)) / lambda, within
  // the rule's error bound sum dt^3 / 12 max|A''| (and not exactly: it is a rule).
  const double lambda = DecayIntegralPart::lambda_per_h;
  const double exact  = 50 * (1 - std::exp(-lambda * 12)) / lambda;
  const double bound  = part->dt3_sum_h3 / 12 * lambda * lambda * 50;
  BOOST_TEST(std::abs(part->tia_MBq_h - exact) <= bound);
  BOOST_TEST(std::abs(part->tia_MBq_h - exact) > 0.1 * bound);
  BOOST_TEST(summary["decay_integral"]["tia_MBq_h"].get<double>() == part->tia_MBq_h);
}

BOOST_AUTO_TEST_CASE(a_part_left_off_is_not_built)
{
  PartRegistry::add<DecayIntegralPart>("decay_integral"); // registering twice keeps one
  std::size_t n = 0;
  for (const auto &t : PartRegistry::all())
    n += t.name == "decay_integral";
  BOOST_TEST(n == 1u);
  const auto sim = run_simulator(source_path("configs/default.prm"),
                                 {"Geometry/Global refinements=1", "Geometry/Rim refinements=0",
                                  "Output/Write VTU=false", "Output/Directory=model_part_test_off"});
  BOOST_TEST(sim->part<DecayIntegralPart>() == nullptr);
  BOOST_TEST(!sim->summary().contains("decay_integral"));
}
