// RadioTwin: the whole-body model's outputs: time_activity.csv, receptor_occupancy.csv, the
// summary (TIA, %IA, doses and BED per organ and lesion) and the conservation check.
#include "coupling/whole_body_model.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <optional>
#include <sstream>

#include "physics/base/atomic_file.h"
#include "physics/base/version.h"

namespace radiotwin
{
  std::array<double, 2> WholeBodyModel::conservation_defects(const Result &r,
                                                             const External *external) const
  {
    std::array<double, 2> worst{{0, 0}};
    for (std::size_t k = 0; k < r.times_h.size(); ++k)
      {
        const double t        = r.times_h[k];
        const double hot_in   = injected_hot_nmol(t);
        const double injected = hot_in + injected_cold_nmol(t);
        const double total = total_ligand(r.states[k]) + (external ? external->total_nmol[k] : 0.0);
        const double hot   = hot_plus_decayed(r.states[k]) +
                           (external ? external->hot_plus_decayed_nmol[k] : 0.0);
        if (injected > 0)
          worst[0] = std::max(worst[0], std::abs(total - injected) / injected);
        if (hot_in > 0)
          worst[1] = std::max(worst[1], std::abs(hot - hot_in) / hot_in);
      }
    return worst;
  }

  Json WholeBodyModel::write_outputs(const Result &r, const std::string &directory,
                                     const External *external) const
  {
    const double a_per_nmol = activity_MBq_per_nmol();
    // Normalise by what was injected during the run: cycles after its end never happened.
    const double t_end         = r.times_h.back();
    const double injected_hot  = injected_hot_nmol(t_end);
    const double injected_cold = injected_cold_nmol(t_end);
    const double injected_MBq  = injected_hot * a_per_nmol;
    const auto   network_activity = [&](const Tissue &t, const std::vector<double> &y) {
      double sum = 0;
      for (const unsigned int p : t.pools)
        sum += y[net.amount(p, CompartmentNetwork::hot)];
      return sum * a_per_nmol;
    };
    // Activity of a tissue at output k, with the PDE's share for the coupled lesion.
    const auto hot_activity = [&](const Tissue &t, const std::size_t k) {
      return network_activity(t, r.states[k]) +
             (external && t.key == external->key ? external->lesion_hot_nmol[k] * a_per_nmol : 0.0);
    };

    std::ostringstream tac, occupancy;
    tac << std::setprecision(10) << "time_h";
    occupancy << std::setprecision(10) << "time_h";
    for (const auto &t : tissue_list)
      tac << "," << t.key << "_MBq," << t.key << "_pctIA";
    if (external)
      tac << "," << external->key << "_host_shell_MBq";
    if (has_urine())
      tac << ",urine_cumulative_pct_injected_ligand";
    tac << ",injected_activity_MBq\n";
    for (const auto &t : tissue_list)
      if (t.receptors_nmol > 0)
        occupancy << "," << t.key << "_occupancy";
    occupancy << "\n";

    for (std::size_t k = 0; k < r.times_h.size(); ++k)
      {
        const auto &y  = r.states[k];
        const double t = r.times_h[k];
        const double ia = injected_hot_nmol(t) * a_per_nmol;
        tac << t;
        for (const auto &tis : tissue_list)
          {
            const double a = hot_activity(tis, k);
            tac << "," << a << "," << (ia > 0 ? 100 * a / ia : 0.0);
          }
        if (external)
          tac << "," << external->host_hot_nmol[k] * a_per_nmol;
        const double injected_ligand = injected_hot_nmol(t) + injected_cold_nmol(t);
        if (has_urine())
          {
            const double urine_all = y[net.amount(urine, 0)] + y[net.amount(urine, 1)];
            tac << "," << (injected_ligand > 0 ? 100 * urine_all / injected_ligand : 0.0);
          }
        tac << "," << ia << "\n";
        occupancy << t;
        for (const auto &tis : tissue_list)
          if (tis.receptors_nmol > 0)
            occupancy << ","
                      << (y[net.amount(tis.bound_pool, 0)] + y[net.amount(tis.bound_pool, 1)]) /
                           tis.receptors_nmol;
        occupancy << "\n";
      }
    const auto [worst_total, worst_hot] = conservation_defects(r, external);

    const auto &y_end = r.states.back();
    std::optional<std::size_t> k24;
    for (std::size_t k = 0; k < r.times_h.size(); ++k)
      if (std::abs(r.times_h[k] - 24.0) < 1e-9)
        k24 = k;

    Json tissues;
    for (const auto &t : tissue_list)
      {
        Json j;
        if (external && t.key == external->key)
          {
            // TIA, dose and BED of the coupled lesion come from the coupling.
            for (const auto &[name, value] : external->lesion_results)
              j[name] = value;
            if (k24 && injected_hot_nmol(24.0) > 0)
              j["pctIA_at_24h"] = 100 * hot_activity(t, *k24) / (injected_hot_nmol(24.0) * a_per_nmol);
            tissues[t.key] = j;
            continue;
          }
        const double tia = y_end[net.integral(t.integral)] * a_per_nmol / 60.0; // MBq h
        j["time_integrated_activity_MBq_h"] = tia;
        j["time_integrated_activity_per_injected_activity_h"] = tia / injected_MBq;
        if (k24 && injected_hot_nmol(24.0) > 0)
          j["pctIA_at_24h"] = 100 * hot_activity(t, *k24) / (injected_hot_nmol(24.0) * a_per_nmol);
        if (t.dose_tracker >= 0)
          {
            const unsigned int d = net.dose(t.dose_tracker);
            j["mass_kg"] = t.mass_kg;
            j["absorbed_dose_Gy"] = y_end[d];
            j["absorbed_dose_per_activity_Gy_per_GBq"] = y_end[d] / (injected_MBq / 1000);
            if (t.alpha_beta_Gy > 0)
              {
                const auto terms = dose_terms(t, y_end);
                j["BED_Gy"]      = bed_Gy(t, terms[0], terms[1]);
              }
          }
        if (t.receptors_nmol > 0)
          {
            double peak = 0;
            for (const auto &y : r.states)
              peak = std::max(peak, (y[net.amount(t.bound_pool, 0)] + y[net.amount(t.bound_pool, 1)]) /
                                      t.receptors_nmol);
            j["receptors_nmol"] = t.receptors_nmol;
            j["peak_receptor_occupancy"] = peak;
          }
        tissues[t.key] = j;
      }

    Json summary;
    summary["radiotwin_version"] = version_string();
    summary["status"] = "complete";
    summary["model"] = imported ? describe_imported() : "whole-body PBRPK (Fele-Paranj et al. 2024 structure)";
    summary["decay_constant_per_min"] = lambda;
    summary["specific_activity_MBq_per_nmol"] = a_per_nmol;
    summary["injected_hot_nmol"] = injected_hot;
    summary["injected_cold_nmol"] = injected_cold;
    summary["injected_activity_MBq"] = injected_MBq;
    if (injected_hot_nmol() > injected_hot)
      summary["injections_after_end_of_run_nmol_hot"] = injected_hot_nmol() - injected_hot;
    summary["duration_h"] = t_end;
    if (has_urine())
      summary["urine_cumulative_pct_injected_ligand"] =
        100 * (y_end[net.amount(urine, 0)] + y_end[net.amount(urine, 1)]) / (injected_hot + injected_cold);
    summary["tissues"] = tissues;
    Json conservation;
    conservation["max_relative_defect_total_ligand"] = worst_total;
    // With decay inside an imported model, what has decayed is not known apart.
    if (decay_counted())
      conservation["max_relative_defect_hot_plus_decayed"] = worst_hot;
    summary["conservation"] = conservation;
    Json solver;
    solver["states"] = net.n_states();
    solver["cvode_steps"] = r.steps;
    solver["rhs_evaluations"] = r.rhs_evaluations;
    solver["cvode_jacobian_evaluations"] = r.jacobian_evaluations;
    solver["cvode_linear_solver_setups"] = r.linear_solver_setups;
    solver["linear_solver"] = linear_solver == NetworkIntegrator::LinearSolver::dense ? "dense" : "sparse";
    solver["wall_time_s"] = r.wall_time_s;
    summary["solver"] = solver;

    write_file_atomically(directory + "/time_activity.csv", tac.str());
    write_file_atomically(directory + "/receptor_occupancy.csv", occupancy.str());
    return summary;
  }
} // namespace radiotwin
