// RadioTwin: `radiotwin optimise FILE.prm` (optimise.h, docs/optimiser.md).
#include "coupling/app/optimise.h"

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "coupling/app/output_folder.h"
#include "coupling/app/pbrpk.h"
#include "coupling/treatment_optimiser.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"
#include "physics/base/json.h"
#include "physics/base/version.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_optimise_parameters(ParameterHandler &prm)
  {
    declare_pbrpk_parameters(prm); // the patient: whole-body model, radionuclide, radiobiology
    prm.enter_subsection("Optimiser");
    prm.declare_entry("Target lesions", "", Patterns::List(Patterns::Anything()),
                      "Lesions of 'Whole body/Lesions/Lesions' whose mean BED over the treatment is "
                      "maximised; empty: all of them.");
    prm.declare_entry("Organ limits", "kidney BED: 40, red_marrow dose: 2, salivary_glands dose: 26",
                      Patterns::Anything(),
                      "Organ-at-risk limits over the whole treatment, 'TISSUE BED|dose: Gy, ...' "
                      "(docs/physics.md section 11: kidney BED 40 Gy, 28 Gy with risk factors; red "
                      "marrow 2 Gy; parotid 26 Gy). Unit: Gy.");
    prm.declare_entry("Cycles", "6", Patterns::Integer(1, 20), "Number of cycles planned. Range: 1-20.");
    prm.declare_entry("Cycle interval [weeks]", "6", Patterns::Double(0.1, 52),
                      "Time between cycles; the model runs to cycles x interval. Unit: weeks. Range: 0.1-52.");
    prm.declare_entry("Maximum activity per cycle [GBq]", "15", Patterns::Double(1e-3, 100),
                      "Upper bound of every cycle's activity. Unit: GBq. Range: 1e-3-100.");
    prm.declare_entry("Equal activities", "false", Patterns::Bool(),
                      "One activity for every cycle (one variable) instead of one per cycle.");
    prm.declare_entry("Peptide", "fixed specific activity", Patterns::Selection("fixed specific activity|fixed amount"),
                      "How the ligand scales with a cycle's activity: the cold ligand with the hot (the "
                      "specific activity of 'Whole body/Injection/Injections'), or a fixed total "
                      "amount per cycle (hot replaces cold: the kinetics stay linear in activity). "
                      "Unit: none.");
    prm.declare_entry("Reference plan [GBq]", "7.4", Patterns::List(Patterns::Double(0, 100), 1),
                      "The plan shown beside the optimum and the optimiser's start: one activity per "
                      "cycle, or one for all (6 x 7.4 GBq, VISION). Unit: GBq.");
    prm.declare_entry("Pareto kidney BED limits [Gy]", "", Patterns::List(Patterns::Double(0.01, 1000), 0),
                      "Kidney BED limits at which the optimum is found again (the tumour-kidney trade-off "
                      "curve; the other limits kept); empty: none. Unit: Gy.");
    prm.declare_entry("Threads", "0", Patterns::Integer(0, 256),
                      "Model runs in parallel for the gradients; 0: the cores shared by the MPI ranks. "
                      "Range: 0-256.");
    prm.leave_subsection();
  }

  namespace
  {
    std::string gbq(const std::vector<double> &a_MBq)
    {
      std::ostringstream s;
      s << std::setprecision(4);
      for (std::size_t i = 0; i < a_MBq.size(); ++i)
        s << (i ? " + " : "") << a_MBq[i] * 1e-3;
      return s.str() + " GBq";
    }

    Json outcome_json(const PlanOutcome &o, const PlanSettings &s)
    {
      Json j;
      std::vector<double> a;
      for (const double x : o.activities_MBq)
        a.push_back(x * 1e-3);
      j["activities_GBq"]          = a;
      double total = 0;
      for (const double x : a)
        total += x;
      j["total_activity_GBq"]      = total;
      j["target_mean_BED_Gy"]      = o.objective_BED_Gy;
      j["feasible"]                = o.feasible;
      j["limits"]                  = Json::array();
      for (std::size_t k = 0; k < s.limits.size(); ++k)
        {
          Json l;
          l["tissue"]   = s.limits[k].tissue;
          l["quantity"] = s.limits[k].bed ? "BED" : "dose";
          l["limit_Gy"] = s.limits[k].limit_Gy;
          l["value_Gy"] = o.limit_values_Gy[k];
          l["margin_Gy"] = s.limits[k].limit_Gy - o.limit_values_Gy[k];
          j["limits"].push_back(l);
        }
      for (const auto &[key, v] : o.tissues)
        {
          j["tissues"][key]["absorbed_dose_Gy"] = v.first;
          j["tissues"][key]["BED_Gy"]           = v.second;
        }
      if (!o.status.empty())
        {
          j["optimiser"]   = o.status;
          j["model_runs"]  = o.evaluations;
        }
      return j;
    }
  } // namespace

  int run_optimise(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
  {
    const bool     root = Utilities::MPI::this_mpi_process(comm) == 0;
    WholeBodyModel model;
    model.parse_parameters(prm, file);
    const std::string directory = output_directory(prm, file);
    const bool        plots     = output_plots(prm);
    const std::string section   = "Optimiser/";
    if (model.imports_sbml())
      file.fail("Whole body/Model", "the optimiser plans on the native model");
    prm.enter_subsection("Optimiser");
    PlanSettings settings;
    settings.targets = Utilities::split_string_list(prm.get("Target lesions"), ',');
    const std::string limits_text = prm.get("Organ limits");
    settings.cycles           = prm.get_integer("Cycles");
    settings.interval_h       = prm.get_double("Cycle interval [weeks]") * 7 * 24;
    settings.max_activity_MBq = prm.get_double("Maximum activity per cycle [GBq]") * 1e3;
    settings.equal_activities = prm.get_bool("Equal activities");
    settings.fixed_peptide    = prm.get("Peptide") == "fixed amount";
    std::vector<double> reference;
    for (const auto &a : Utilities::split_string_list(prm.get("Reference plan [GBq]"), ','))
      reference.push_back(Utilities::string_to_double(a) * 1e3);
    std::vector<double> pareto;
    for (const auto &a : Utilities::split_string_list(prm.get("Pareto kidney BED limits [Gy]"), ','))
      pareto.push_back(Utilities::string_to_double(a));
    settings.threads = prm.get_integer("Threads");
    prm.leave_subsection();
    if (settings.threads == 0)
      settings.threads =
        std::max(1u, std::thread::hardware_concurrency() / std::max(1u, Utilities::MPI::n_mpi_processes(comm)));
    if (reference.size() == 1)
      reference.assign(settings.cycles, reference[0]);
    if (reference.size() != settings.cycles)
      file.fail(section + "Reference plan [GBq]", std::to_string(reference.size()) + " activities for " +
                                                    std::to_string(settings.cycles) + " cycles");
    if (settings.targets.empty())
      for (const auto &[name, volume] : model.lesion_volumes_L())
        settings.targets.push_back(name);
    for (const auto &item : Utilities::split_string_list(limits_text, ','))
      {
        const auto pair = Utilities::split_string_list(item, ':');
        const auto what = Utilities::split_string_list(pair.at(0), ' ');
        if (pair.size() != 2 || what.size() != 2 || (what[1] != "BED" && what[1] != "dose"))
          file.fail(section + "Organ limits", "'" + item + "' is not 'TISSUE BED: Gy' or 'TISSUE dose: Gy'");
        OrganLimit l;
        l.tissue = what[0];
        l.bed    = what[1] == "BED";
        try
          {
            l.limit_Gy = std::stod(pair[1]);
          }
        catch (const std::exception &)
          {
            file.fail(section + "Organ limits", "'" + pair[1] + "' is not a number of Gy");
          }
        settings.limits.push_back(l);
      }
    for (const auto &r : reference)
      if (r > settings.max_activity_MBq)
        file.fail(section + "Reference plan [GBq]", "a cycle of the reference plan exceeds 'Maximum activity per cycle'");
    std::unique_ptr<TreatmentOptimiser> optimiser;
    try
      {
        optimiser = std::make_unique<TreatmentOptimiser>(model, settings);
      }
    catch (const std::invalid_argument &e)
      {
        file.fail(section + (std::string(e.what()).find("lesion") != std::string::npos ? "Target lesions" : "Organ limits"),
                  e.what());
      }
    if (root)
      std::cout << "RadioTwin " << version_string() << " | radiobiological optimiser | " << file.filename() << "\n  "
                << settings.cycles << " cycles every " << settings.interval_h / 168 << " weeks, "
                << (settings.equal_activities ? "one activity for all, " : "one activity per cycle, ")
                << settings.targets.size() << " target lesions, " << settings.limits.size() << " organ limits"
                << std::endl;

    PlanOutcome reference_outcome;
    try
      {
        reference_outcome = optimiser->evaluate(reference);
      }
    catch (const std::invalid_argument &e)
      {
        file.fail(section + "Reference plan [GBq]", e.what());
      }
    const PlanOutcome best = optimiser->optimise(reference);
    if (!best.feasible)
      throw InputError(file.locate(section + "Organ limits").describe() +
                       ": no plan meets every limit (the optimiser: " + best.status +
                       "); the limits are infeasible for this patient");
    // The trade-off: the optimum again at each kidney BED limit (warm starts).
    std::vector<std::pair<double, PlanOutcome>> front;
    const auto kidney = std::find_if(settings.limits.begin(), settings.limits.end(),
                                     [](const OrganLimit &l) { return l.tissue == "kidney" && l.bed; });
    if (!pareto.empty() && kidney == settings.limits.end())
      file.fail(section + "Pareto kidney BED limits [Gy]", "needs a 'kidney BED' limit among 'Organ limits'");
    {
      std::vector<double> start = best.activities_MBq;
      std::sort(pareto.begin(), pareto.end());
      for (const double limit : pareto)
        {
          optimiser->settings().limits[kidney - settings.limits.begin()].limit_Gy = limit;
          const PlanOutcome o = optimiser->optimise(start);
          front.emplace_back(limit, o);
          if (o.feasible)
            start = o.activities_MBq;
          if (root)
            std::cout << "  kidney BED <= " << limit << " Gy: " << gbq(o.activities_MBq) << ", target BED "
                      << std::setprecision(4) << o.objective_BED_Gy << " Gy" << (o.feasible ? "" : " (infeasible)")
                      << std::endl;
        }
      optimiser->settings().limits = settings.limits;
    }

    if (root)
      {
        const auto show = [&](const char *name, const PlanOutcome &o) {
          std::cout << "  " << name << gbq(o.activities_MBq) << ": target BED " << std::setprecision(4)
                    << o.objective_BED_Gy << " Gy";
          for (std::size_t k = 0; k < settings.limits.size(); ++k)
            std::cout << ", " << settings.limits[k].tissue << " " << (settings.limits[k].bed ? "BED " : "dose ")
                      << std::setprecision(4) << o.limit_values_Gy[k] << "/" << settings.limits[k].limit_Gy;
          std::cout << std::endl;
        };
        show("reference ", reference_outcome);
        show("optimum   ", best);
        std::cout << "  " << best.status << " after " << best.evaluations << " model runs" << std::endl;
        prepare_output_folder(directory, file, short_prm(prm));
        std::ostringstream plan;
        plan << std::setprecision(8) << "cycle,start_h,optimised_activity_GBq,reference_activity_GBq\n";
        for (unsigned int c = 0; c < settings.cycles; ++c)
          plan << c + 1 << "," << c * settings.interval_h << "," << best.activities_MBq[c] * 1e-3 << ","
               << reference[c] * 1e-3 << "\n";
        write_file_atomically(directory + "/plan.csv", plan.str());
        std::ostringstream csv;
        csv << std::setprecision(8) << "kidney_BED_limit_Gy,feasible,total_activity_GBq,target_mean_BED_Gy";
        for (const auto &l : settings.limits)
          csv << "," << l.tissue << "_" << (l.bed ? "BED" : "dose") << "_Gy";
        csv << "\n";
        Json front_json = Json::array();
        for (const auto &[limit, o] : front)
          {
            double total = 0;
            for (const double a : o.activities_MBq)
              total += a * 1e-3;
            csv << limit << "," << (o.feasible ? 1 : 0) << "," << total << "," << o.objective_BED_Gy;
            for (const double v : o.limit_values_Gy)
              csv << "," << v;
            csv << "\n";
            Json p   = outcome_json(o, settings);
            p["kidney_BED_limit_Gy"] = limit;
            front_json.push_back(p);
          }
        write_file_atomically(directory + "/pareto_front.csv", csv.str());
        Json summary;
        summary["radiotwin_version"] = version_string();
        summary["status"]            = "complete";
        summary["mode"]              = "optimise: activities per cycle under organ-at-risk limits";
        summary["parameter_file"]    = file.filename();
        summary["cycles"]            = settings.cycles;
        summary["cycle_interval_h"]  = settings.interval_h;
        summary["targets"]           = settings.targets;
        summary["peptide"]           = settings.fixed_peptide ? "fixed amount" : "fixed specific activity";
        summary["optimum"]           = outcome_json(best, settings);
        summary["reference"]         = outcome_json(reference_outcome, settings);
        summary["pareto_front"]      = front_json;
        write_file_atomically(directory + "/summary.json", dump_json(summary)); // last
        std::cout << "Results: " << directory << "/ (plan.csv, pareto_front.csv, summary.json)" << std::endl;
        if (plots)
          draw_run_plots(directory);
      }
    return 0;
  }
} // namespace radiotwin
