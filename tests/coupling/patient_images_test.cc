// The patient twin's images (coupling/patient_images.h): NIfTI round trip of values and
// geometry; the Gaussian blur keeps the activity and has the asked width; region
// measurements; counting noise is unbiased.
#define BOOST_TEST_MODULE patient_images
#include "../test_main.h"

#include "coupling/patient_images.h"
#include "meshes/voxel_mesh.h"

#include <algorithm>

#include <cmath>
#include <numeric>

using namespace radiotwin;

namespace
{
  VoxelImage grid(const int n, const double h)
  {
    VoxelImage image;
    image.dims       = {{n, n + 2, n + 4}};
    image.spacing_mm = {{h, h, h}};
    image.origin_mm  = {{-10.5, 3.25, 100}};
    image.values.assign(image.size(), 0.0);
    return image;
  }
} // namespace

BOOST_AUTO_TEST_CASE(nifti_round_trip)
{
  VoxelImage image = grid(9, 4.8);
  for (std::size_t i = 0; i < image.size(); ++i)
    image.values[i] = 0.5 * i + 1e3;
  write_nifti(image, "round_trip.nii", "test");
  const VoxelImage back = read_nifti("round_trip.nii", "test image");
  BOOST_TEST(back.grid_difference(image) == "");
  for (std::size_t i = 0; i < image.size(); ++i)
    BOOST_TEST(std::abs(back.values[i] - image.values[i]) <= 1e-7 * image.values[i]);
  VoxelImage other = image;
  other.spacing_mm[2] = 5;
  BOOST_TEST(other.grid_difference(image).find("voxel spacing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(blur_keeps_activity_and_has_the_asked_width)
{
  // A point source in the middle of a large grid: after a 10 mm FWHM blur on 2 mm voxels the
  // sum is kept, and the variance along each axis is sigma^2 + h^2/12 (the voxel integral).
  // The grid is wide enough (40 mm each side) for the 5-sigma kernel.
  const double h = 2, fwhm = 10, sigma = fwhm / (2 * std::sqrt(2 * std::log(2.0)));
  VoxelImage   image = grid(41, h);
  image.at(20, 21, 22) = 1000;
  gaussian_blur(image, fwhm);
  const double total = std::accumulate(image.values.begin(), image.values.end(), 0.0);
  BOOST_TEST(std::abs(total - 1000) < 1e-9 * 1000);
  double variance = 0;
  for (int i = 0; i < image.dims[0]; ++i)
    variance += image.at(i, 21, 22) * (i - 20) * h * (i - 20) * h;
  double line = 0;
  for (int i = 0; i < image.dims[0]; ++i)
    line += image.at(i, 21, 22);
  variance /= line;
  BOOST_TEST_MESSAGE("variance " << variance << " mm^2, expected " << sigma * sigma + h * h / 12);
  BOOST_TEST(std::abs(variance - (sigma * sigma + h * h / 12)) < 1e-4 * variance); // cut at 5 sigma
}

BOOST_AUTO_TEST_CASE(regions_are_measured_and_noise_is_unbiased)
{
  VoxelImage labels = grid(10, 5), activity = grid(10, 5);
  for (std::size_t i = 0; i < labels.size(); ++i)
    {
      labels.values[i]   = i % 3; // 0: outside, 1 and 2
      activity.values[i] = labels.values[i] == 1 ? 2e5 : labels.values[i] == 2 ? 1e5 + i : 7;
    }
  const auto regions = measure_regions(activity, labels, {{1, "kidney"}, {2, "lesion"}});
  BOOST_REQUIRE(regions.size() == 2u);
  std::size_t n1 = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    n1 += labels.values[i] == 1;
  BOOST_TEST(regions[0].name == "kidney");
  BOOST_TEST(std::abs(regions[0].activity_MBq - n1 * 0.125 * 2e5 * 1e-6) < 1e-12);
  BOOST_TEST(std::abs(regions[0].mean_Bq_per_mL - 2e5) < 1e-6);
  BOOST_TEST(regions[1].peak_Bq_per_mL >= 1e5 + labels.size() - 3);
  std::mt19937 rng(3);
  VoxelImage   noisy = activity;
  add_counting_noise(noisy, 2e4, rng);
  const auto noisy_regions = measure_regions(noisy, labels, {{1, "kidney"}, {2, "lesion"}});
  // Counts in the kidney: about 2e4 per MBq x its activity; the mean stays within 4 sd.
  const double expected = regions[0].activity_MBq, sd = std::sqrt(expected * 2e4) / 2e4;
  BOOST_TEST(std::abs(noisy_regions[0].activity_MBq - expected) < 4 * sd);
  BOOST_TEST(noisy_regions[0].activity_MBq != expected);
}

namespace
{
  /// A voxelised sphere of radius @p R_mm (label 1) in a shell (label 2) of a grid of 2 mm voxels.
  VoxelImage sphere_labels(const double R_mm, const int n)
  {
    VoxelImage labels;
    labels.dims       = {{n, n, n}};
    labels.spacing_mm = {{2, 2, 2}};
    labels.origin_mm  = {{0, 0, 0}};
    labels.values.assign(labels.size(), 0.0);
    const double c = 0.5 * (n - 1) * 2;
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i)
          {
            const double r = std::sqrt(std::pow(i * 2 - c, 2) + std::pow(j * 2 - c, 2) + std::pow(k * 2 - c, 2));
            labels.at(i, j, k) = r <= R_mm ? 1 : r <= R_mm + 20 ? 2 : 0;
          }
    return labels;
  }
} // namespace

BOOST_AUTO_TEST_CASE(sphere_recovery_is_what_the_blur_keeps)
{
  // Large spheres keep everything, and a sphere of radius R = 2 sigma keeps what the voxel blur of
  // its voxelised self keeps (within the voxelisation, 1 %). Small spheres lose most.
  BOOST_TEST(sphere_recovery(1e6, 10) > 0.99);
  BOOST_TEST(sphere_recovery(0.05, 10) < 0.05);
  BOOST_TEST(sphere_recovery(10, 0) == 1.0);
  for (const double R : {8.5, 17.0})
    {
      const VoxelImage labels = sphere_labels(R, 61);
      VoxelImage       image  = labels;
      double           inside = 0, kept = 0, voxels = 0;
      for (double &v : image.values)
        v = v == 1 ? 1 : 0;
      const VoxelImage before = image;
      gaussian_blur(image, 10);
      for (std::size_t v = 0; v < image.size(); ++v)
        if (labels.values[v] == 1)
          {
            inside += before.values[v];
            kept += image.values[v];
            ++voxels;
          }
      const double voxel_rc = kept / inside, model_rc = sphere_recovery(voxels * 8e-3, 10);
      BOOST_TEST_MESSAGE("R " << R << " mm: voxel blur keeps " << voxel_rc << ", sphere model " << model_rc);
      BOOST_TEST(std::abs(model_rc - voxel_rc) < 0.01);
    }
}

BOOST_AUTO_TEST_CASE(transfer_matrix_undoes_spill_out_and_spill_in)
{
  // A hot sphere in a warm shell, blurred: the measured activities are off (spill-out of the
  // sphere, spill-in to the shell), the transfer matrix gives back the true ones.
  const VoxelImage labels = sphere_labels(9, 51);
  VoxelImage       image  = labels;
  for (double &v : image.values)
    v = v == 1 ? 1e6 : v == 2 ? 1e5 : 0; // Bq/mL
  const std::map<int, std::string> names{{1, "lesion"}, {2, "shell"}};
  const auto                       truth = measure_regions(image, labels, names);
  gaussian_blur(image, 10);
  const auto measured = measure_regions(image, labels, names);
  BOOST_TEST(measured[0].activity_MBq < 0.7 * truth[0].activity_MBq);
  const auto W         = geometric_transfer_matrix(labels, names, 10);
  const auto corrected = solve_transfer(W, {measured[0].activity_MBq, measured[1].activity_MBq});
  for (std::size_t r = 0; r < 2; ++r)
    {
      BOOST_TEST_MESSAGE(names.at(r + 1) << ": true " << truth[r].activity_MBq << " measured "
                                         << measured[r].activity_MBq << " corrected " << corrected[r] << " MBq");
      BOOST_TEST(std::abs(corrected[r] / truth[r].activity_MBq - 1) < 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(voxel_mesh_keeps_volume_and_cells_valid)
{
  // A voxelised sphere (R = 9 mm, 2 mm voxels) with a host shell: one hexahedron per voxel, the
  // unsmoothed mesh has exactly the voxels' volume; smoothed (Taubin: no shrinking), the
  // sphere's volume stays within 1 % of it.
  const VoxelImage labels = sphere_labels(9, 31);
  LabelledVoxels   voxels;
  voxels.dims       = labels.dims;
  voxels.spacing_mm = labels.spacing_mm;
  voxels.origin_mm  = labels.origin_mm;
  std::size_t n1 = 0;
  for (const double v : labels.values)
    {
      voxels.region.push_back(static_cast<int>(v));
      n1 += v == 1;
    }
  const HexMesh raw = voxel_hex_mesh(voxels, 0);
  BOOST_TEST(raw.cells.size() == std::size_t(std::count_if(voxels.region.begin(), voxels.region.end(), [](int r) { return r > 0; })));
  BOOST_TEST(std::abs(raw.volume_mm3(1) - n1 * 8.0) < 1e-9 * n1 * 8.0);
  const HexMesh smooth = voxel_hex_mesh(voxels, 10);
  const double  sphere = 4.0 / 3.0 * M_PI * 9 * 9 * 9;
  BOOST_TEST_MESSAGE("voxels " << n1 * 8.0 << " mm^3, smoothed " << smooth.volume_mm3(1) << ", sphere " << sphere);
  BOOST_TEST(std::abs(smooth.volume_mm3(1) / raw.volume_mm3(1) - 1) < 0.01);
  BOOST_TEST(smooth.volume_mm3(2) > 0);
  write_gmsh(smooth, "voxel_sphere.msh", {{1, "tumour"}, {2, "host"}});
  VoxelField field;
  field.dims       = {{3, 2, 2}};
  field.spacing_mm = {{1, 2, 3}};
  field.origin_mm  = {{-1, 0, 5}};
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 3; ++i)
        field.values.push_back(1 + (i - 1) + 2 * j * 2 + 3 * k * 3); // linear: 1 + x + 2 y + 3 (z - 5)
  write_voxel_field(field, "field.vti");
  const VoxelField back = read_voxel_field("field.vti", "test field");
  BOOST_TEST(std::abs(back.value({{0.3, 1.1, 6.2}}) - (1 + 0.3 + 2 * 1.1 + 3 * 1.2)) < 1e-12); // trilinear is exact
  BOOST_TEST(std::abs(back.value({{-5, 0, 5}}) - 0.0) < 1e-12);                                // nearest outside
}
