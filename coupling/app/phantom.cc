// RadioTwin: `radiotwin phantom FILE.prm`, a synthetic patient for the twin (docs/twin.md):
// the whole-body model with known parameters is run, and its organ and lesion activities at
// the imaging times are painted into a voxel phantom (ellipsoids for kidneys, salivary glands,
// liver and spleen, spheres for two lesions, the rest spread over the body), blurred to a SPECT
// resolution and given Poisson counting noise; written as NIfTI with the label map, its
// label table, the true time-integrated activities and a twin parameter file that reads them.
#include "coupling/app/phantom.h"

#include <deal.II/base/mpi.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/app/pbrpk.h"
#include "coupling/patient_images.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/json.h"
#include "physics/base/version.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_phantom_parameters(ParameterHandler &prm)
  {
    declare_pbrpk_parameters(prm);
    prm.enter_subsection("Phantom");
    prm.declare_entry("Imaging times [h]", "4, 24, 48, 96, 168", Patterns::List(Patterns::Double(0.01, 1e4), 1),
                      "Times after injection of the SPECT images. Unit: h. Range: 0.01-1e4.");
    prm.declare_entry("Voxel size [mm]", "4.8", Patterns::Double(1, 20),
                      "Edge of the cubic voxels (a SPECT matrix of 4.8 mm). Unit: mm. Range: 1-20.");
    prm.declare_entry("Resolution FWHM [mm]", "10", Patterns::Double(0, 50),
                      "Gaussian blur of the images (177Lu SPECT, medium-energy collimator: about 10 "
                      "mm); 0: none. Unit: mm. Range: 0-50.");
    prm.declare_entry("Counts per MBq", "0", Patterns::Double(0, 1e9),
                      "Counts the camera records per MBq in the field of view over one acquisition "
                      "(sensitivity x duration, for example 10 cps/MBq x 1800 s = 18000); each "
                      "voxel's activity becomes a Poisson count of it. 0: no noise. Unit: 1/MBq. "
                      "Range: 0-1e9.");
    prm.declare_entry("Seed", "1", Patterns::Integer(0), "Seed of the counting noise.");
    prm.leave_subsection();
  }

  namespace
  {
    /// A region of the phantom: an ellipsoid (centre, semi-axes [mm]) standing for a share of
    /// a tissue of the model.
    struct Region
    {
      std::string           name, tissue;
      double                share;
      std::array<double, 3> centre, aspect; ///< semi-axes up to a scale set by the volume
      bool                  lesion = false;
    };

    bool inside(const std::array<double, 3> &x, const std::array<double, 3> &c, const std::array<double, 3> &r)
    {
      double s = 0;
      for (unsigned int d = 0; d < 3; ++d)
        s += (x[d] - c[d]) * (x[d] - c[d]) / (r[d] * r[d]);
      return s <= 1;
    }
  } // namespace

  int run_phantom(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
  {
    const bool     root = Utilities::MPI::this_mpi_process(comm) == 0;
    WholeBodyModel model;
    model.parse_parameters(prm, file);
    prm.enter_subsection("Phantom");
    std::vector<double> times;
    for (const auto &t : Utilities::split_string_list(prm.get("Imaging times [h]")))
      times.push_back(Utilities::string_to_double(t));
    const double voxel_mm = prm.get_double("Voxel size [mm]");
    const double fwhm_mm  = prm.get_double("Resolution FWHM [mm]");
    const double counts   = prm.get_double("Counts per MBq");
    const auto   seed     = static_cast<unsigned int>(prm.get_integer("Seed"));
    prm.leave_subsection();
    const std::string directory = output_directory(prm, file);
    const bool        plots     = output_plots(prm);
    if (!std::is_sorted(times.begin(), times.end()) || std::adjacent_find(times.begin(), times.end()) != times.end())
      file.fail("Phantom/Imaging times [h]", "the times must increase");
    if (times.back() > model.duration_h())
      file.fail("Phantom/Imaging times [h]", "the last image (" + std::to_string(times.back()) +
                                               " h) is after the end of the run ('Whole body/Integration/Duration [h]')");
    for (const double t : times)
      if (std::abs(t / model.output_interval_h() - std::round(t / model.output_interval_h())) > 1e-9)
        file.fail("Phantom/Imaging times [h]", "every time must be a multiple of 'Whole body/Integration/Output "
                                               "interval [h]'");

    // The model with known parameters.
    const WholeBodyModel::Result result = model.run();
    const double                 a_per_nmol = model.activity_MBq_per_nmol();
    const auto                   tissue     = [&](const std::string &key) -> const WholeBodyModel::Tissue & {
      if (const WholeBodyModel::Tissue *t = model.tissue(key))
        return *t;
      throw InputError(file.filename() + ": the whole-body model has no tissue '" + key +
                       "' for the phantom (its lesions must include Tumor1 and Tumor2)");
    };
    const auto activity_MBq = [&](const WholeBodyModel::Tissue &t, const std::vector<double> &y) {
      double s = 0;
      for (const unsigned int p : t.pools)
        s += y[model.network().amount(p, CompartmentNetwork::hot)];
      return s * a_per_nmol;
    };

    // Geometry [mm]: x right-left, y anterior-posterior, z feet-head; the body an ellipsoid.
    const std::vector<Region> regions = {
      {"kidney_left", "kidney", 0.5, {{75, 45, 0}}, {{1, 0.75, 1.7}}},
      {"kidney_right", "kidney", 0.5, {{-75, 45, -15}}, {{1, 0.75, 1.7}}},
      {"liver", "liver", 1.0, {{-65, -5, 95}}, {{1.5, 1.1, 1}}},
      {"spleen", "spleen", 1.0, {{95, 35, 85}}, {{1, 0.8, 1.4}}},
      {"salivary_left", "salivary_glands", 0.5, {{55, 25, 430}}, {{1, 1, 1.4}}},
      {"salivary_right", "salivary_glands", 0.5, {{-55, 25, 430}}, {{1, 1, 1.4}}},
      {"lesion_01", "Tumor1", 1.0, {{35, -45, -130}}, {{1, 1, 1}}, true},
      {"lesion_02", "Tumor2", 1.0, {{-45, 60, -70}}, {{1, 1, 1}}, true}};
    const std::array<double, 3> body_centre{{0, 0, 90}}, body_axes{{190, 130, 390}};
    VoxelImage labels;
    for (unsigned int d = 0; d < 3; ++d)
      {
        labels.dims[d]       = static_cast<int>(std::ceil(2 * (body_axes[d] + 30) / voxel_mm));
        labels.spacing_mm[d] = voxel_mm;
        labels.origin_mm[d]  = body_centre[d] - 0.5 * (labels.dims[d] - 1) * voxel_mm;
      }
    labels.values.assign(labels.size(), 0.0);
    const double density = model.tissue_density_kg_per_L();
    std::vector<std::array<double, 3>> axes;
    for (const auto &r : regions)
      {
        // Semi-axes scaled so that the ellipsoid has the tissue's share of its mass.
        const double volume_mm3 = tissue(r.tissue).mass_kg / density * 1e6 * r.share;
        const double scale = std::cbrt(volume_mm3 / (4.0 / 3.0 * M_PI * r.aspect[0] * r.aspect[1] * r.aspect[2]));
        axes.push_back({{scale * r.aspect[0], scale * r.aspect[1], scale * r.aspect[2]}});
      }
    const unsigned int body_label = regions.size() + 1;
    for (int k = 0; k < labels.dims[2]; ++k)
      for (int j = 0; j < labels.dims[1]; ++j)
        for (int i = 0; i < labels.dims[0]; ++i)
          {
            const std::array<double, 3> x{{labels.origin_mm[0] + i * voxel_mm, labels.origin_mm[1] + j * voxel_mm,
                                           labels.origin_mm[2] + k * voxel_mm}};
            if (!inside(x, body_centre, body_axes))
              continue;
            labels.at(i, j, k) = body_label;
            for (std::size_t r = 0; r < regions.size(); ++r)
              if (inside(x, regions[r].centre, axes[r]))
                labels.at(i, j, k) = r + 1;
          }
    std::vector<std::size_t> voxels(body_label + 1, 0);
    for (const double v : labels.values)
      ++voxels[static_cast<std::size_t>(v)];
    for (std::size_t r = 0; r < regions.size(); ++r)
      if (voxels[r + 1] == 0)
        file.fail("Phantom/Voxel size [mm]", "region '" + regions[r].name + "' has no voxel at this voxel size");

    // Images: each region's share of its tissue's activity spread evenly over its voxels;
    // every other tissue (urine and the other lesions excepted) over the rest of the body.
    std::ostringstream table, truth_rows;
    table << "label,name\n";
    for (std::size_t r = 0; r < regions.size(); ++r)
      table << r + 1 << "," << regions[r].name << "\n";
    table << body_label << ",body\n";
    Json truth;
    truth["model"] = "radiotwin pbrpk with " + file.filename();
    std::ostringstream images_entry;
    std::mt19937       rng(seed);
    const double       Vvox = labels.voxel_volume_mL();
    std::vector<std::string> image_files;
    for (const double t : times)
      {
        std::size_t k = 0;
        while (k < result.times_h.size() && std::abs(result.times_h[k] - t) > 1e-9)
          ++k;
        const auto &y = result.states.at(k);
        double      in_body = 0, in_regions = 0;
        for (const auto &tis : model.tissues())
          if (tis.key != "urine")
            in_body += activity_MBq(tis, y);
        std::vector<double> concentration(body_label + 1, 0.0); // Bq/mL per label
        for (std::size_t r = 0; r < regions.size(); ++r)
          {
            const double a = regions[r].share * activity_MBq(tissue(regions[r].tissue), y);
            in_regions += a;
            concentration[r + 1] = a * 1e6 / (voxels[r + 1] * Vvox);
            truth["activity_MBq"][regions[r].name].push_back(a);
          }
        concentration[body_label] = std::max(in_body - in_regions, 0.0) * 1e6 / (voxels[body_label] * Vvox);
        truth["activity_MBq"]["body"].push_back(std::max(in_body - in_regions, 0.0));
        VoxelImage image = labels;
        for (std::size_t i = 0; i < image.size(); ++i)
          image.values[i] = concentration[static_cast<std::size_t>(labels.values[i])];
        gaussian_blur(image, fwhm_mm);
        if (counts > 0)
          add_counting_noise(image, counts, rng);
        std::ostringstream name;
        name << "spect_" << std::setw(3) << std::setfill('0') << std::lround(t) << "h.nii";
        image_files.push_back(name.str());
        images_entry << (images_entry.tellp() > 0 ? ", " : "") << t << ": " << name.str();
        if (root)
          {
            if (image_files.size() == 1)
              prepare_output_folder(directory, file, short_prm(prm));
            write_nifti(image, directory + "/" + name.str(), "RadioTwin phantom, Bq/mL, t = " + std::to_string(t) + " h");
          }
      }
    truth["imaging_times_h"] = times;
    // True TIAs: each region's share of its tissue's TIA over the run.
    const auto &y_end = result.states.back();
    for (const auto &r : regions)
      truth["time_integrated_activity_MBq_h"][r.name] =
        r.share * y_end[model.network().integral(tissue(r.tissue).integral)] * a_per_nmol / 60.0;
    std::ostringstream lesions;
    for (std::size_t r = 0; r < regions.size(); ++r)
      if (regions[r].lesion)
        lesions << (lesions.tellp() > 0 ? ", " : "") << regions[r].name;
    // The twin of these images: the phantom's own model (every section but Phantom and
    // Output, its lesions named as the label map names them) as the population to calibrate
    // from, which a test or user changes with --set.
    std::string model_sections = prm_sections(prm, {"Phantom", "Output"});
    {
      for (const auto &r : regions)
        if (r.lesion)
          for (std::size_t at = model_sections.find(r.tissue + ":"); at != std::string::npos;
               at             = model_sections.find(r.tissue + ":", at + r.name.size()))
            model_sections.replace(at, r.tissue.size(), r.name);
    }
    std::ostringstream calibrated;
    calibrated << "kidney_receptor_density, salivary_receptor_density, kidney_release_rate";
    for (const auto &r : regions)
      if (r.lesion)
        calibrated << ", " << r.name << "_receptor_density";
    const double first_cycle_MBq =
      model.injected_hot_nmol(model.n_cycles() > 1 ? 0.5 * model.cycle_interval_h() : 1e300) * a_per_nmol;
    std::ostringstream twin;
    twin << "# The twin of the synthetic patient written by radiotwin phantom " << file.filename() << "\n"
         << "# (" << version_string() << "): classical dosimetry from its SPECT images and the\n"
         << "# whole-body model calibrated to them. The model sections below are the phantom's own\n"
         << "# (the truth): change the population the calibration starts from with --set.\n"
         << model_sections << "subsection Twin\n  set Time-activity source  = images\n"
         << "  set Injected activity [MBq] = " << std::setprecision(10) << first_cycle_MBq << "\n"
         << "  set Lesions                  = " << lesions.str() << "\n"
         << "  subsection Images\n    set SPECT images = " << images_entry.str() << "\n"
         << "    set Label map   = labels.nii\n    set Label table = labels.csv\n"
         << (fwhm_mm > 0 ? "    set Partial-volume correction = GTM\n    set Resolution FWHM [mm] = " +
                             std::to_string(fwhm_mm).substr(0, 5) + "\n" :
                           std::string())
         << "    set Regions     = kidney_left, kidney_right, liver, spleen, salivary_left, salivary_right, "
         << lesions.str() << "\n  end\n  subsection Calibration\n    set Parameters = " << calibrated.str()
         << "\n  end\nend\nsubsection Output\n  set Directory = " << directory << "/twin\nend\n";
    if (root)
      {
        write_nifti(labels, directory + "/labels.nii", "RadioTwin phantom, labels (labels.csv)");
        write_file_atomically(directory + "/labels.csv", table.str());
        write_file_atomically(directory + "/twin.prm", twin.str());
        truth["voxel_size_mm"]        = voxel_mm;
        truth["resolution_fwhm_mm"]   = fwhm_mm;
        truth["counts_per_MBq"]       = counts;
        truth["status"]               = "complete";
        write_file_atomically(directory + "/truth.json", dump_json(truth)); // last
        std::cout << "RadioTwin " << version_string() << " | synthetic patient | " << file.filename() << "\n  "
                  << labels.dims[0] << "x" << labels.dims[1] << "x" << labels.dims[2] << " voxels of " << voxel_mm
                  << " mm, " << regions.size() << " regions and the body, " << times.size() << " SPECT images"
                  << (fwhm_mm > 0 ? ", blurred to " + std::to_string(fwhm_mm).substr(0, 4) + " mm FWHM" : "")
                  << (counts > 0 ? ", with counting noise" : "") << "\nResults: " << directory
                  << "/ (labels.nii, labels.csv, spect_*.nii, truth.json, twin.prm: radiotwin twin " << directory
                  << "/twin.prm)" << std::endl;
        if (plots)
          draw_run_plots(directory);
      }
    return 0;
  }
} // namespace radiotwin
