// RadioTwin: NIfTI volumes, label tables, region measurements, blur and counting noise
// (patient_images.h).
#include "coupling/patient_images.h"

#include <Eigen/Dense>

#include <vtkDataArray.h>
#include <vtkFloatArray.h>
#include <vtkImageData.h>
#include <vtkMatrix4x4.h>
#include <vtkNIFTIImageReader.h>
#include <vtkNIFTIImageWriter.h>
#include <vtkNew.h>
#include <vtkPointData.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "physics/base/csv_table.h"
#include "physics/base/input_error.h"

namespace radiotwin
{
  std::string VoxelImage::grid_difference(const VoxelImage &o) const
  {
    std::ostringstream s;
    if (dims != o.dims)
      s << "dimensions " << dims[0] << "x" << dims[1] << "x" << dims[2] << " vs " << o.dims[0] << "x" << o.dims[1]
        << "x" << o.dims[2];
    else
      for (unsigned int d = 0; d < 3 && s.tellp() == 0; ++d)
        if (std::abs(spacing_mm[d] - o.spacing_mm[d]) > 1e-3)
          s << "voxel spacing " << spacing_mm[d] << " vs " << o.spacing_mm[d] << " mm along axis " << d;
        else if (std::abs(origin_mm[d] - o.origin_mm[d]) > 1e-3)
          s << "origin " << origin_mm[d] << " vs " << o.origin_mm[d] << " mm along axis " << d;
    for (unsigned int i = 0; i < 9 && s.tellp() == 0; ++i)
      if (std::abs(direction[i] - o.direction[i]) > 1e-6)
        s << "orientation (direction cosines differ)";
    return s.str();
  }

  VoxelImage read_nifti(const std::string &file, const std::string &what)
  {
    if (!std::filesystem::is_regular_file(file))
      throw InputError(file + ": cannot open the " + what);
    vtkNew<vtkNIFTIImageReader> reader;
    if (!reader->CanReadFile(file.c_str()))
      throw InputError(file + ": not a NIfTI image (the " + what + ")");
    reader->SetFileName(file.c_str());
    reader->Update();
    vtkImageData *data = reader->GetOutput();
    vtkDataArray *scalars = data ? data->GetPointData()->GetScalars() : nullptr;
    if (scalars == nullptr || scalars->GetNumberOfComponents() != 1)
      throw InputError(file + ": the " + what + " has no single-valued voxel data");
    VoxelImage image;
    int        dims[3];
    data->GetDimensions(dims);
    if (dims[0] < 1 || dims[1] < 1 || dims[2] < 1)
      throw InputError(file + ": the " + what + " is not a 3D volume");
    double spacing[3], origin[3];
    data->GetSpacing(spacing);
    data->GetOrigin(origin);
    for (unsigned int d = 0; d < 3; ++d)
      {
        image.dims[d]       = dims[d];
        image.spacing_mm[d] = spacing[d];
        image.origin_mm[d]  = origin[d];
      }
    // Orientation and offset: the qform, else the sform.
    vtkMatrix4x4 *m = reader->GetQFormMatrix() ? reader->GetQFormMatrix() : reader->GetSFormMatrix();
    if (m != nullptr)
      for (unsigned int r = 0; r < 3; ++r)
        {
          image.origin_mm[r] += m->GetElement(r, 3);
          for (unsigned int c = 0; c < 3; ++c)
            image.direction[3 * r + c] = m->GetElement(r, c);
        }
    const double slope = reader->GetRescaleSlope() != 0 ? reader->GetRescaleSlope() : 1.0;
    const double intercept = reader->GetRescaleIntercept();
    image.values.resize(image.size());
    for (std::size_t i = 0; i < image.size(); ++i)
      {
        image.values[i] = slope * scalars->GetComponent(i, 0) + intercept;
        if (!std::isfinite(image.values[i]))
          throw InputError(file + ": the " + what + " has a value that is not a finite number (voxel " +
                           std::to_string(i) + ")");
      }
    return image;
  }

