// RadioTwin: `radiotwin twin FILE.prm`, classical dosimetry from measured time-activity points
// (twin.h, docs/twin.md).
#include "coupling/app/twin.h"

#include <deal.II/base/mpi.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <algorithm>
#include <map>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/app/pbrpk.h"
#include "coupling/app/twin_calibration.h"
#include "coupling/app/twin_lesion.h"
#include "coupling/whole_body_model.h"
#include "coupling/patient_images.h"
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
    // The whole-body model (and the shared radionuclide and radiobiology): the population
    // that the calibration starts from.
    declare_pbrpk_parameters(prm);
    prm.enter_subsection("Twin");
    declare_twin_calibration_parameters(prm);
    declare_twin_lesion_parameters(prm);
    prm.declare_entry("Time-activity source", "table", Patterns::Selection("table|images"),
                      "'table': the activities of 'Time-activity file'. 'images': measured in the "
                      "SPECT images of the 'Images' subsection, per region of the label map. Unit: "
                      "none. Range: table, images.");
    prm.enter_subsection("Images");
    prm.declare_entry("SPECT images", "", Patterns::Map(Patterns::Double(0), Patterns::Anything()),
                      "Quantitative SPECT volumes (NIfTI), 'TIME_h: FILE, TIME_h: FILE', files "
                      "relative to this parameter file's folder; all on the label map's grid.");
    prm.declare_entry("Image unit", "Bq/mL", Patterns::Selection("Bq/mL|counts"),
                      "What the voxel values are: activity concentration [Bq/mL], or counts that "
                      "'Calibration factor' turns into it. Unit: none. Range: Bq/mL, counts.");
    prm.declare_entry("Calibration factor [Bq mL^-1 per count]", "1", Patterns::Double(1e-12, 1e12),
                      "With 'Image unit = counts': activity concentration per voxel count. Unit: "
                      "Bq/mL per count. Range: 1e-12-1e12.");
    prm.declare_entry("Label map", "", Patterns::Anything(),
                      "Segmentation (NIfTI): one whole number per voxel, 0 outside every region.");
    prm.declare_entry("Label table", "", Patterns::Anything(),
                      "CSV with columns 'label' and 'name' naming every label of the map (kidney_left, "
                      "liver, lesion_01, ...).");
    prm.declare_entry("Partial-volume correction", "none", Patterns::Selection("none|table|sphere|GTM"),
                      "How region activities are corrected for the camera's resolution: 'none'; "
                      "'table': divided by the recovery coefficient of the region's volume "
                      "('Recovery coefficients'); 'sphere': by that of a uniform sphere of the region's "
                      "volume at 'Resolution FWHM'; 'GTM': the geometric transfer matrix of the whole "
                      "label map (Rousset 1998), which undoes spill-out and spill-in of every region. "
                      "Unit: none. Range: none, table, sphere, GTM.");
    prm.declare_entry("Resolution FWHM [mm]", "10", Patterns::Double(0, 100),
                      "Full width at half maximum of the reconstructed images' Gaussian resolution "
                      "(177Lu, medium-energy collimator: about 10 mm), for 'sphere' and 'GTM'. Unit: mm. "
                      "Range: 0-100.");
    prm.declare_entry("Recovery coefficients", "", Patterns::Map(Patterns::Double(1e-6), Patterns::Double(1e-3, 1)),
                      "For 'table': 'VOLUME_mL: RC, ...', the measured recovery of spheres of these "
                      "volumes (a phantom measurement of the camera), interpolated linearly in ln volume "
                      "and held constant beyond the ends. Unit: mL and none.");
    prm.declare_entry("Regions", "", Patterns::List(Patterns::Anything()),
                      "Names of the label table to fit; empty: all of them. Their masses are the "
                      "segmented volume x 'Tissue density' unless 'Organ masses' gives one.");
    prm.leave_subsection();
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

    /// Activities of the labelled regions in the SPECT images: the same OrganData as from a
    /// table, and the per-image measurements (activity, volume, mean and peak) as CSV text.
    std::vector<OrganData> measure_time_activity(ParameterHandler &prm, const ParameterFile &file,
                                                 const double relative, const double floor_MBq,
                                                 std::map<std::string, double> &volumes_mL, std::string &csv,
                                                 LesionImages &kept)
    {
      const std::string section = "Twin/Images/";
      prm.enter_subsection("Images");
      std::vector<std::pair<double, std::string>> series;
      for (const auto &item : Utilities::split_string_list(prm.get("SPECT images"), ','))
        {
          const auto pair = Utilities::split_string_list(item, ':');
          series.emplace_back(Utilities::string_to_double(pair.at(0)), file.resolve_path(pair.at(1)));
        }
      const bool        counts      = prm.get("Image unit") == "counts";
      const double      calibration = prm.get_double("Calibration factor [Bq mL^-1 per count]");
      const std::string label_file  = file.resolve_path(Utilities::trim(prm.get("Label map")));
      const std::string table_file  = file.resolve_path(Utilities::trim(prm.get("Label table")));
      const auto        wanted      = Utilities::split_string_list(prm.get("Regions"), ',');
      const std::string correction  = prm.get("Partial-volume correction");
      const double      fwhm_mm     = prm.get_double("Resolution FWHM [mm]");
      std::vector<std::pair<double, double>> recovery_table;
      for (const auto &item : Utilities::split_string_list(prm.get("Recovery coefficients"), ','))
        {
          const auto pair = Utilities::split_string_list(item, ':');
          recovery_table.emplace_back(Utilities::string_to_double(pair.at(0)), Utilities::string_to_double(pair.at(1)));
        }
      prm.leave_subsection();
      std::sort(recovery_table.begin(), recovery_table.end());
      if (correction == "table" && recovery_table.empty())
        file.fail(section + "Partial-volume correction", "'table' needs 'Recovery coefficients' (VOLUME_mL: RC, ...)");
      const auto table_recovery = [&](const double volume_mL) {
        if (volume_mL <= recovery_table.front().first)
          return recovery_table.front().second;
        for (std::size_t k = 1; k < recovery_table.size(); ++k)
          if (volume_mL <= recovery_table[k].first)
            {
              const auto &[v0, r0] = recovery_table[k - 1];
              const auto &[v1, r1] = recovery_table[k];
              return r0 + (r1 - r0) * std::log(volume_mL / v0) / std::log(v1 / v0);
            }
        return recovery_table.back().second;
      };
      if (series.size() < 3)
        file.fail(section + "SPECT images", "a curve needs at least three images (" + std::to_string(series.size()) +
                                              " given)");
      std::sort(series.begin(), series.end());
      for (std::size_t i = 1; i < series.size(); ++i)
        if (series[i].first == series[i - 1].first)
          file.fail(section + "SPECT images", "two images at " + std::to_string(series[i].first) + " h");
      if (label_file.empty() || table_file.empty())
        file.fail(section + (label_file.empty() ? "Label map" : "Label table"), "no file given");
      const VoxelImage labels = read_nifti(label_file, "label map");
      const auto       names  = read_label_table(table_file);
      for (const double v : labels.values)
        if (v != std::floor(v) || v < 0)
          throw InputError(label_file + ": the label map holds " + std::to_string(v) + ", not a whole number >= 0");
        else if (v > 0 && !names.count(int(v)))
          throw InputError(label_file + ": label " + std::to_string(int(v)) + " has no name in " + table_file);
      for (const auto &w : wanted)
        if (std::none_of(names.begin(), names.end(), [&](const auto &n) { return n.second == w; }))
          file.fail(section + "Regions", "'" + w + "' is not a name of " + table_file);

      // The transfer matrix depends on the label map and the resolution only: once.
      const std::vector<std::vector<double>> transfer =
        correction == "GTM" ? geometric_transfer_matrix(labels, names, fwhm_mm) : std::vector<std::vector<double>>();
      std::map<std::string, OrganData> organs;
      std::ostringstream               out;
      out << std::setprecision(10)
          << "time_h,region,activity_MBq,volume_mL,mean_Bq_per_mL,peak_Bq_per_mL,activity_corrected_MBq\n";
      for (const auto &[t, image_file] : series)
        {
          VoxelImage image = read_nifti(image_file, "SPECT image at " + std::to_string(t).substr(0, 6) + " h");
          if (const std::string d = image.grid_difference(labels); !d.empty())
            throw InputError(image_file + " and the label map " + label_file + " are not on the same grid: " + d);
          if (counts)
            for (double &v : image.values)
              v *= calibration;
          if (t == series.back().first)
            kept.uptake = image; // the uptake pattern of the lesion PDE twin
          const auto          regions = measure_regions(image, labels, names);
          std::vector<double> corrected;
          for (const auto &m : regions)
            corrected.push_back(m.activity_MBq);
          if (correction == "GTM")
            corrected = solve_transfer(transfer, corrected);
          for (std::size_t r = 0; r < regions.size(); ++r)
            if (correction == "sphere" && regions[r].volume_mL > 0)
              corrected[r] /= sphere_recovery(regions[r].volume_mL, fwhm_mm);
            else if (correction == "table" && regions[r].volume_mL > 0)
              corrected[r] /= table_recovery(regions[r].volume_mL);
          for (std::size_t r = 0; r < regions.size(); ++r)
            {
              const RegionMeasurement &m = regions[r];
              if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), m.name) == wanted.end())
                continue;
              out << t << "," << m.name << "," << m.activity_MBq << "," << m.volume_mL << "," << m.mean_Bq_per_mL
                  << "," << m.peak_Bq_per_mL << "," << corrected[r] << "\n";
              if (m.volume_mL <= 0)
                throw InputError(label_file + ": region '" + m.name + "' of " + table_file + " has no voxel");
              OrganData &o = organs[m.name];
              o.key        = m.name;
              o.points.push_back({t, corrected[r], std::max(relative * std::abs(corrected[r]), floor_MBq)});
              volumes_mL[m.name] = m.volume_mL;
            }
        }
      csv          = out.str();
      kept.labels  = labels;
      kept.names   = names;
      std::vector<OrganData> result;
      for (auto &[name, o] : organs)
        result.push_back(o);
      return result;
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
    const bool        from_images = prm.get("Time-activity source") == "images";
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
    std::map<std::string, double> volumes_mL;
    std::string                   measurements_csv;
    LesionImages                  lesion_images;
    const auto organs = from_images ? measure_time_activity(prm, file, relative, floor_MBq, volumes_mL, measurements_csv,
                                                            lesion_images) :
                                      read_time_activity(table_path, file, relative, floor_MBq);
    prm.leave_subsection();
    const std::string source = from_images ? std::string("the SPECT images") : table_path;
    // Masses of segmented regions: their volume x the tissue density, unless given.
    for (const auto &[name, volume] : volumes_mL)
      masses.emplace(name, volume * 1e-3 * dosimetry.density_kg_per_L());
    const std::string directory = output_directory(prm, file);
    const bool        plots     = output_plots(prm);

    for (const auto &[key, mass] : masses)
      if (std::none_of(organs.begin(), organs.end(), [&](const OrganData &o) { return o.key == key; }))
        file.fail("Twin/Organ masses [kg]", "'" + key + "' has no column '" + key + "_MBq' in " + source);
    for (const auto &key : lesions)
      if (std::none_of(organs.begin(), organs.end(), [&](const OrganData &o) { return o.key == key; }))
        file.fail("Twin/Lesions", "'" + key + "' has no column '" + key + "_MBq' in " + source);

    const double lambda_per_h = dosimetry.radionuclide().decay_constant_per_min() * 60.0;
    // Energy deposited per MBq h per kg [Gy], electrons absorbed locally.
    const double Gy_kg_per_MBq_h = local_dose_Gy(1.0, dosimetry.radionuclide().electron_energy_keV, 1.0);
    if (root)
      std::cout << "RadioTwin " << version_string() << " | patient twin: classical dosimetry | " << file.filename()
                << "\n  " << source << ": " << organs.size() << " organs and lesions, decay "
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
          throw InputError(source + ": no curve model could be fitted to '" + organ.key + "_MBq' (" +
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
            // A region's radiobiology is its organ's (kidney_left: kidney's).
            const TissueRadiobiology *rb = dosimetry.radiobiology(lesion ? "tumour" : organ.key);
            if (rb == nullptr && !lesion)
              rb = dosimetry.radiobiology(model_tissue_of_region(organ.key, lesions));
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
        prepare_output_folder(directory, file, short_prm(prm));
        if (from_images)
          {
            // The extracted curves in the table's form (a twin run from them gives the same
            // result), and every measurement.
            std::ostringstream tacs;
            tacs << std::setprecision(10) << "time_h";
            for (const auto &o : organs)
              tacs << "," << o.key << "_MBq," << o.key << "_sigma_MBq";
            tacs << "\n";
            for (std::size_t i = 0; i < organs.front().points.size(); ++i)
              {
                tacs << organs.front().points[i].time_h;
                for (const auto &o : organs)
                  tacs << "," << o.points[i].activity_MBq << "," << o.points[i].sigma_MBq;
                tacs << "\n";
              }
            write_file_atomically(directory + "/measured_tacs.csv", tacs.str());
            write_file_atomically(directory + "/region_measurements.csv", measurements_csv);
          }
        else
          std::filesystem::copy_file(table_path, directory + "/measured_tacs.csv",
                                     std::filesystem::copy_options::overwrite_existing);
        write_file_atomically(directory + "/dose_table.csv", table.str());
        write_file_atomically(directory + "/fitted_curves.csv", curves.str());
      }
    // The model-based twin: the whole-body model calibrated to the same points.
    TwinMeasurements measured;
    for (const auto &o : organs)
      measured.curves[o.key] = o.points;
    measured.masses_kg    = masses;
    measured.lesions      = lesions;
    measured.injected_MBq = injected_MBq;
    measured.source       = source;
    const std::string pde_lesion = twin_pde_lesion(prm);
    if (!pde_lesion.empty() && !from_images)
      file.fail("Twin/Lesion PDE/Lesion", "the lesion PDE twin needs the images ('Time-activity source = images')");
    if (!pde_lesion.empty() && std::find(lesions.begin(), lesions.end(), pde_lesion) == lesions.end())
      file.fail("Twin/Lesion PDE/Lesion", "'" + pde_lesion + "' is not one of 'Twin/Lesions'");
    WholeBodyModel calibrated;
    const Json     calibration = run_twin_calibration(prm, file, measured, directory, root, &calibrated);
    Json           lesion_pde;
    if (!pde_lesion.empty())
      {
        if (calibration.is_null())
          file.fail("Twin/Lesion PDE/Lesion", "the lesion PDE twin starts from the calibrated model: set "
                                              "'Twin/Calibration/Parameters'");
        for (const auto &o : organs)
          if (o.key == pde_lesion)
            lesion_images.points = o.points;
        lesion_pde = run_twin_lesion(comm, prm, file, pde_lesion, lesion_images, calibrated, directory, root);
      }
    if (root)
      {
        Json summary;
        summary["radiotwin_version"]     = version_string();
        summary["status"]                = "complete";
        summary["mode"]                  = "twin: classical dosimetry from time-activity points";
        summary["parameter_file"]        = file.filename();
        summary["time_activity_source"]  = source;
        summary["injected_activity_MBq"] = injected_MBq;
        summary["decay_constant_per_h"]  = lambda_per_h;
        summary["tissues"]               = summary_organs;
        if (!calibration.is_null())
          summary["calibration"] = calibration;
        if (!lesion_pde.is_null())
          summary["lesion_pde"] = lesion_pde;
        write_file_atomically(directory + "/summary.json", dump_json(summary)); // last
        std::cout << "Results: " << directory << "/ (dose_table.csv, fitted_curves.csv, summary.json)" << std::endl;
        if (plots)
          draw_run_plots(directory);
      }
    return 0;
  }
} // namespace radiotwin
