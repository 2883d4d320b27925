// RadioTwin: a patient's quantitative SPECT images and organ segmentation (docs/twin.md):
// NIfTI volumes read and written with VTK, the geometry checks that make a label map and a
// series of SPECT images belong together, and the time-activity extraction per labelled
// region (activity, volume, mean and peak concentration). Also the tools of the synthetic
// patient: Gaussian blur to a SPECT resolution and Poisson counting noise.
#pragma once

#include <array>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace radiotwin
{
  /// A 3D image on a regular grid: one value per voxel, x fastest, with its geometry.
  struct VoxelImage
  {
    std::array<int, 3>    dims{{0, 0, 0}};
    std::array<double, 3> spacing_mm{{1, 1, 1}};
    std::array<double, 3> origin_mm{{0, 0, 0}};                     ///< centre of voxel (0, 0, 0)
    std::array<double, 9> direction{{1, 0, 0, 0, 1, 0, 0, 0, 1}};   ///< axes in patient space, rows
    std::vector<double>   values;

    std::size_t size() const { return std::size_t(dims[0]) * dims[1] * dims[2]; }
    double      voxel_volume_mL() const { return spacing_mm[0] * spacing_mm[1] * spacing_mm[2] * 1e-3; }
    double &    at(int i, int j, int k) { return values[(std::size_t(k) * dims[1] + j) * dims[0] + i]; }
    double      at(int i, int j, int k) const { return values[(std::size_t(k) * dims[1] + j) * dims[0] + i]; }
    /// Empty string when @p other has the same grid (dimensions, spacing and origin to
    /// 1e-3 mm, directions to 1e-6), else what differs.
    std::string grid_difference(const VoxelImage &other) const;
  };

  /// Read a NIfTI volume (.nii or .nii.gz; the scaling slope and intercept applied). Throws
  /// InputError naming @p file (and @p what it is for) when it cannot be read or is not 3D.
  VoxelImage read_nifti(const std::string &file, const std::string &what);
  /// Write @p image as NIfTI-1 (float values) with @p description in its header; atomic.
  void write_nifti(const VoxelImage &image, const std::string &file, const std::string &description);

  /// Label values -> names, from a CSV with columns 'label' and 'name'. Throws InputError
  /// naming file and line for a malformed row, a repeated label or name, a label < 1.
  std::map<int, std::string> read_label_table(const std::string &file);

  /// One labelled region in one image.
  struct RegionMeasurement
  {
    std::string name;
    double      volume_mL = 0, activity_MBq = 0, mean_Bq_per_mL = 0, peak_Bq_per_mL = 0;
  };
  /// Activity, volume, mean and peak concentration of every named region of @p labels in
  /// @p activity_Bq_per_mL (same grid; checked by the caller). Peak: the largest voxel.
  std::vector<RegionMeasurement> measure_regions(const VoxelImage &activity_Bq_per_mL, const VoxelImage &labels,
                                                 const std::map<int, std::string> &names);

  /// Recovery coefficient of a uniform sphere of @p volume_mL imaged at a Gaussian resolution
  /// of @p fwhm_mm: the share of its activity that stays inside it, 3/R^3 int_0^R P(r) r^2 dr
  /// with P(r) the probability that the blur moves a decay at radius r to within R.
  double sphere_recovery(double volume_mL, double fwhm_mm);

  /// The geometric transfer matrix (Rousset et al., J Nucl Med 1998) of the named regions of
  /// @p labels at resolution @p fwhm_mm: W[i][j] is the share of a uniform activity in region
  /// j that the blurred image shows in region i (regions in the order of @p names). Measured
  /// activities m = W a for a piecewise uniform activity a: solving it undoes both spill-out
  /// and spill-in (with the blur of gaussian_blur()).
  std::vector<std::vector<double>> geometric_transfer_matrix(const VoxelImage &labels,
                                                             const std::map<int, std::string> &names, double fwhm_mm);
  /// Solve W a = m (the true region activities of measured ones); throws InputError when W
  /// is singular (a region that the blur wipes out).
  std::vector<double> solve_transfer(const std::vector<std::vector<double>> &W, const std::vector<double> &measured);

  /// Convolve with a Gaussian of full width at half maximum @p fwhm_mm, separably, with the
  /// image continued by zero outside (what leaves the grid is lost).
  void gaussian_blur(VoxelImage &image, double fwhm_mm);
  /// Replace every voxel's activity concentration by a Poisson count of it, for a camera of
  /// @p counts_per_MBq in the acquisition (sensitivity x duration), back in Bq/mL.
  void add_counting_noise(VoxelImage &activity_Bq_per_mL, double counts_per_MBq, std::mt19937 &rng);
} // namespace radiotwin