  void write_nifti(const VoxelImage &image, const std::string &file, const std::string &description)
  {
    vtkNew<vtkImageData> data;
    data->SetDimensions(image.dims[0], image.dims[1], image.dims[2]);
    data->SetSpacing(image.spacing_mm.data());
    data->SetOrigin(0, 0, 0);
    vtkNew<vtkFloatArray> values;
    values->SetNumberOfTuples(image.size());
    for (std::size_t i = 0; i < image.size(); ++i)
      values->SetValue(i, static_cast<float>(image.values[i]));
    data->GetPointData()->SetScalars(values);
    vtkNew<vtkMatrix4x4> qform;
    for (unsigned int r = 0; r < 3; ++r)
      {
        for (unsigned int c = 0; c < 3; ++c)
          qform->SetElement(r, c, image.direction[3 * r + c]);
        qform->SetElement(r, 3, image.origin_mm[r]);
      }
    // Atomic: written beside the file, then renamed (the extension tells VTK the format).
    const std::string temporary = file + ".tmp.nii";
    vtkNew<vtkNIFTIImageWriter> writer;
    writer->SetInputData(data);
    writer->SetQFormMatrix(qform);
    writer->SetDescription(description.substr(0, 79).c_str());
    writer->SetFileName(temporary.c_str());
    writer->Write();
    if (writer->GetErrorCode() != 0)
      throw std::runtime_error(file + ": cannot write the NIfTI image");
    std::filesystem::rename(temporary, file);
  }

  std::map<int, std::string> read_label_table(const std::string &file)
  {
    const CsvTable table = read_csv_table(file, {"label", "name"}, {}, file + ": cannot open the label table");
    std::map<int, std::string> names;
    std::set<std::string>      seen;
    const int                  lc = table.column("label"), nc = table.column("name");
    for (const auto &row : table.rows)
      {
        const double      v    = table.number(row, lc);
        const std::string name = row.fields[nc];
        if (v != std::floor(v) || v < 1)
          throw InputError(table.where(row) + ": label " + row.fields[lc] + " is not a whole number >= 1");
        if (name.empty() || names.count(int(v)) || !seen.insert(name).second)
          throw InputError(table.where(row) + ": label " + row.fields[lc] + " or name '" + name +
                           "' is empty or given twice");
        names[int(v)] = name;
      }
    if (names.empty())
      throw InputError(file + ": no labels");
    return names;
  }

  std::vector<RegionMeasurement> measure_regions(const VoxelImage &activity, const VoxelImage &labels,
                                                 const std::map<int, std::string> &names)
  {
    std::map<int, RegionMeasurement> regions;
    for (const auto &[label, name] : names)
      regions[label].name = name;
    const double v = activity.voxel_volume_mL();
    for (std::size_t i = 0; i < labels.size(); ++i)
      {
        const int label = static_cast<int>(std::lround(labels.values[i]));
        if (label == 0)
          continue;
        const auto r = regions.find(label);
        if (r == regions.end())
          continue; // checked by the caller against the table
        r->second.volume_mL += v;
        r->second.activity_MBq += activity.values[i] * v * 1e-6;
        r->second.peak_Bq_per_mL = std::max(r->second.peak_Bq_per_mL, activity.values[i]);
      }
    std::vector<RegionMeasurement> out;
    for (auto &[label, r] : regions)
      {
        r.mean_Bq_per_mL = r.volume_mL > 0 ? r.activity_MBq * 1e6 / r.volume_mL : 0.0;
        out.push_back(r);
      }
    return out;
  }

  void gaussian_blur(VoxelImage &image, const double fwhm_mm)
  {
    if (fwhm_mm <= 0)
      return;
    for (unsigned int axis = 0; axis < 3; ++axis)
      {
        const double sigma = fwhm_mm / (2 * std::sqrt(2 * std::log(2.0))) / image.spacing_mm[axis];
        const int    half  = static_cast<int>(std::ceil(5 * sigma));
        // Weights integrate the Gaussian over each voxel, cut at 5 sigma and scaled to sum 1
        // (the blur keeps the activity that stays on the grid).
        std::vector<double> w(2 * half + 1);
        double              sum = 0;
        for (int d = -half; d <= half; ++d)
          sum += w[d + half] =
            0.5 * (std::erf((d + 0.5) / (sigma * std::sqrt(2.0))) - std::erf((d - 0.5) / (sigma * std::sqrt(2.0))));
        for (double &x : w)
          x /= sum;
        const int           n = image.dims[axis];
        std::vector<double> line(n), out(n);
        const int           a = (axis + 1) % 3, b = (axis + 2) % 3;
        for (int p = 0; p < image.dims[a]; ++p)
          for (int q = 0; q < image.dims[b]; ++q)
            {
              std::array<int, 3> ijk;
              ijk[a] = p;
              ijk[b] = q;
              for (int x = 0; x < n; ++x)
                {
                  ijk[axis] = x;
                  line[x]   = image.at(ijk[0], ijk[1], ijk[2]);
                }
              for (int x = 0; x < n; ++x)
                {
                  double s = 0;
                  for (int d = std::max(-half, -x); d <= std::min(half, n - 1 - x); ++d)
                    s += w[d + half] * line[x + d];
                  out[x] = s;
                }
              for (int x = 0; x < n; ++x)
                {
                  ijk[axis]                      = x;
                  image.at(ijk[0], ijk[1], ijk[2]) = out[x];
                }
            }
      }
  }

