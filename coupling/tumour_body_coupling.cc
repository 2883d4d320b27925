#include "coupling/tumour_body_coupling.h"

#include "coupling/sbml_whole_body.h"

#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <cmath>
#include <regex>
#include <set>

#include "physics/regions.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  void TumourBodyCoupling::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Coupling");
    prm.declare_entry("Whole-body coupling", "false", Patterns::Bool(),
                      "Couple the meshed tumour to the whole-body PBRPK model at every time step "
                      "(docs/physics.md section 5): the model supplies the plasma concentration "
                      "and the tumour's uptake leaves its plasma. Needs 'Transport/Enabled = "
                      "true'; 'Plasma input' is then unused, and the run follows "
                      "'Transport/Time stepping' ('Whole body/Integration/Duration' and 'Output "
                      "interval' apply to 'radiotwin pbrpk' runs only).");
    prm.declare_entry("Lesion name", "MeshedLesion", Patterns::Anything(),
                      "Key of the meshed lesion in time_activity.csv and summary.json (letters, "
                      "digits and '_'). Must differ from the names in 'Whole body/Lesions'.");
    prm.declare_entry("Represented lesion volume [mL]", "0", Patterns::Double(0, 1e5),
                      "Tumour volume the meshed tumour stands for (e.g. the total tumour burden "
                      "it represents): every exchange of the PDE with the blood is scaled by "
                      "this / the meshed tumour volume (tumour + necrotic core). The meshed host "
                      "shell is scaled with it. 0: the meshed tumour volume (scale 1). Unit: mL. "
                      "Range: 0-1e5.");
    prm.declare_entry("Lesion perfusion [mL min^-1 g^-1]", "0.5", Patterns::Double(1e-4, 100),
                      "Plasma flow through the lesion's vascular pool per lesion volume (as for "
                      "the compartment lesions; Fele-Paranj 2024: 0.5). Unit: mL/(min g). Range: "
                      "1e-4-100.");
    prm.declare_entry("Plasma tolerance [-]", "1e-4", Patterns::Double(1e-14, 1e-2),
                      "Newton on the lesion plasma held over a step stops when the body's mean "
                      "over the step and the c_p the PDE reacted with differ by at most this "
                      "(relative). The PDE's step is then moved to the body's mean along its "
                      "sensitivities, which conserves exactly and leaves an error of the order "
                      "of the square of this. Range: 1e-14-1e-2.");
    prm.leave_subsection();
    WholeBodyModel::declare_parameters(prm);
  }

  void TumourBodyCoupling::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Coupling");
    is_enabled        = prm.get_bool("Whole-body coupling");
    lesion_name       = Utilities::trim(prm.get("Lesion name"));
    represented_mL    = prm.get_double("Represented lesion volume [mL]");
    perfusion_per_min = prm.get_double("Lesion perfusion [mL min^-1 g^-1]");
    plasma_tolerance  = prm.get_double("Plasma tolerance [-]");
    prm.leave_subsection();
    if (!is_enabled)
      return;
    if (!std::regex_match(lesion_name, std::regex("[A-Za-z0-9_]+")))
      file.fail("Coupling/Lesion name", "use letters, digits and '_' only (got '" +
                                          lesion_name + "')");
    prm.enter_subsection("Transport");
    const bool transport = prm.get_bool("Enabled");
    prm.leave_subsection();
    if (!transport)
      file.fail("Coupling/Whole-body coupling",
                "coupling needs the radioligand transport: set 'Transport/Enabled = true'");
    body.parse_parameters(prm, file);
    if (const SbmlMapping *sbml = body.sbml_mapping(); sbml && sbml->arterial_plasma.empty())
      file.fail("Whole body/SBML/Plasma species",
                "a coupled run needs the plasma species that feed and drain the meshed lesion's blood");
    if (const SbmlMapping *sbml = body.sbml_mapping(); sbml && !sbml->model->timed_events().empty())
      file.fail("Whole body/SBML/File", "the SBML model has timed events, which coupled runs do not apply "
                                        "(radiotwin pbrpk does)");
    prm.enter_subsection("Whole body");
    prm.enter_subsection("Integration");
    const double lambda_override = prm.get_double("Decay constant override [min^-1]");
    prm.leave_subsection();
    prm.leave_subsection();
    if (lambda_override > 0)
      file.fail("Whole body/Integration/Decay constant override [min^-1]",
                "a coupled run decays tissue and body alike with the radionuclide's half-life; "
                "leave the override at 0");
    for (const auto &t : body.tissues())
      if (t.key == lesion_name)
        file.fail("Coupling/Lesion name", "'" + lesion_name +
                                            "' is already a tissue or lesion of the whole-body model");
  }

  void TumourBodyCoupling::initialise(const double meshed_tumour_volume_L,
                                      const double pde_decay_per_s)
  {
    if (std::abs(pde_decay_per_s * 60.0 - body.decay_constant_per_min()) >
        1e-12 * body.decay_constant_per_min())
      throw std::logic_error("coupling: the PDE and the whole-body model decay differently");
    represented_L = represented_mL > 0 ? represented_mL * 1e-3 : meshed_tumour_volume_L;
    s             = represented_L / meshed_tumour_volume_L;
    body.set_coupled_lesion({lesion_name, represented_L, perfusion_per_min});

    const auto &net = body.network();
    // The dense Newton solver, as when the coupled references were made: the sparse one
    // changes the whole-body round-off, which moves a tumour voxel across a DVH bin edge
    // (0 vs 7e-15 in regression coupled_48h). The whole body is a small share of a coupled
    // step next to the PDE solves.
    integrator = std::make_unique<NetworkIntegrator>(net, 1e-8, 1e-12, 1000000,
                                                     NetworkIntegrator::LinearSolver::dense);
    y.assign(net.n_states(), 0.0);
    result = WholeBodyModel::Result();
    ledger = WholeBodyModel::External();
    ledger.key = lesion_name;
    const auto [alpha_beta, t_rep_h] = body.radiobiology_of("tumour");
    lesion_dose_Gy            = physics::DoseAccumulator();
    lesion_dose_Gy.alpha_beta_Gy = alpha_beta;
    lesion_dose_Gy.mu_per_h      = t_rep_h > 0 ? std::log(2.0) / t_rep_h : 0.0;
    lesion_tia = 0;
    pde_decayed_hot_nmol = 0;
    bolus_given.assign(body.protocol().size(), false);
    steps = newton_iterations = 0;
    cvode_steps_before = cvode_rhs_before = 0;
    whole_body_wall_s         = 0;
  }

  std::vector<double> TumourBodyCoupling::event_times_s() const
  {
    return body.protocol().event_times_s();
  }

  void TumourBodyCoupling::apply_boluses(const double t_s)
  {
    const auto &       net  = body.network();
    const unsigned int vein = body.vein_pool();
    const auto &       protocol = body.protocol();
    bolus_given.resize(protocol.size(), false);
    for (std::size_t k = 0; k < protocol.size(); ++k)
      if (!bolus_given[k] && protocol.bolus_due(k, t_s))
        {
          y[net.amount(vein, 0)] += protocol.injections()[k].hot_nmol;
          y[net.amount(vein, 1)] += protocol.injections()[k].cold_nmol;
          bolus_given[k] = true;
          last_bolus_s   = t_s;
        }
  }

  std::array<double, 2> TumourBodyCoupling::lesion_plasma_nM() const
  {
    const auto &      net = body.network();
    const unsigned int v  = body.coupled().vascular;
    return {{y[net.amount(v, 0)] / net.pool_volume(v), y[net.amount(v, 1)] / net.pool_volume(v)}};
  }

  TransportSolver::StepBalance TumourBodyCoupling::step(TransportSolver &pde, const double t_s,
                                                        const double dt_s)
  {
    const auto &       net   = body.network();
    const auto &       c     = body.coupled();
    const unsigned int vas   = c.vascular, vein = body.vein_pool();
    const double       t_min = t_s / units::min, dt_min = dt_s / units::min;
    const double       t_h = t_s / units::h;
    const double       Vvas = c.vascular_volume_L;

    // 1. The PDE's transport: it does not depend on the plasma. What it drained (lymph,
    //    outflow) returns to the venous blood during the step.
    const std::array<double, 2> returned = pde.begin_coupled_step(t_s, dt_s);

    // Sources over the step: infusions running through it (the time loop lands on their
    // starts and ends; boluses are given by apply_boluses()) and the returned ligand.
    std::vector<double> base_source(net.n_states(), 0.0);
    const auto infusion = body.protocol().infusion_rate_nmol_per_min(t_s, t_s + dt_s);
    base_source[net.amount(vein, 0)] += infusion[0];
    base_source[net.amount(vein, 1)] += infusion[1];
    for (unsigned int sp = 0; sp < 2; ++sp)
      base_source[net.amount(vein, sp)] += s * returned[sp] / dt_min;
    const std::vector<double> y_start = y;
    const double marrow_rate = c.marrow_weight_Gy_per_min_per_nmol * lesion_hot_now_nmol;

    // 2. Newton on the plasma concentration held over the step: the PDE's reaction and
    //    exchange at c gives its uptake U(c) and dU/dc; the body, with the uptake linearised
    //    there, gives the mean concentration of the lesion's plasma over the step; repeat
    //    until the two agree. First guess: the mean over the step of the exponential through
    //    the plasma at the last step's start and now (not across a bolus given now).
    const std::array<double, 2> plasma_now = lesion_plasma_nM();
    std::array<double, 2>       cp         = plasma_now;
    if (last_dt_s > 0 && last_bolus_s != t_s)
      for (unsigned int sp = 0; sp < 2; ++sp)
        if (last_start_plasma[sp] > 0 && plasma_now[sp] > 0)
          {
            const double x     = std::log(last_start_plasma[sp] / plasma_now[sp]) * dt_s / last_dt_s;
            const double guess = plasma_now[sp] * (std::abs(x) < 1e-6 ? 1 - 0.5 * x : -std::expm1(-x) / x);
            if (guess > 0.5 * plasma_now[sp] && guess < 2 * plasma_now[sp])
              cp[sp] = guess;
          }
    std::array<double, 2> mean{};
    for (unsigned int iteration = 0;; ++iteration)
      {
        const TransportSolver::ExchangeTry ex = pde.try_exchange(cp);
        std::array<std::array<double, 2>, 2> k{};
        std::vector<double> source = base_source;
        for (unsigned int sp = 0; sp < 2; ++sp)
          {
            double constant = ex.uptake[sp];
            for (unsigned int sp2 = 0; sp2 < 2; ++sp2)
              {
                k[sp][sp2] = s * ex.sensitivity[sp][sp2] / (dt_min * Vvas);
                constant -= ex.sensitivity[sp][sp2] * cp[sp2];
              }
            source[net.amount(vas, sp)] -= s * constant / dt_min;
          }
        body.set_coupling_rates(k, marrow_rate);
        y = y_start;
        for (unsigned int sp = 0; sp < 2; ++sp)
          y[net.amount_integral(c.mean_integral, sp)] = 0;
        Timer wb_timer;
        integrator->reset(t_min, y, source);
        y = integrator->advance_to(t_min + dt_min, t_min + dt_min);
        whole_body_wall_s += wb_timer.wall_time();
        ++newton_iterations;

        double change = 0, size = 0;
        for (unsigned int sp = 0; sp < 2; ++sp)
          {
            mean[sp] = std::max(0.0, y[net.amount_integral(c.mean_integral, sp)] / (Vvas * dt_min));
            change += std::abs(mean[sp] - cp[sp]);
            size += std::abs(mean[sp]) + std::abs(cp[sp]);
          }
        if (change <= plasma_tolerance * size || size == 0)
          break;
        if (iteration == 30)
          throw std::runtime_error("tumour-body coupling: the plasma concentration did not "
                                   "converge in 30 iterations at t = " +
                                   std::to_string(t_h) + " h; try a smaller time step");
        cp = mean;
      }
    // 3. The body removed s U_lin(mean); the PDE's step, moved along its sensitivities from
    //    cp to the mean, takes exactly that. Its releases join the body's.
    const TransportSolver::StepBalance b = pde.finish_coupled_step({{mean[0] - cp[0], mean[1] - cp[1]}});
    mean_plasma       = mean;
    last_start_plasma = plasma_now;
    last_dt_s         = dt_s;
    for (unsigned int sp = 0; sp < 2; ++sp)
      y[net.amount(body.released_pool(), sp)] += s * b.released[sp];
    pde_decayed_hot_nmol += b.decayed_hot;
    ++steps;
    return b;
  }

  void TumourBodyCoupling::record(const double t_s,
                                  const TransportSolver::RegionContent &content)
  {
    const unsigned int tumour = region_index(material_id(Region::tumour)),
                       core   = region_index(material_id(Region::necrotic_core)),
                       host   = region_index(material_id(Region::host));
    const auto hot_in = [&](const unsigned int region) {
      double hot = 0;
      for (const auto &pool : content[region])
        hot += pool[0];
      return hot;
    };
    double all = 0, hot = 0;
    for (const auto &region : content)
      for (const auto &pool : region)
        {
          all += pool[0] + pool[1];
          hot += pool[0];
        }
    const double lesion_hot = s * (hot_in(tumour) + hot_in(core));
    ledger.lesion_hot_nmol.push_back(lesion_hot);
    ledger.host_hot_nmol.push_back(s * hot_in(host));
    ledger.total_nmol.push_back(s * all);
    ledger.hot_plus_decayed_nmol.push_back(s * (hot + pde_decayed_hot_nmol));
    lesion_hot_now_nmol = lesion_hot;

    result.times_h.push_back(t_s / units::h);
    result.states.push_back(y);
    // The lesion's activity: its plasma (network) and its tissue (PDE).
    const double hot_nmol  = tissue_hot_nmol(lesion_name, result.times_h.size() - 1);
    const double mass_kg   = represented_L * body.tissue_density_kg_per_L();
    const double rate_Gy_h = hot_nmol * body.dose_rate_Gy_kg_per_min_per_nmol() * 60.0 / mass_kg;
    const double t_h       = t_s / units::h;
    const double a_per_nmol = body.activity_MBq_per_nmol();
    if (result.times_h.size() > 1)
      {
        const double dt_h = t_h - last_record_h;
        lesion_tia += 0.5 * (last_hot_nmol + hot_nmol) * a_per_nmol * dt_h;
        lesion_dose_Gy.add(dt_h, last_dose_rate_Gy_per_h, rate_Gy_h);
      }
    last_record_h           = t_h;
    last_hot_nmol           = hot_nmol;
    last_dose_rate_Gy_per_h = rate_Gy_h;
  }

  double TumourBodyCoupling::tissue_hot_nmol(const std::string &key, const std::size_t k) const
  {
    const auto &net = body.network();
    double      hot = key == lesion_name ? ledger.lesion_hot_nmol.at(k) : 0.0;
    for (const auto &t : body.tissues())
      if (t.key == key)
        for (const unsigned int p : t.pools)
          hot += result.states.at(k)[net.amount(p, 0)];
    return hot;
  }

  std::array<double, 2> TumourBodyCoupling::conservation_defects() const
  {
    return body.conservation_defects(result, &ledger);
  }

  Json TumourBodyCoupling::write_outputs(const std::string &directory, const bool write_files) const
  {
    WholeBodyModel::External external = ledger;
    const double injected_MBq =
      body.injected_hot_nmol(result.times_h.back()) * body.activity_MBq_per_nmol();
    const double mass_kg = represented_L * body.tissue_density_kg_per_L();
    external.lesion_results = {
      {"represented_volume_mL", represented_L * 1e3},
      {"scale_represented_over_meshed", s},
      {"time_integrated_activity_MBq_h", lesion_tia},
      {"time_integrated_activity_per_injected_activity_h", lesion_tia / injected_MBq},
      {"mass_kg", mass_kg},
      {"absorbed_dose_Gy", lesion_dose_Gy.D},
      {"absorbed_dose_per_activity_Gy_per_GBq", lesion_dose_Gy.D / (injected_MBq / 1000)},
      {"BED_Gy", lesion_dose_Gy.bed_Gy()}};
    WholeBodyModel::Result r = result;
    r.steps           = cvode_steps_before + integrator->n_steps();
    r.rhs_evaluations = cvode_rhs_before + integrator->n_rhs_evaluations();
    r.wall_time_s     = whole_body_wall_s;
    Json summary;
    if (write_files)
      summary = body.write_outputs(r, directory, &external);
    return summary;
  }
} // namespace radiotwin
