// Two-way coupling of the meshed tumour and the whole-body model (issue 5, docs/physics.md
// section 5): conservation of the coupled system over 14 days, the tumour sink's direction,
// the well-mixed limit against the same lesion as a whole-body compartment, and first-order
// convergence of the coupled curves in the time step.
#define BOOST_TEST_MODULE tumour_body_coupling
#include "../test_main.h"
#include "../run_simulator.h"

#include "coupling/whole_body_model.h"
#include "coupling/app/pbrpk.h"
#include "physics/base/units.h"

#include <cmath>

using namespace radiotwin;

namespace
{
  const std::string coupled_config = "configs/coupled/lesion_1cm_14days.prm";

  /// A small coupled case: the shipped coupled config on a coarse mesh, no VTU.
  std::unique_ptr<Simulator> run_coupled(std::vector<std::string> overrides)
  {
    overrides.insert(overrides.begin(), {"Geometry/Global refinements=2", "Geometry/Rim refinements=0",
                                         "Output/Write VTU=false"});
    return run_simulator(source_path(coupled_config), overrides);
  }

  /// Record index of time t [h] in a coupled run.
  std::size_t record_at(const TumourBodyCoupling &c, const double t_h)
  {
    const auto &times = c.records().times_h;
    for (std::size_t k = 0; k < times.size(); ++k)
      if (std::abs(times[k] - t_h) < 1e-9)
        return k;
    throw std::runtime_error("no record at " + std::to_string(t_h) + " h");
  }
} // namespace

BOOST_AUTO_TEST_CASE(coupled_system_conserves_over_14_days)
{
  // The meshed lesion (tumour, necrotic core, host shell: flow, lymphatics, outflow, binding,
  // release, decay) stands for 200 mL, a strong sink. injected = body + PDE + urine +
  // released (+ decayed for hot) at every step, to 1e-6 (the bound).
  const auto sim = run_coupled({"Geometry/Global refinements=1", "Coupling/Represented lesion volume [mL]=200",
                                "Transport/Time stepping/Maximum time step [min]=120",
                                "Output/Directory=coupling_conservation"});
  const auto &c = sim->part<BodyCouplingPart>()->coupling();
  BOOST_TEST(c.enabled());
  BOOST_TEST(c.records().times_h.back() == 336.0);
  const auto [total, hot] = c.conservation_defects();
  BOOST_TEST_MESSAGE("conservation defects: total " << total << ", hot + decayed " << hot);
  BOOST_TEST(total < 1e-6);
  BOOST_TEST(hot < 1e-6);
  BOOST_TEST(sim->part<TransportPart>()->worst_balance_defect() < 1e-8);
  // The lesion took up a visible share: more than 1 % of the injected activity at 24 h.
  const double ia_nmol = c.model().injected_hot_nmol();
  BOOST_TEST(c.tissue_hot_nmol("MeshedLesion", record_at(c, 24)) > 0.01 * ia_nmol * std::exp(-c.model().decay_constant_per_min() * 1440));
  BOOST_TEST(c.lesion_dose().D > 0);
  BOOST_TEST(c.lesion_dose().bed_Gy() > c.lesion_dose().D);
}

BOOST_AUTO_TEST_CASE(tumour_sink_lowers_kidney_and_plasma)
{
  // The same meshed lesion standing for 1 mL and for 1 L: the larger burden takes ligand
  // from the plasma, so the kidney holds less at 24 h and the lesion's own concentration
  // (activity per volume) is lower (docs/physics.md section 5).
  auto at_24h = [](const std::string &volume_mL) {
    const auto sim = run_coupled({"Coupling/Represented lesion volume [mL]=" + volume_mL,
                                  "Transport/Time stepping/End time [h]=24",
                                  "Transport/Time stepping/Output times [h]=24",
                                  "Output/Directory=coupling_sink_" + volume_mL});
    const auto &c = sim->part<BodyCouplingPart>()->coupling();
    const std::size_t k = record_at(c, 24);
    return std::array<double, 2>{{c.tissue_hot_nmol("kidney", k),
                                  c.tissue_hot_nmol("MeshedLesion", k) / c.represented_volume_L()}};
  };
  const auto small = at_24h("1"), large = at_24h("1000");
  BOOST_TEST_MESSAGE("kidney hot at 24 h: " << small[0] << " -> " << large[0]
                     << " nmol; lesion " << small[1] << " -> " << large[1] << " nmol/L");
  // Observed: kidney -3.7 %, lesion -6.1 % (the three compartment lesions, 0.4 L, stay).
  BOOST_TEST(large[0] < 0.98 * small[0]);
  BOOST_TEST(large[1] < 0.97 * small[1]);
}