  void add_counting_noise(VoxelImage &image, const double counts_per_MBq, std::mt19937 &rng)
  {
    const double per_Bq_per_mL = counts_per_MBq * 1e-6 * image.voxel_volume_mL(); // counts per Bq/mL
    for (double &v : image.values)
      {
        std::poisson_distribution<long> counts(std::max(v, 0.0) * per_Bq_per_mL);
        v = counts(rng) / per_Bq_per_mL;
      }
  }

  double sphere_recovery(const double volume_mL, const double fwhm_mm)
  {
    if (fwhm_mm <= 0)
      return 1;
    const double R     = std::cbrt(3 * volume_mL * 1e3 / (4 * M_PI)); // [mm]
    const double sigma = fwhm_mm / (2 * std::sqrt(2 * std::log(2.0)));
    const double s2    = std::sqrt(2.0) * sigma;
    const auto   P     = [&](const double r) {
      return 0.5 * (std::erf((R - r) / s2) + std::erf((R + r) / s2)) -
             sigma / (r * std::sqrt(2 * M_PI)) *
               (std::exp(-(R - r) * (R - r) / (2 * sigma * sigma)) - std::exp(-(R + r) * (R + r) / (2 * sigma * sigma)));
    };
    // Simpson's rule on [0, R]; the integrand P(r) r^2 vanishes at r = 0.
    const int n   = 400;
    const double h = R / n;
    double       sum = 0;
    for (int k = 1; k <= n; ++k)
      {
        const double r = k * h;
        sum += (k == n ? 1 : (k % 2 == 1 ? 4 : 2)) * P(r) * r * r;
      }
    return 3.0 / (R * R * R) * sum * h / 3.0;
  }

  std::vector<std::vector<double>> geometric_transfer_matrix(const VoxelImage &labels,
                                                             const std::map<int, std::string> &names,
                                                             const double fwhm_mm)
  {
    std::vector<int> order;
    std::map<int, std::size_t> index;
    for (const auto &[label, name] : names)
      {
        index[label] = order.size();
        order.push_back(label);
      }
    const std::size_t                n = order.size();
    std::vector<std::vector<double>> W(n, std::vector<double>(n, 0.0));
    std::vector<int>                 region(labels.size(), -1);
    std::vector<double>              voxels(n, 0.0);
    for (std::size_t v = 0; v < labels.size(); ++v)
      if (const auto it = index.find(static_cast<int>(std::lround(labels.values[v]))); it != index.end())
        {
          region[v] = static_cast<int>(it->second);
          ++voxels[it->second];
        }
    for (std::size_t j = 0; j < n; ++j)
      {
        if (voxels[j] == 0)
          continue;
        VoxelImage mask = labels;
        for (std::size_t v = 0; v < labels.size(); ++v)
          mask.values[v] = region[v] == static_cast<int>(j) ? 1.0 : 0.0;
        gaussian_blur(mask, fwhm_mm);
        for (std::size_t v = 0; v < labels.size(); ++v)
          if (region[v] >= 0)
            W[region[v]][j] += mask.values[v] / voxels[j];
      }
    return W;
  }

  std::vector<double> solve_transfer(const std::vector<std::vector<double>> &W, const std::vector<double> &measured)
  {
    const std::size_t n = W.size();
    Eigen::MatrixXd   A(n, n);
    Eigen::VectorXd   m(n);
    for (std::size_t i = 0; i < n; ++i)
      {
        m(i) = measured[i];
        for (std::size_t j = 0; j < n; ++j)
          A(i, j) = W[i][j];
      }
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(A);
    if (!lu.isInvertible() || lu.rcond() < 1e-12)
      throw InputError("the geometric transfer matrix of the label map is singular at this resolution (a region "
                       "too small for the blur): use another partial-volume correction");
    const Eigen::VectorXd a = lu.solve(m);
    return std::vector<double>(a.data(), a.data() + n);
  }
} // namespace radiotwin
