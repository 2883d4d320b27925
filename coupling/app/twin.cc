// RadioTwin: `radiotwin twin FILE.prm`, classical dosimetry from measured time-activity points
// (twin.h, docs/twin.md).
#include "coupling/app/twin.h"

#include <deal.II/base/mpi.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/tac_fit.h"
#include "physics/base/atomic_file.h"
#include "physics/base/csv_table.h"
#include "physics/base/input_error.h"
#include "physics/base/json.h"
#include "physics/base/version.h"
#include "physics/radionuclide.h"
#include "physics/tissue_dosimetry.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_twin_parameters(ParameterHandler &prm)
  {
    TissueDosimetry::declare_parameters(prm);
    prm.enter_subsection("Twin");
    prm.declare_entry("Time-activity file", "", Patterns::Anything(),
                      "CSV of the patient's measured activities, relative to this file's folder: a "
                      "column 'time_h' (time after injection [h]) and, per organ or lesion KEY, "
                      "'KEY_MBq' (activity [MBq]) and optionally 'KEY_sigma_MBq' (its standard "
                      "uncertainty [MBq]); an empty field is a missing point. At least three "
                      "points per organ.");
    prm.declare_entry("Injected activity [MBq]", "7400", Patterns::Double(1e-6, 1e6),
                      "Activity administered at time 0 (for the per-activity figures). Unit: MBq. "
                      "Range: 1e-6-1e6.");
    prm.declare_entry("Organ masses [kg]", "", Patterns::Map(Patterns::Anything(), Patterns::Double(1e-6, 1e3)),
                      "Mass of each organ or lesion that gets a dose, 'KEY: kg, KEY: kg' (from the "
                      "segmentation's volume x density). Organs without a mass get their TIA only. "
                      "Unit: kg. Range: 1e-6-1e3.");
    prm.declare_entry("Lesions", "", Patterns::List(Patterns::Anything()),
                      "Comma-separated keys that are lesions: their BED uses the tumour's "
                      "radiobiology ('Radiobiology/Tissues', key 'tumour').");
    prm.declare_entry("Curve models", "mono, bi, uptake",
                      Patterns::List(Patterns::Selection("mono|bi|tri|uptake"), 1),
                      "Sums of exponentials tried for every organ; the one with the lowest AICc "
                      "(AIC when a model has too few points for AICc) is reported: mono, bi, tri "
                      "exponential, or 'uptake' a (e^(-k1 t) - e^(-k2 t)). Unit: none.");
    prm.declare_entry("Relative uncertainty [-]", "0.1", Patterns::Double(1e-6, 10),
                      "Standard uncertainty of a measured activity as a fraction of it, where the "
                      "table has no 'KEY_sigma_MBq' column (weights of the fit, parameter and TIA "
                      "uncertainties). Unit: none. Range: 1e-6-10.");
    prm.declare_entry("Minimum uncertainty [MBq]", "0.01", Patterns::Double(1e-12, 1e6),
                      "Floor of every point's uncertainty (near-zero activities). Unit: MBq. Range: "
                      "1e-12-1e6.");
    prm.leave_subsection();
    declare_output_directory(prm);
  }

  namespace
  {
    struct OrganData
    {
      std::string           key;
      std::vector<TacPoint> points;
      int                   activity_column = -1, sigma_column = -1;
    };

    std::vector<OrganData> read_time_activity(const std::string &path, const ParameterFile &file,
                                              const double relative, const double floor_MBq)
    {
      const std::string parameter = "Twin/Time-activity file";
      if (path.empty())
        file.fail(parameter, "no time-activity table given");
      const auto rows = read_csv_rows(path, file.locate(parameter).describe() + ": cannot open '" + path + "'");
      if (rows.size() < 2)
        throw InputError(path + ": needs a header line and at least one row of numbers");
      CsvTable table;
      table.file   = path;
      table.header = rows[0].fields;
      table.rows.assign(rows.begin() + 1, rows.end());
      const int time_column = table.column("time_h");
      if (time_column < 0)
        throw InputError(path + ":" + std::to_string(rows[0].line) + ": no column 'time_h'");
      std::map<std::string, OrganData> organs;
      for (std::size_t c = 0; c < table.header.size(); ++c)
        {
          const std::string &name = table.header[c];
          const auto         ends = [&](const std::string &suffix) {
            return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
          };
          if (int(c) == time_column)
            continue;
          if (ends("_sigma_MBq"))
            organs[name.substr(0, name.size() - 10)].sigma_column = c;
          else if (ends("_MBq"))
            organs[name.substr(0, name.size() - 4)].activity_column = c;
          else
            throw InputError(path + ":" + std::to_string(rows[0].line) + ": column '" + name +
                             "' is neither 'time_h', 'KEY_MBq' nor 'KEY_sigma_MBq'");
        }
      std::vector<OrganData> out;
      for (auto &[key, organ] : organs)
        {
          organ.key = key;
          if (organ.activity_column < 0)
            throw InputError(path + ": column '" + key + "_sigma_MBq' without '" + key + "_MBq'");
          double last_time = -1;
          for (const auto &row : table.rows)
            {
              if (row.fields.size() != table.header.size())
                throw InputError(table.where(row) + ": " + std::to_string(row.fields.size()) + " fields, the header has " +
                                 std::to_string(table.header.size()));
              const double t = table.number(row, time_column);
              if (t <= last_time || t < 0)
                throw InputError(table.where(row) + ": 'time_h' must increase and be >= 0 (" + std::to_string(t) + " h)");
              last_time      = t;
              const double a = table.number(row, organ.activity_column, true);
              if (std::isnan(a))
                continue; // a missing point
              if (a < 0)
                throw InputError(table.where(row) + ": '" + key + "_MBq' is negative (" + std::to_string(a) + ")");
              double sigma = organ.sigma_column >= 0 ? table.number(row, organ.sigma_column, true) : relative * a;
              if (std::isnan(sigma))
                sigma = relative * a;
              if (sigma < 0)
                throw InputError(table.where(row) + ": '" + key + "_sigma_MBq' is negative");
              organ.points.push_back({t, a, std::max(sigma, floor_MBq)});
            }
          if (organ.points.size() < 3)
            throw InputError(path + ": '" + key + "_MBq' has " + std::to_string(organ.points.size()) +
                             " time point(s); a curve needs at least three");
          out.push_back(organ);
        }
      if (out.empty())
        throw InputError(path + ": no 'KEY_MBq' column");
      return out;
    }

    Json fit_json(const TacFit &f)
    {
      Json j;
      j["model"] = to_string(f.model);
      j["amplitudes_MBq"] = f.amplitudes_MBq;
      j["effective_rates_per_h"] = f.rates_per_h;
      std::vector<double> se;
      for (std::size_t i = 0; i < f.covariance.size(); ++i)
        se.push_back(std::sqrt(std::max(f.covariance[i][i], 0.0)));
      j["standard_errors_amplitudes_then_rates"] = se;
      j["chi2"] = f.chi2;
      j["AIC"]  = f.aic;
      if (!std::isnan(f.aicc))
        j["AICc"] = f.aicc;
      j["time_integrated_activity_MBq_h"]    = f.tia_MBq_h;
      j["time_integrated_activity_sd_MBq_h"] = f.tia_sd_MBq_h;
      return j;
    }
  } // namespace

  int run_twin(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
  {
    const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
    TissueDosimetry dosimetry;
    dosimetry.parse_parameters(prm, file);
    prm.enter_subsection("Twin");
    const std::string table_path = file.resolve_path(Utilities::trim(prm.get("Time-activity file")));
    const double      injected_MBq = prm.get_double("Injected activity [MBq]");
    const double      relative     = prm.get_double("Relative uncertainty [-]");
    const double      floor_MBq    = prm.get_double("Minimum uncertainty [MBq]");
    std::map<std::string, double> masses;
    for (const auto &item : Utilities::split_string_list(prm.get("Organ masses [kg]"), ','))
      {
        const auto pair = Utilities::split_string_list(item, ':');
        masses[pair.at(0)] = Utilities::string_to_double(pair.at(1));
      }
    std::vector<std::string> lesions = Utilities::split_string_list(prm.get("Lesions"), ',');
    std::vector<TacModel>    models;
    for (const auto &m : Utilities::split_string_list(prm.get("Curve models"), ','))
      models.push_back(tac_model_from_string(m));
    prm.leave_subsection();
    const std::string directory = output_directory(prm, file);
    prm.enter_subsection("Output");
    const bool plots = prm.get_bool("Plots");
    prm.leave_subsection();

    const auto organs = read_time_activity(table_path, file, relative, floor_MBq);
    for (const auto &[key, mass] : masses)
      if (std::none_of(organs.begin(), organs.end(), [&](const OrganData &o) { return o.key == key; }))
        file.fail("Twin/Organ masses [kg]", "'" + key + "' has no column '" + key + "_MBq' in " + table_path);
    for (const auto &key : lesions)
      if (std::none_of(organs.begin(), organs.end(), [&](const OrganData &o) { return o.key == key; }))
        file.fail("Twin/Lesions", "'" + key + "' has no column '" + key + "_MBq' in " + table_path);

    const double lambda_per_h = dosimetry.radionuclide().decay_constant_per_min() * 60.0;
    // Energy deposited per MBq h per kg [Gy], electrons absorbed locally.
    const double Gy_kg_per_MBq_h = local_dose_Gy(1.0, dosimetry.radionuclide().electron_energy_keV, 1.0);
    if (root)
      std::cout << "RadioTwin " << version_string() << " | patient twin: classical dosimetry | " << file.filename()
                << "\n  " << table_path << ": " << organs.size() << " organs and lesions, decay "
                << std::setprecision(4) << lambda_per_h << " /h" << std::endl;

    std::ostringstream table, curves;
    table << std::setprecision(8)
          << "organ,model,n_points,effective_half_life_h,time_integrated_activity_MBq_h,"
             "time_integrated_activity_sd_MBq_h,time_integrated_activity_per_injected_activity_h,mass_kg,"
             "absorbed_dose_Gy,absorbed_dose_sd_Gy,absorbed_dose_per_activity_Gy_per_GBq,BED_Gy\n";
    Json                summary_organs;
    std::vector<TacFit> chosen;
    double              t_last = 0;
    for (const auto &organ : organs)
      {
        const auto fits = fit_tac_models(organ.points, models, lambda_per_h);
        if (fits.empty())
          throw InputError(table_path + ": no curve model could be fitted to '" + organ.key + "_MBq' (" +
                           std::to_string(organ.points.size()) + " points; a model needs more points than parameters)");
        const TacFit &f = fits.front();
        chosen.push_back(f);
        t_last = std::max(t_last, organ.points.back().time_h);
        const double slowest = *std::min_element(f.rates_per_h.begin(), f.rates_per_h.end());
        Json         j;
        j["model"]            = to_string(f.model);
        j["n_points"]         = organ.points.size();
        j["candidates"]       = Json::array();
        for (const auto &g : fits)
          j["candidates"].push_back(fit_json(g));
        j["effective_half_life_h"]                            = std::log(2.0) / slowest;
        j["time_integrated_activity_MBq_h"]                   = f.tia_MBq_h;
        j["time_integrated_activity_sd_MBq_h"]                = f.tia_sd_MBq_h;
        j["time_integrated_activity_per_injected_activity_h"] = f.tia_MBq_h / injected_MBq;
        table << organ.key << "," << to_string(f.model) << "," << organ.points.size() << ","
              << std::log(2.0) / slowest << "," << f.tia_MBq_h << "," << f.tia_sd_MBq_h << ","
              << f.tia_MBq_h / injected_MBq;
        if (const auto m = masses.find(organ.key); m != masses.end())
          {
            const bool                lesion = std::find(lesions.begin(), lesions.end(), organ.key) != lesions.end();
            const TissueRadiobiology *rb     = dosimetry.radiobiology(lesion ? "tumour" : organ.key);
            const double              w      = Gy_kg_per_MBq_h / m->second;
            const double              dose   = f.dose_Gy(w);
            j["mass_kg"]                               = m->second;
            j["absorbed_dose_Gy"]                      = dose;
            j["absorbed_dose_sd_Gy"]                   = w * f.tia_sd_MBq_h;
            j["absorbed_dose_per_activity_Gy_per_GBq"] = dose / (injected_MBq / 1000);
            std::string bed;
            if (rb != nullptr && rb->alpha_beta_Gy > 0)
              {
                const double b = f.bed_Gy(w, std::log(2.0) / rb->repair_half_time_h, rb->alpha_beta_Gy);
                j["BED_Gy"]    = b;
                bed            = std::to_string(b);
              }
            table << "," << m->second << "," << dose << "," << w * f.tia_sd_MBq_h << ","
                  << dose / (injected_MBq / 1000) << "," << bed << "\n";
          }
        else
          table << ",,,,,\n";
        summary_organs[organ.key] = j;
        if (root)
          std::cout << "  " << std::left << std::setw(18) << organ.key << std::right << std::setw(7)
                    << to_string(f.model) << "  TIA " << std::setprecision(5) << f.tia_MBq_h << " +- "
                    << std::setprecision(2) << f.tia_sd_MBq_h << " MBq h"
                    << (j.contains("absorbed_dose_Gy") ?
                          "  dose " + std::to_string(j["absorbed_dose_Gy"].get<double>()) + " Gy" :
                          std::string())
                    << std::endl;
      }
    // The fitted curves on a grid, for plots.
    curves << std::setprecision(8) << "time_h";
    for (const auto &o : organs)
      curves << "," << o.key << "_fit_MBq";
    curves << "\n";
    for (unsigned int i = 0; i <= 240; ++i)
      {
        const double t = 1.25 * t_last * i / 240.0;
        curves << t;
        for (const auto &f : chosen)
          curves << "," << f.activity_MBq(t);
        curves << "\n";
      }

    if (root)
      {
        prepare_output_folder(directory, file, [&] {
          std::ostringstream os;
          prm.print_parameters(os, ParameterHandler::ShortPRM);
          return os.str();
        }());
        std::filesystem::copy_file(table_path, directory + "/measured_tacs.csv",
                                   std::filesystem::copy_options::overwrite_existing);
        write_file_atomically(directory + "/dose_table.csv", table.str());
        write_file_atomically(directory + "/fitted_curves.csv", curves.str());
        Json summary;
        summary["radiotwin_version"]     = version_string();
        summary["status"]                = "complete";
        summary["mode"]                  = "twin: classical dosimetry from time-activity points";
        summary["parameter_file"]        = file.filename();
        summary["time_activity_file"]    = table_path;
        summary["injected_activity_MBq"] = injected_MBq;
        summary["decay_constant_per_h"]  = lambda_per_h;
        summary["tissues"]               = summary_organs;
        write_file_atomically(directory + "/summary.json", dump_json(summary)); // last
        std::cout << "Results: " << directory << "/ (dose_table.csv, fitted_curves.csv, summary.json)" << std::endl;
        if (plots)
          draw_run_plots(directory);
      }
    return 0;
  }
} // namespace radiotwin
