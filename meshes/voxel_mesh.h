// RadioTwin: meshes and fields from a patient's voxels (docs/twin.md, the lesion PDE twin): a
// hexahedral mesh of labelled voxels, one hexahedron per voxel, its interface and outer
// boundary smoothed (Taubin's lambda|mu smoothing, which does not shrink), written as a Gmsh
// file with physical volume groups; and a scalar field on a voxel grid (VTK XML image data,
// .vti, which ParaView opens) interpolated trilinearly at any point.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

namespace radiotwin
{
  /// A scalar field on an axis-aligned voxel grid: voxel centres at origin + (i, j, k) h [mm].
  struct VoxelField
  {
    std::array<int, 3>    dims{{0, 0, 0}};
    std::array<double, 3> origin_mm{{0, 0, 0}}, spacing_mm{{1, 1, 1}};
    std::vector<double>   values; ///< x fastest
    std::string           name = "value";

    /// Trilinear interpolation between voxel centres; beyond the outermost centres the
    /// nearest value.
    double value(const std::array<double, 3> &x_mm) const;
  };
  /// Write as VTK XML image data (atomically: a temporary file renamed).
  void write_voxel_field(const VoxelField &field, const std::string &file);
  /// Read the first point-data array of a .vti file; InputError naming @p what and the file.
  VoxelField read_voxel_field(const std::string &file, const std::string &what);

  /// Labelled voxels to mesh: region id per voxel (x fastest), 0 = not meshed.
  struct LabelledVoxels
  {
    std::array<int, 3>    dims{{0, 0, 0}};
    std::array<double, 3> origin_mm{{0, 0, 0}}, spacing_mm{{1, 1, 1}}; ///< of the voxel centres
    std::vector<int>      region;
  };

  struct HexMesh
  {
    std::vector<std::array<double, 3>>       vertices_mm;
    std::vector<std::array<unsigned int, 8>> cells; ///< Gmsh's hexahedron order
    std::vector<int>                         region;
    /// Volume of the cells of region @p id [mm^3] (six tetrahedra per hexahedron).
    double volume_mm3(int id) const;
  };
  /// One hexahedron per meshed voxel; then @p smoothing_steps Taubin steps (lambda 0.5, mu
  /// -0.51) move the vertices of the interfaces between regions, and separately those of the
  /// outer boundary, towards their neighbours on the same surface.
  HexMesh voxel_hex_mesh(const LabelledVoxels &voxels, unsigned int smoothing_steps);
  /// Gmsh 2.2 ASCII with a physical volume group per region id (named by @p names).
  void write_gmsh(const HexMesh &mesh, const std::string &file, const std::map<int, std::string> &names);
} // namespace radiotwin