namespace
{
  /// The well-mixed limit: a small isolated sphere with uniform vessels, no filtration (so no
  /// flow and no Peclet factor) and fast diffusion, coupled with steps of at most dt_min.
  std::unique_ptr<Simulator> well_mixed_coupled(const double dt_min, const double end_h,
                                                const std::string &outputs,
                                                const std::string &max_dt_min = "")
  {
    const std::string dt = std::to_string(dt_min);
    return run_coupled({"Geometry/Type=isolated sphere", "Geometry/Tumour radius [mm]=2",
                        "Geometry/Necrotic core radius [mm]=0", "Geometry/Global refinements=1",
                        "Tissue/Tumour/Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1]=0",
                        "Transport/Tumour/Diffusivity D [cm^2 s^-1]=1e-4",
                        "Coupling/Lesion name=Twin", "Coupling/Represented lesion volume [mL]=50",
                        "Transport/Time stepping/End time [h]=" + std::to_string(end_h),
                        "Transport/Time stepping/Output times [h]=" + outputs,
                        "Transport/Time stepping/Initial time step [min]=" + dt,
                        "Transport/Time stepping/Maximum time step [min]=" +
                          (max_dt_min.empty() ? dt : max_dt_min),
                        "Transport/Time stepping/Maximum reaction step [min]=" + dt,
                        "Output/Directory=coupling_well_mixed"});
  }
} // namespace

BOOST_AUTO_TEST_CASE(well_mixed_lesion_matches_whole_body_compartment)
{
  // Coupled: the PDE lesion 'Twin' (50 mL represented; P S/V = 2e-5 cm/s x 200 /cm =
  // 0.24 /min, phi 0.38, R0 57 nM, release 1.5e-4 /min). Reference: the whole-body model
  // alone with 'Twin' as a compartment lesion of the same volume, perfusion, kPS = P S/V,
  // receptor density and release (interstitial fraction 0.38 there too). With uniform
  // exchange the PDE stays uniform, so the two differ only by the coupled time stepping
  // (steps of 2 min growing to 10 min) against CVODE at 1e-8.
  const auto sim = well_mixed_coupled(2.0, 48, "1, 4, 24, 48", "10");
  const auto &c  = sim->part<BodyCouplingPart>()->coupling();

  dealii::ParameterHandler prm;
  declare_pbrpk_parameters(prm);
  ParameterFile file;
  file.read(prm, source_path("configs/pbrpk/standard_7p4GBq.prm"),
            {"Whole body/Lesions/Lesions=Tumor1: 0.01, 57, 0.5, 0.6, 1.5e-4; Tumor2: 0.34, 19, "
             "0.5, 0.6, 1.5e-4; TumorRest: 0.0488721805, 266, 0.5, 0.6, 1.5e-4; Twin: 0.05, 57, "
             "0.5, 0.24, 1.5e-4",
             "Whole body/Integration/Duration [h]=48"});
  WholeBodyModel reference;
  reference.parse_parameters(prm, file);
  const auto r = reference.run();
  auto reference_hot = [&](const std::string &key, const double t_h) {
    for (const auto &t : reference.tissues())
      if (t.key == key)
        {
          double hot = 0;
          for (const unsigned int p : t.pools)
            hot += r.states.at(static_cast<std::size_t>(t_h))[reference.network().amount(p, 0)];
          return hot;
        }
    throw std::runtime_error("no tissue " + key);
  };
  for (const double t_h : {1.0, 4.0, 24.0, 48.0})
    {
      const std::size_t k = record_at(c, t_h);
      for (const std::string key : {"Twin", "kidney", "blood"})
        {
          const double pde = c.tissue_hot_nmol(key, k), ode = reference_hot(key, t_h);
          BOOST_TEST_MESSAGE(key << " at " << t_h << " h: coupled " << pde << ", compartment "
                                 << ode << " nmol, relative difference " << std::abs(pde - ode) / ode);
          // Observed: at most 1.1e-3 (the lesion at 1 h), 1e-5 to 1e-4 from 24 h on.
          BOOST_TEST(std::abs(pde - ode) < 5e-3 * ode);
        }
    }
}

BOOST_AUTO_TEST_CASE(coupled_curves_converge_at_first_order_in_time)
{
  // Fixed steps of 32, 16, 8 and 4 min over 24 h: the lesion, kidney and blood curves at 4
  // and 24 h; successive differences must shrink at least at first order (observed rate
  // > 0.9 for the backward-Euler transport step).
  std::vector<std::array<double, 6>> values;
  for (const double dt : {32.0, 16.0, 8.0, 4.0})
    {
      const auto  sim = well_mixed_coupled(dt, 24, "4, 24");
      const auto &c   = sim->part<BodyCouplingPart>()->coupling();
      std::array<double, 6> v{};
      unsigned int          i = 0;
      for (const double t_h : {4.0, 24.0})
        for (const std::string key : {"Twin", "kidney", "blood"})
          v[i++] = c.tissue_hot_nmol(key, record_at(c, t_h));
      values.push_back(v);
    }
  for (unsigned int i = 0; i < 6; ++i)
    {
      const double d1 = std::abs(values[0][i] - values[1][i]), d2 = std::abs(values[1][i] - values[2][i]),
                   d3 = std::abs(values[2][i] - values[3][i]);
      const double rate = std::log2(d2 / d3);
      BOOST_TEST_MESSAGE("quantity " << i << ": differences " << d1 << ", " << d2 << ", " << d3
                                     << " (relative " << d3 / values[3][i] << "); rates "
                                     << std::log2(d1 / d2) << ", " << rate);
      BOOST_TEST(rate > 0.9);
    }
}
