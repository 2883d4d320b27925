// RadioTwin: the lesion PDE twin (twin_lesion.h, docs/twin.md).
#include "coupling/app/twin_lesion.h"

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/app/simulator.h"
#include "coupling/whole_body_model.h"
#include "meshes/voxel_mesh.h"
#include "physics/base/atomic_file.h"
#include "physics/base/csv_table.h"
#include "physics/base/input_error.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_twin_lesion_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Lesion PDE");
    prm.declare_entry("Lesion", "", Patterns::Anything(),
                      "A lesion of 'Twin/Lesions' (from the images) to make the meshed tumour of a "
                      "coupled run with the calibrated whole-body model; empty: none.");
    prm.declare_entry("Host margin [mm]", "10", Patterns::Double(0, 100),
                      "Host tissue meshed around the lesion: the voxels within this distance of it "
                      "(at least one voxel diagonal). Unit: mm. Range: 0-100.");
    prm.declare_entry("Smoothing steps", "10", Patterns::Integer(0, 1000),
                      "Taubin smoothing steps of the voxel mesh's interface and boundary. Range: 0-1000.");
    prm.declare_entry("Global refinements", "1", Patterns::Integer(0, 4),
                      "Refinements of the voxel mesh (each voxel 8^n cells). Range: 0-4.");
    prm.declare_entry("Scaling runs", "3", Patterns::Integer(0, 10),
                      "Coupled runs that scale the tumour's receptor density until the run's lesion "
                      "activities match the measured ones (weighted least squares of one factor); "
                      "0: write the case only. Range: 0-10.");
    prm.declare_entry("Scaling tolerance [-]", "0.01", Patterns::Double(1e-6, 1),
                      "Stop the scaling runs when the factor is within this of 1. Range: 1e-6-1.");
    prm.leave_subsection();
  }

  std::string twin_pde_lesion(ParameterHandler &prm)
  {
    prm.enter_subsection("Twin");
    prm.enter_subsection("Lesion PDE");
    const std::string lesion = Utilities::trim(prm.get("Lesion"));
    prm.leave_subsection();
    prm.leave_subsection();
    return lesion;
  }

  namespace
  {
    void set_entry(ParameterHandler &prm, const std::string &path, const std::string &value)
    {
      const auto parts = Utilities::split_string_list(path, '/');
      for (std::size_t i = 0; i + 1 < parts.size(); ++i)
        prm.enter_subsection(parts[i]);
      prm.set(parts.back(), value);
      for (std::size_t i = 0; i + 1 < parts.size(); ++i)
        prm.leave_subsection();
    }

    std::string number(const double v)
    {
      std::ostringstream s;
      s << std::setprecision(10) << v;
      return s.str();
    }

    /// The coupled run's activity of @p key [MBq] at each of @p times (rows at the output
    /// times, where the steps land).
    std::vector<double> activities_at(const std::string &csv, const std::string &key, const std::vector<double> &times)
    {
      const auto rows = read_csv_rows(csv, csv + ": cannot open the coupled run's curves");
      CsvTable   table;
      table.file   = csv;
      table.header = rows.at(0).fields;
      table.rows.assign(rows.begin() + 1, rows.end());
      const int tc = table.column("time_h"), ac = table.column(key + "_MBq");
      if (tc < 0 || ac < 0)
        throw std::runtime_error(csv + ": no column 'time_h' or '" + key + "_MBq'");
      std::vector<double> out;
      for (const double t : times)
        {
          double best = 1e300, value = 0;
          for (const auto &row : table.rows)
            if (const double d = std::abs(table.number(row, tc) - t); d < best)
              {
                best  = d;
                value = table.number(row, ac);
              }
          if (best > 1e-6 * std::max(1.0, t))
            throw std::runtime_error(csv + ": no row at " + number(t) + " h");
          out.push_back(value);
        }
      return out;
    }
  } // namespace

  Json run_twin_lesion(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file, const std::string &lesion,
                       const LesionImages &images, const WholeBodyModel &calibrated, const std::string &directory,
                       const bool root)
  {
    const std::string section = "Twin/Lesion PDE/";
    prm.enter_subsection("Twin");
    prm.enter_subsection("Lesion PDE");
    const double       margin_mm   = prm.get_double("Host margin [mm]");
    const unsigned int smoothing   = prm.get_integer("Smoothing steps");
    const unsigned int refinements = prm.get_integer("Global refinements");
    const unsigned int runs        = prm.get_integer("Scaling runs");
    const double       tolerance   = prm.get_double("Scaling tolerance [-]");
    prm.leave_subsection();
    prm.leave_subsection();
    int label = -1;
    for (const auto &[value, name] : images.names)
      if (name == lesion)
        label = value;
    if (label < 0)
      file.fail(section + "Lesion", "'" + lesion + "' is not a region of the label map");
    for (unsigned int d = 0; d < 9; ++d)
      if (std::abs(images.labels.direction[d] - (d % 4 == 0 ? 1.0 : 0.0)) > 1e-6)
        file.fail(section + "Lesion", "the label map is not axis-aligned (its orientation is not the identity): "
                                      "the lesion mesh needs axis-aligned voxels");

    // The lesion's voxels, the host within the margin, their bounding box (one voxel more).
    const VoxelImage &L = images.labels;
    std::array<int, 3> lo{{L.dims[0], L.dims[1], L.dims[2]}}, hi{{-1, -1, -1}};
    std::array<double, 3> centre{{0, 0, 0}};
    std::size_t           n_lesion = 0;
    for (int k = 0; k < L.dims[2]; ++k)
      for (int j = 0; j < L.dims[1]; ++j)
        for (int i = 0; i < L.dims[0]; ++i)
          if (std::lround(L.at(i, j, k)) == label)
            {
              const std::array<int, 3> ijk{{i, j, k}};
              for (unsigned int d = 0; d < 3; ++d)
                {
                  lo[d] = std::min(lo[d], ijk[d]);
                  hi[d] = std::max(hi[d], ijk[d]);
                  centre[d] += L.origin_mm[d] + ijk[d] * L.spacing_mm[d];
                }
              ++n_lesion;
            }
    if (n_lesion == 0)
      file.fail(section + "Lesion", "'" + lesion + "' has no voxel in the label map");
    for (unsigned int d = 0; d < 3; ++d)
      centre[d] /= n_lesion;
    // At least one whole layer of host voxels (diagonal neighbours included), so that the
    // tumour nowhere touches the outer boundary.
    const double margin = std::max(margin_mm, std::sqrt(std::pow(L.spacing_mm[0], 2) + std::pow(L.spacing_mm[1], 2) +
                                                        std::pow(L.spacing_mm[2], 2)));
    std::array<int, 3> pad;
    for (unsigned int d = 0; d < 3; ++d)
      {
        pad[d] = static_cast<int>(std::ceil(margin / L.spacing_mm[d])) + 1;
        lo[d]  = std::max(lo[d] - pad[d], 0);
        hi[d]  = std::min(hi[d] + pad[d], L.dims[d] - 1);
      }
    LabelledVoxels voxels;
    VoxelField     map;
    map.name = "receptor_density_factor";
    double lesion_mean = 0;
    for (unsigned int d = 0; d < 3; ++d)
      {
        voxels.dims[d]       = map.dims[d]       = hi[d] - lo[d] + 1;
        voxels.spacing_mm[d] = map.spacing_mm[d] = L.spacing_mm[d];
        // Centred on the lesion: the run's coordinates are mm from its centroid.
        voxels.origin_mm[d] = map.origin_mm[d] = L.origin_mm[d] + lo[d] * L.spacing_mm[d] - centre[d];
      }
    const std::size_t n_box = std::size_t(voxels.dims[0]) * voxels.dims[1] * voxels.dims[2];
    voxels.region.assign(n_box, 0);
    map.values.assign(n_box, 1.0);
    const auto box_index = [&](const int i, const int j, const int k) {
      return (std::size_t(k - lo[2]) * voxels.dims[1] + (j - lo[1])) * voxels.dims[0] + (i - lo[0]);
    };
    for (int k = lo[2]; k <= hi[2]; ++k)
      for (int j = lo[1]; j <= hi[1]; ++j)
        for (int i = lo[0]; i <= hi[0]; ++i)
          if (std::lround(L.at(i, j, k)) == label)
            {
              voxels.region[box_index(i, j, k)] = 1;
              lesion_mean += images.uptake.at(i, j, k);
            }
    lesion_mean /= n_lesion;
    if (!(lesion_mean > 0))
      file.fail(section + "Lesion", "'" + lesion + "' holds no activity in the last image: no uptake pattern");
    // Host: within the margin of a lesion voxel (distance between voxel centres).
    for (int k = lo[2]; k <= hi[2]; ++k)
      for (int j = lo[1]; j <= hi[1]; ++j)
        for (int i = lo[0]; i <= hi[0]; ++i)
          {
            const std::size_t b = box_index(i, j, k);
            if (voxels.region[b] == 1)
              {
                map.values[b] = std::max(images.uptake.at(i, j, k), 0.0) / lesion_mean;
                continue;
              }
            bool near = false;
            for (int c = -pad[2]; c <= pad[2] && !near; ++c)
              for (int bb = -pad[1]; bb <= pad[1] && !near; ++bb)
                for (int a = -pad[0]; a <= pad[0] && !near; ++a)
                  {
                    const int ii = i + a, jj = j + bb, kk = k + c;
                    if (ii < lo[0] || jj < lo[1] || kk < lo[2] || ii > hi[0] || jj > hi[1] || kk > hi[2])
                      continue;
                    const double dist = std::sqrt(std::pow(a * L.spacing_mm[0], 2) + std::pow(bb * L.spacing_mm[1], 2) +
                                                  std::pow(c * L.spacing_mm[2], 2));
                    near = dist <= margin + 1e-9 && voxels.region[box_index(ii, jj, kk)] == 1;
                  }
            if (near)
              voxels.region[b] = 2;
          }
    const HexMesh mesh        = voxel_hex_mesh(voxels, smoothing);
    const double  segmented   = n_lesion * L.voxel_volume_mL() * 1e3; // mm^3
    const double  meshed      = mesh.volume_mm3(1);
    const double  radius_mm   = std::cbrt(3 * meshed / (4 * M_PI));
    const auto [perfusion, release] = calibrated.lesion_perfusion_and_release(lesion);
    double rden = calibrated.parameter(lesion + "_receptor_density");

    // The case: the calibrated model (the twin's sections with the fitted values), the mesh,
    // the map, the coupling.
    const std::string folder = directory + "/" + lesion + "_pde";
    for (const auto &a : calibrated.adjustable_parameters())
      if (a.entry.rfind("Whole body/Lesions/Lesions", 0) != 0)
        set_entry(prm, a.entry, number(calibrated.parameter(a.name)));
    set_entry(prm, "Whole body/Lesions/Lesions", calibrated.lesion_entry(lesion));
    const std::string model = prm_sections(prm, {"Twin", "Output"});
    std::vector<double> times;
    for (const auto &p : images.points)
      times.push_back(p.time_h);
    const auto case_text = [&](const double R0) {
      std::ostringstream out;
      out << "# The lesion PDE twin of " << lesion << " (radiotwin twin " << file.filename() << "): its voxels\n"
          << "# meshed with " << margin_mm << " mm of host tissue, its uptake pattern as the receptor density map,\n"
          << "# the calibrated whole-body model around it. Coordinates: mm from the lesion's centroid.\n"
          << model << "subsection Geometry\n  set Type = gmsh\n  set Tumour radius [mm] = " << number(radius_mm)
          << "\n  set Global refinements = " << refinements << "\n  set Rim refinements = 0\n  subsection Gmsh\n"
          << "    set Mesh file = mesh.msh\n    set Length unit = mm\n    set Tumour physical ids = 1\n"
          << "    set Necrotic core physical ids =\n    set Host physical ids = 2\n  end\nend\n"
          << "subsection Darcy\n  set Outer boundary condition = Dirichlet\n  set Outer boundary pressure [mmHg] = 0\nend\n"
          << "subsection Transport\n  set Enabled = true\n  set Receptor density map = receptor_map.vti\n"
          << "  subsection Tumour\n    set Receptor density R0 [nmol L^-1] = " << number(R0)
          << "\n    set Release rate lambda_rel [min^-1] = " << number(release) << "\n  end\n"
          << "  subsection Time stepping\n    set End time [h] = " << number(times.back())
          << "\n    set Step control = error estimate\n    set Tolerance [-] = 2e-3\n"
          << "    set Maximum time step [min] = 720\n    set Maximum reaction step [min] = 720\n"
          << "    set Output times [h] = ";
      for (std::size_t i = 0; i < times.size(); ++i)
        out << (i ? ", " : "") << number(times[i]);
      out << "\n  end\nend\nsubsection Coupling\n  set Whole-body coupling = true\n  set Lesion name = " << lesion
          << "\n  set Represented lesion volume [mL] = " << number(segmented * 1e-3) << "\n  set Lesion perfusion [mL min^-1 g^-1] = " << number(perfusion)
          << "\nend\nsubsection Output\n  set Directory = " << folder << "/run\n  set Plots = false\nend\n";
      return out.str();
    };
    if (root)
      {
        std::filesystem::create_directories(folder);
        write_gmsh(mesh, folder + "/mesh.msh", {{1, "tumour"}, {2, "host"}});
        write_voxel_field(map, folder + "/receptor_map.vti");
        write_file_atomically(folder + "/coupled.prm", case_text(rden));
        std::cout << "  lesion PDE twin of " << lesion << ": " << n_lesion << " voxels + "
                  << std::count(voxels.region.begin(), voxels.region.end(), 2) << " host voxels, meshed "
                  << std::setprecision(4) << meshed * 1e-3 << " mL (segmented " << segmented * 1e-3 << " mL); "
                  << folder << "/coupled.prm" << std::endl;
      }
    MPI_Barrier(comm);

    Json j;
    j["lesion"]                = lesion;
    j["voxels"]                = n_lesion;
    j["host_voxels"]           = std::count(voxels.region.begin(), voxels.region.end(), 2);
    j["segmented_volume_mL"]   = segmented * 1e-3;
    j["meshed_volume_mL"]      = meshed * 1e-3;
    j["coarse_cells"]          = mesh.cells.size();
    j["case"]                  = folder + "/coupled.prm";
    j["receptor_density_start_nmol_per_L"] = rden;
    std::vector<double> measured, weights;
    for (const auto &p : images.points)
      {
        measured.push_back(p.activity_MBq);
        weights.push_back(1 / (p.sigma_MBq * p.sigma_MBq));
      }
    j["times_h"]      = times;
    j["measured_MBq"] = measured;
    Json iterations = Json::array();
    for (unsigned int run = 0; run < runs; ++run)
      {
        if (root)
          write_file_atomically(folder + "/coupled.prm", case_text(rden));
        MPI_Barrier(comm);
        ParameterHandler run_prm;
        Simulator::declare_parameters(run_prm);
        ParameterFile run_file;
        run_file.read(run_prm, folder + "/coupled.prm", {});
        {
          Simulator simulator(comm, run_prm, run_file);
          if (simulator.run() != Simulator::Outcome::complete)
            throw std::runtime_error("the lesion PDE twin's coupled run stopped before its end");
        }
        const auto simulated = activities_at(folder + "/run/time_activity.csv", lesion, times);
        double     num = 0, den = 0, worst = 0;
        for (std::size_t i = 0; i < times.size(); ++i)
          {
            num += weights[i] * measured[i] * simulated[i];
            den += weights[i] * simulated[i] * simulated[i];
            worst = std::max(worst, std::abs(simulated[i] / measured[i] - 1));
          }
        const double factor = den > 0 ? num / den : 1.0;
        Json         it;
        it["receptor_density_nmol_per_L"] = rden;
        it["simulated_MBq"]               = simulated;
        it["largest_relative_difference"] = worst;
        it["factor"]                      = factor;
        iterations.push_back(it);
        if (root)
          std::cout << "  lesion PDE run " << run + 1 << ": R0 " << std::setprecision(5) << rden
                    << " nmol/L, largest difference to the measured curve " << std::setprecision(3) << 100 * worst
                    << " %, factor " << std::setprecision(4) << factor << std::endl;
        if (std::abs(factor - 1) < tolerance)
          break;
        rden *= factor;
      }
    j["runs"]                         = iterations;
    j["receptor_density_nmol_per_L"] = rden;
    if (root)
      {
        write_file_atomically(folder + "/coupled.prm", case_text(rden));
        write_file_atomically(folder + "/lesion_pde.json", dump_json(j));
      }
    return j;
  }
} // namespace radiotwin
