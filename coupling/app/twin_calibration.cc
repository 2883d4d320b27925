// RadioTwin: the model-based calibration and the predicted cycles of `radiotwin twin`
// (twin_calibration.h, docs/twin.md).
#include "coupling/app/twin_calibration.h"

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "coupling/model_calibration.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_twin_calibration_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Calibration");
    prm.declare_entry("Parameters", "", Patterns::List(Patterns::Anything()),
                      "Whole-body parameters fitted to the measured curves (the model of the "
                      "'Whole body' section is the population, their prior): kidney_receptor_density, "
                      "salivary_receptor_density, prostate_receptor_density, liver_receptor_density, "
                      "spleen_receptor_density, GI_receptor_density [nmol/L], kidney_release_rate, "
                      "salivary_release_rate, other_release_rate, internalisation_rate [1/min], GFR "
                      "[L/min], and per lesion LESION_receptor_density [nmol/L] and LESION_perfusion "
                      "[mL/(min g)]. Empty: classical dosimetry only.");
    prm.declare_entry("Region tissues", "", Patterns::Map(Patterns::Anything(), Patterns::Anything()),
                      "Which tissue of the model each measured region (label name or table key) belongs "
                      "to, 'REGION: TISSUE, ...'; the regions of one tissue are summed. Unlisted regions "
                      "go by name: kidney* -> kidney, salivary*/parotid*/submandibular* -> "
                      "salivary_glands, liver, spleen, prostate, and the lesions of 'Twin/Lesions' to "
                      "lesions of that name; other regions (the body) are not fitted.");
    prm.declare_entry("Lesion template", "", Patterns::Anything(),
                      "Lesion of 'Whole body/Lesions/Lesions' whose receptor density, perfusion, kPS "
                      "and release a measured lesion that the list lacks starts from; empty: the "
                      "first. Every measured lesion gets its segmented volume.");
    prm.declare_entry("Prior sd of ln(parameter) [-]", "1", Patterns::Double(0, 10),
                      "Standard deviation of the log-normal prior around each population value (1: "
                      "a factor e either way); 0: no prior (maximum likelihood). Unit: none. Range: 0-10.");
    prm.declare_entry("Bound factor [-]", "100", Patterns::Double(1.01, 1e6),
                      "Each fitted parameter stays within population / factor and population x "
                      "factor (and its entry's range). Unit: none. Range: 1.01-1e6.");
    prm.declare_entry("Identifiability threshold [-]", "0.5", Patterns::Double(1e-6, 1e6),
                      "A parameter is reported identifiable when the data alone determine it to this "
                      "relative standard error (Fisher information without the prior). Unit: none. "
                      "Range: 1e-6-1e6.");
    prm.declare_entry("Held-out times [h]", "", Patterns::List(Patterns::Double(0)),
                      "Measurement times left out of the fit and predicted instead (the error per "
                      "tissue is reported). Unit: h.");
    prm.declare_entry("Predicted cycles", "4", Patterns::Integer(1, 20),
                      "Cycles whose doses are predicted with the calibrated model (the same injection "
                      "every 'Whole body/Injection/Cycle interval [weeks]'); cycle 1 is the measured one. "
                      "Range: 1-20.");
    prm.declare_entry("Threads", "0", Patterns::Integer(0, 256),
                      "Model runs in parallel for the derivatives; 0: the cores of this machine "
                      "shared by the MPI ranks. Range: 0-256.");
    prm.leave_subsection();
  }

  std::string model_tissue_of_region(const std::string &region, const std::vector<std::string> &lesions)
  {
    const auto starts = [&](const std::string &p) { return region.rfind(p, 0) == 0; };
    if (std::find(lesions.begin(), lesions.end(), region) != lesions.end())
      return region;
    if (starts("kidney"))
      return "kidney";
    if (starts("salivary") || starts("parotid") || starts("submandibular"))
      return "salivary_glands";
    for (const char *organ : {"liver", "spleen", "prostate"})
      if (starts(organ))
        return organ;
    return "";
  }

  namespace
  {
    std::string shortest(const double v)
    {
      std::ostringstream s;
      s << std::setprecision(6) << v;
      return s.str();
    }
  } // namespace

  Json run_twin_calibration(ParameterHandler &prm, const ParameterFile &file, const TwinMeasurements &m,
                            const std::string &directory, const bool root, WholeBodyModel *calibrated_model)
  {
    const std::string section = "Twin/Calibration/";
    prm.enter_subsection("Twin");
    prm.enter_subsection("Calibration");
    CalibrationSettings settings;
    settings.parameters = Utilities::split_string_list(prm.get("Parameters"), ',');
    std::map<std::string, std::string> region_tissue;
    for (const auto &item : Utilities::split_string_list(prm.get("Region tissues"), ','))
      {
        const auto pair = Utilities::split_string_list(item, ':');
        region_tissue[pair.at(0)] = pair.at(1);
      }
    std::string template_lesion = Utilities::trim(prm.get("Lesion template"));
    settings.prior_sd_log              = prm.get_double("Prior sd of ln(parameter) [-]");
    settings.bound_factor              = prm.get_double("Bound factor [-]");
    settings.identifiability_threshold = prm.get_double("Identifiability threshold [-]");
    std::vector<double> held_out;
    for (const auto &t : Utilities::split_string_list(prm.get("Held-out times [h]"), ','))
      held_out.push_back(Utilities::string_to_double(t));
    const unsigned int n_cycles = prm.get_integer("Predicted cycles");
    settings.threads            = prm.get_integer("Threads");
    prm.leave_subsection();
    prm.leave_subsection();
    if (settings.parameters.empty())
      return Json();
    if (settings.threads == 0)
      settings.threads = std::max(1u, std::thread::hardware_concurrency() /
                                        std::max(1u, Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD)));

    // The population model of this patient: its lesions with their segmented volumes.
    WholeBodyModel model;
    model.parse_parameters(prm, file);
    if (model.imports_sbml())
      file.fail("Whole body/Model", "the calibration adjusts the native model; an imported SBML model cannot be "
                                    "calibrated yet");
    const double cycle_h = model.cycle_interval_h();
    model.set_cycles(1, cycle_h);
    const double model_MBq = model.injected_hot_nmol() * model.activity_MBq_per_nmol();
    if (std::abs(model_MBq - m.injected_MBq) > 5e-3 * m.injected_MBq)
      file.fail("Twin/Injected activity [MBq]", shortest(m.injected_MBq) + " MBq, but one cycle of 'Whole body/Injection/"
                                                "Injections' gives " + shortest(model_MBq) +
                                                " MBq: the calibrated model must be given what the patient was given");
    if (!m.lesions.empty() && model.lesion_volumes_L().empty() && template_lesion.empty())
      file.fail(section + "Lesion template", "the model has no lesion to take the measured lesions' properties from");
    if (template_lesion.empty() && !model.lesion_volumes_L().empty())
      template_lesion = model.lesion_volumes_L().front().first;
    const double density = model.tissue_density_kg_per_L();
    for (const auto &lesion : m.lesions)
      if (const auto mass = m.masses_kg.find(lesion); mass != m.masses_kg.end())
        try
          {
            model.set_lesion_volume(lesion, mass->second / density, template_lesion);
          }
        catch (const std::invalid_argument &e)
          {
            file.fail(section + "Lesion template", e.what());
          }

    // The measured tissues: the regions of each summed at the times they share.
    std::map<std::string, std::vector<std::string>> regions_of;
    std::vector<std::string>                        unfitted;
    for (const auto &[region, points] : m.curves)
      {
        const auto        given  = region_tissue.find(region);
        const std::string tissue = given != region_tissue.end() ? given->second : model_tissue_of_region(region, m.lesions);
        if (tissue.empty())
          {
            unfitted.push_back(region);
            continue;
          }
        if (model.tissue(tissue) == nullptr)
          file.fail(section + "Region tissues", "region '" + region + "' belongs to '" + tissue +
                                                  "', which is not a tissue of the whole-body model");
        regions_of[tissue].push_back(region);
      }
    for (const auto &[region, tissue] : region_tissue)
      if (!m.curves.count(region))
        file.fail(section + "Region tissues", "'" + region + "' is not a measured region of " + m.source);
    if (regions_of.empty())
      file.fail(section + "Region tissues", "no measured region belongs to a tissue of the model");
    std::vector<CalibrationDatum> data, held;
    std::map<std::string, double> tissue_mass_kg; // the patient's, where every region has one
    for (const auto &[tissue, regions] : regions_of)
      {
        std::map<double, std::pair<double, double>> sums; // time -> (activity, variance)
        std::map<double, unsigned int>              count;
        for (const auto &r : regions)
          for (const auto &p : m.curves.at(r))
            {
              sums[p.time_h].first += p.activity_MBq;
              sums[p.time_h].second += p.sigma_MBq * p.sigma_MBq;
              ++count[p.time_h];
            }
        for (const auto &[t, s] : sums)
          if (count[t] == regions.size())
            {
              const CalibrationDatum d{tissue, t, s.first, std::sqrt(s.second)};
              const bool out = std::any_of(held_out.begin(), held_out.end(),
                                           [&](const double h) { return std::abs(h - t) <= 1e-9 * std::max(1.0, t); });
              (out ? held : data).push_back(d);
            }
        double mass = 0;
        bool   all  = true;
        for (const auto &r : regions)
          if (const auto mm = m.masses_kg.find(r); mm != m.masses_kg.end())
            mass += mm->second;
          else
            all = false;
        if (all)
          tissue_mass_kg[tissue] = mass;
      }
    for (const double h : held_out)
      if (std::none_of(held.begin(), held.end(), [&](const CalibrationDatum &d) { return std::abs(d.time_h - h) <= 1e-9 * std::max(1.0, h); }))
        file.fail(section + "Held-out times [h]", shortest(h) + " h is not a measurement time of " + m.source);

    std::unique_ptr<ModelCalibration> calibration;
    try
      {
        calibration = std::make_unique<ModelCalibration>(model, data, settings);
      }
    catch (const std::invalid_argument &e)
      {
        file.fail(section + "Parameters", e.what());
      }
    if (root)
      {
        std::cout << "  calibration: " << settings.parameters.size() << " parameters to " << data.size()
                  << " measured activities of " << regions_of.size() << " tissues";
        if (!unfitted.empty())
          {
            std::cout << " (not fitted:";
            for (const auto &u : unfitted)
              std::cout << " " << u;
            std::cout << ")";
          }
        std::cout << std::endl;
      }
    const CalibrationResult result = calibration->run();
    if (root)
      {
        std::cout << "  " << (result.converged ? "converged" : "NOT converged") << " after " << result.iterations
                  << " iterations, " << result.model_runs << " model runs, " << std::setprecision(3)
                  << result.wall_time_s << " s; chi^2 " << result.chi2_data << " (data, " << result.n_data
                  << " points) + " << result.chi2_prior << " (prior)" << std::endl;
        for (const auto &p : result.parameters)
          std::cout << "    " << std::left << std::setw(30) << p.name << std::right << std::setprecision(5)
                    << std::setw(12) << p.value << " " << std::left << std::setw(11) << p.unit << std::right
                    << " [" << std::setprecision(4) << p.lower95 << ", " << p.upper95 << "]  population "
                    << p.population << (p.identifiable ? "" : "  NOT IDENTIFIABLE (data-only relative se " +
                                                                 shortest(p.data_relative_se) + ")")
                    << std::endl;
      }

    // Everything after the fit is the calibrated model at x, its uncertainty propagated.
    const std::vector<double> &x = result.x;
    std::vector<std::string>   tissues;
    for (const auto &[tissue, regions] : regions_of)
      tissues.push_back(tissue);
    for (const auto &t : model.tissues())
      if (t.dose_tracker >= 0 && !regions_of.count(t.key))
        tissues.push_back(t.key); // predicted too: marrow, other organs and lesions

    // Predicted cycles: per cycle and tissue TIA [MBq h], dose [Gy] and BED [Gy], with the
    // patient's segmented mass where every region of the tissue has one.
    const auto cycles_f = [&](const std::vector<double> &xx) {
      WholeBodyModel wb = calibration->model_at(xx);
      wb.set_cycles(n_cycles, cycle_h);
      std::vector<double> times;
      for (unsigned int c = 1; c <= n_cycles; ++c)
        times.push_back(c * cycle_h);
      const auto          r = wb.run(times);
      std::vector<double> out;
      const double        a = wb.activity_MBq_per_nmol();
      for (unsigned int c = 0; c < n_cycles; ++c)
        for (const auto &key : tissues)
          {
            const auto &t     = *wb.tissue(key);
            const auto &end   = r.states.at(c); // rows at the cycles' ends only
            const auto  begin = c == 0 ? std::vector<double>(end.size(), 0.0) : r.states.at(c - 1);
            const unsigned int I = wb.network().integral(t.integral);
            out.push_back((end[I] - begin[I]) * a / 60.0);
            // The cycle's terms, rescaled to the patient's mass: D by m_model / m, I by its square.
            const auto   mass  = tissue_mass_kg.find(key);
            const double ratio = mass != tissue_mass_kg.end() && t.mass_kg > 0 ? t.mass_kg / mass->second : 1.0;
            const auto   e = wb.dose_terms(t, end), b = wb.dose_terms(t, begin);
            const double D = (e[0] - b[0]) * ratio, I2 = (e[1] - b[1]) * ratio * ratio;
            out.push_back(D);
            out.push_back(WholeBodyModel::bed_Gy(t, D, I2));
          }
      return out;
    };
    std::vector<double> cycle_values, cycle_sd;
    propagate_uncertainty(cycles_f, x, result.covariance_log, cycle_values, cycle_sd, 1e-4, settings.threads);

    // Curves of the measured tissues (1 h grid to 1.25 x the last point) and the held-out
    // points, with bands.
    double t_last = 0;
    for (const auto &d : data)
      t_last = std::max(t_last, d.time_h);
    for (const auto &d : held)
      t_last = std::max(t_last, d.time_h);
    std::vector<double> grid;
    for (double t = 1; t <= std::ceil(1.25 * t_last); t += 1)
      grid.push_back(t);
    std::vector<double> held_times;
    for (const auto &d : held)
      held_times.push_back(d.time_h);
    const auto curves_f = [&](const std::vector<double> &xx) {
      const WholeBodyModel wb = calibration->model_at(xx);
      std::vector<double>  times = grid;
      times.insert(times.end(), held_times.begin(), held_times.end());
      std::sort(times.begin(), times.end());
      times.erase(std::unique(times.begin(), times.end()), times.end());
      const auto          r = wb.run(times);
      std::vector<double> out;
      const auto          at = [&](const double t) -> const std::vector<double> & {
        return r.states.at(std::lower_bound(r.times_h.begin(), r.times_h.end(), t * (1 - 1e-12)) - r.times_h.begin());
      };
      for (const auto &[tissue, regions] : regions_of)
        for (const double t : grid)
          out.push_back(tissue_activity_MBq(wb, tissue, at(t)));
      for (const auto &d : held)
        out.push_back(tissue_activity_MBq(wb, d.tissue, at(d.time_h)));
      return out;
    };
    std::vector<double> curve_values, curve_sd;
    propagate_uncertainty(curves_f, x, result.covariance_log, curve_values, curve_sd, 1e-4, settings.threads);
    const std::vector<double> &fitted = result.fitted_MBq;

    // Outputs.
    Json j;
    j["parameters"] = Json::array();
    for (const auto &p : result.parameters)
      {
        Json q;
        q["name"]                         = p.name;
        q["unit"]                         = p.unit;
        q["population"]                   = p.population;
        q["value"]                        = p.value;
        q["relative_sd"]                  = p.sd_log;
        q["ci95_lower"]                   = p.lower95;
        q["ci95_upper"]                   = p.upper95;
        q["data_only_relative_se"]        = std::isfinite(p.data_relative_se) ? Json(p.data_relative_se) : Json("inf");
        q["prior_variance_removed"]       = p.prior_variance_removed;
        q["identifiable"]                 = p.identifiable;
        j["parameters"].push_back(q);
      }
    j["covariance_of_ln_parameters"] = result.covariance_log;
    j["correlation"]                 = result.correlation;
    j["chi2_data"]                   = result.chi2_data;
    j["chi2_prior"]                  = result.chi2_prior;
    j["n_data"]                      = result.n_data;
    j["iterations"]                  = result.iterations;
    j["model_runs"]                  = result.model_runs;
    j["converged"]                   = result.converged;
    j["solver"]                      = "Ceres Levenberg-Marquardt, central differences in ln(parameter), model to rtol " +
                  shortest(settings.relative_tolerance);
    j["solver_message"]              = result.solver_message;
    j["wall_time_s"]                 = result.wall_time_s;
    j["prior_sd_ln"]                 = settings.prior_sd_log;
    j["identifiability_threshold"]   = settings.identifiability_threshold;
    j["cycle_interval_h"]            = cycle_h;
    for (const auto &[tissue, regions] : regions_of)
      {
        j["tissues"][tissue]["regions"] = regions;
        if (tissue_mass_kg.count(tissue))
          j["tissues"][tissue]["patient_mass_kg"] = tissue_mass_kg.at(tissue);
        j["tissues"][tissue]["model_mass_kg"] = model.tissue(tissue)->mass_kg;
      }
    std::vector<std::string> not_identifiable;
    for (const auto &p : result.parameters)
      if (!p.identifiable)
        not_identifiable.push_back(p.name);
    j["not_identifiable"] = not_identifiable;

    std::ostringstream data_csv, curves_csv, cycles_csv;
    data_csv << std::setprecision(10)
             << "tissue,time_h,measured_MBq,sigma_MBq,model_MBq,model_sd_MBq,weighted_residual,used_in_fit\n";
    for (std::size_t i = 0; i < data.size(); ++i)
      data_csv << data[i].tissue << "," << data[i].time_h << "," << data[i].activity_MBq << "," << data[i].sigma_MBq
               << "," << fitted[i] << ",," << (fitted[i] - data[i].activity_MBq) / data[i].sigma_MBq << ",1\n";
    Json held_json = Json::array();
    const std::size_t n_curve = regions_of.size() * grid.size();
    for (std::size_t i = 0; i < held.size(); ++i)
      {
        const double v = curve_values[n_curve + i], s = curve_sd[n_curve + i];
        data_csv << held[i].tissue << "," << held[i].time_h << "," << held[i].activity_MBq << "," << held[i].sigma_MBq
                 << "," << v << "," << s << "," << (v - held[i].activity_MBq) / held[i].sigma_MBq << ",0\n";
        Json h;
        h["tissue"]             = held[i].tissue;
        h["time_h"]             = held[i].time_h;
        h["measured_MBq"]       = held[i].activity_MBq;
        h["predicted_MBq"]      = v;
        h["predicted_sd_MBq"]   = s;
        h["relative_error"]     = (v - held[i].activity_MBq) / held[i].activity_MBq;
        held_json.push_back(h);
      }
    j["held_out"] = held_json;
    curves_csv << std::setprecision(8) << "time_h";
    for (const auto &[tissue, regions] : regions_of)
      curves_csv << "," << tissue << "_model_MBq," << tissue << "_model_sd_MBq";
    curves_csv << "\n";
    for (std::size_t k = 0; k < grid.size(); ++k)
      {
        curves_csv << grid[k];
        for (std::size_t o = 0; o < regions_of.size(); ++o)
          curves_csv << "," << curve_values[o * grid.size() + k] << "," << curve_sd[o * grid.size() + k];
        curves_csv << "\n";
      }
    cycles_csv << std::setprecision(8)
               << "cycle,tissue,mass_kg,time_integrated_activity_MBq_h,time_integrated_activity_sd_MBq_h,"
                  "absorbed_dose_Gy,absorbed_dose_sd_Gy,BED_Gy,BED_sd_Gy\n";
    Json cycles_json = Json::array();
    for (unsigned int c = 0; c < n_cycles; ++c)
      {
        Json cj;
        cj["cycle"]   = c + 1;
        cj["start_h"] = c * cycle_h;
        for (std::size_t k = 0; k < tissues.size(); ++k)
          {
            const std::size_t i    = 3 * (c * tissues.size() + k);
            const auto        mass = tissue_mass_kg.find(tissues[k]);
            const double      kg   = mass != tissue_mass_kg.end() ? mass->second : model.tissue(tissues[k])->mass_kg;
            cycles_csv << c + 1 << "," << tissues[k] << "," << kg << "," << cycle_values[i] << "," << cycle_sd[i] << ","
                       << cycle_values[i + 1] << "," << cycle_sd[i + 1] << "," << cycle_values[i + 2] << ","
                       << cycle_sd[i + 2] << "\n";
            Json t;
            t["mass_kg"]                            = kg;
            t["time_integrated_activity_MBq_h"]     = cycle_values[i];
            t["time_integrated_activity_sd_MBq_h"]  = cycle_sd[i];
            t["absorbed_dose_Gy"]                   = cycle_values[i + 1];
            t["absorbed_dose_sd_Gy"]                = cycle_sd[i + 1];
            t["BED_Gy"]                             = cycle_values[i + 2];
            t["BED_sd_Gy"]                          = cycle_sd[i + 2];
            cj["tissues"][tissues[k]]               = t;
          }
        cycles_json.push_back(cj);
      }
    j["predicted_cycles"] = cycles_json;
    if (root)
      {
        write_file_atomically(directory + "/calibration_data.csv", data_csv.str());
        write_file_atomically(directory + "/calibrated_curves.csv", curves_csv.str());
        write_file_atomically(directory + "/predicted_cycles.csv", cycles_csv.str());
        write_file_atomically(directory + "/calibration.json", dump_json(j));
        std::cout << "  predicted (" << n_cycles << " cycles every " << shortest(cycle_h) << " h):";
        for (const auto &key : {std::string("kidney"), std::string("salivary_glands")})
          if (const auto it = std::find(tissues.begin(), tissues.end(), key); it != tissues.end())
            {
              const std::size_t k = it - tissues.begin();
              std::cout << " " << key << " " << std::setprecision(3) << cycle_values[3 * k + 1] << " +- "
                        << std::setprecision(2) << cycle_sd[3 * k + 1] << " Gy per cycle";
            }
        std::cout << std::endl;
      }
    if (calibrated_model != nullptr)
      *calibrated_model = calibration->model_at(x);
    return j;
  }
} // namespace radiotwin
