// RadioTwin: hexahedral meshes and fields from voxels (voxel_mesh.h).
#include "meshes/voxel_mesh.h"

#include <vtkDataArray.h>
#include <vtkDoubleArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLImageDataWriter.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"

namespace radiotwin
{
  double VoxelField::value(const std::array<double, 3> &x) const
  {
    std::array<int, 3>    i0;
    std::array<double, 3> w;
    for (unsigned int d = 0; d < 3; ++d)
      {
        const double s = std::clamp((x[d] - origin_mm[d]) / spacing_mm[d], 0.0, double(dims[d] - 1));
        i0[d]          = std::min(static_cast<int>(std::floor(s)), std::max(dims[d] - 2, 0));
        w[d]           = dims[d] > 1 ? s - i0[d] : 0.0;
      }
    const auto at = [&](const int i, const int j, const int k) {
      return values[(std::size_t(std::min(k, dims[2] - 1)) * dims[1] + std::min(j, dims[1] - 1)) * dims[0] +
                    std::min(i, dims[0] - 1)];
    };
    double v = 0;
    for (int c = 0; c < 8; ++c)
      {
        const int a = c & 1, b = (c >> 1) & 1, e = (c >> 2) & 1;
        v += (a ? w[0] : 1 - w[0]) * (b ? w[1] : 1 - w[1]) * (e ? w[2] : 1 - w[2]) * at(i0[0] + a, i0[1] + b, i0[2] + e);
      }
    return v;
  }

  void write_voxel_field(const VoxelField &field, const std::string &file)
  {
    vtkNew<vtkImageData> image;
    image->SetDimensions(field.dims[0], field.dims[1], field.dims[2]);
    image->SetOrigin(field.origin_mm.data());
    image->SetSpacing(field.spacing_mm.data());
    vtkNew<vtkDoubleArray> values;
    values->SetName(field.name.c_str());
    values->SetNumberOfValues(field.values.size());
    for (std::size_t i = 0; i < field.values.size(); ++i)
      values->SetValue(i, field.values[i]);
    image->GetPointData()->SetScalars(values);
    const std::string       tmp = file + ".tmp.vti";
    vtkNew<vtkXMLImageDataWriter> writer;
    writer->SetFileName(tmp.c_str());
    writer->SetInputData(image);
    if (writer->Write() != 1)
      throw std::runtime_error("cannot write " + tmp);
    std::filesystem::rename(tmp, file);
  }

  VoxelField read_voxel_field(const std::string &file, const std::string &what)
  {
    if (!std::ifstream(file))
      throw InputError(file + ": cannot open the " + what + " (missing or unreadable)");
    vtkNew<vtkXMLImageDataReader> reader;
    if (!reader->CanReadFile(file.c_str()))
      throw InputError(file + ": the " + what + " is not VTK XML image data (.vti)");
    reader->SetFileName(file.c_str());
    reader->Update();
    vtkImageData *image = reader->GetOutput();
    vtkDataArray *array = image != nullptr ? image->GetPointData()->GetArray(0) : nullptr;
    if (array == nullptr || array->GetNumberOfComponents() != 1)
      throw InputError(file + ": the " + what + " has no scalar point data");
    VoxelField field;
    int        dims[3];
    image->GetDimensions(dims);
    double origin[3], spacing[3];
    image->GetOrigin(origin);
    image->GetSpacing(spacing);
    for (unsigned int d = 0; d < 3; ++d)
      {
        field.dims[d]       = dims[d];
        field.origin_mm[d]  = origin[d];
        field.spacing_mm[d] = spacing[d];
      }
    field.name = array->GetName() != nullptr ? array->GetName() : "value";
    field.values.resize(array->GetNumberOfTuples());
    for (std::size_t i = 0; i < field.values.size(); ++i)
      field.values[i] = array->GetTuple1(i);
    if (field.values.size() != std::size_t(dims[0]) * dims[1] * dims[2] || field.values.empty())
      throw InputError(file + ": the " + what + " has " + std::to_string(field.values.size()) +
                       " values for its grid");
    return field;
  }

  double HexMesh::volume_mm3(const int id) const
  {
    static const unsigned int tets[6][4] = {{0, 1, 2, 6}, {0, 2, 3, 6}, {0, 3, 7, 6},
                                            {0, 7, 4, 6}, {0, 4, 5, 6}, {0, 5, 1, 6}};
    double volume = 0;
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (region[c] == id)
        for (const auto &t : tets)
          {
            const auto &a = vertices_mm[cells[c][t[0]]], &b = vertices_mm[cells[c][t[1]]],
                       &p = vertices_mm[cells[c][t[2]]], &q = vertices_mm[cells[c][t[3]]];
            const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]},
                         w[3] = {q[0] - a[0], q[1] - a[1], q[2] - a[2]};
            volume += (u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) +
                       u[2] * (v[0] * w[1] - v[1] * w[0])) / 6.0;
          }
    return volume;
  }

  HexMesh voxel_hex_mesh(const LabelledVoxels &voxels, const unsigned int smoothing_steps)
  {
    const auto &n      = voxels.dims;
    const auto  voxel  = [&](const int i, const int j, const int k) {
      if (i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2])
        return 0;
      return voxels.region[(std::size_t(k) * n[1] + j) * n[0] + i];
    };
    // Corner (i, j, k) of the voxel grid sits at centre(i, j, k) - h/2.
    const auto corner_key = [&](const int i, const int j, const int k) {
      return (std::size_t(k) * (n[1] + 1) + j) * (n[0] + 1) + i;
    };
    std::vector<int> vertex_of((n[0] + 1) * std::size_t(n[1] + 1) * (n[2] + 1), -1);
    HexMesh          mesh;
    std::vector<std::array<int, 3>> corner_ijk;
    // Gmsh's order: (0,0,0) (1,0,0) (1,1,0) (0,1,0), then the same at z + 1.
    static const int offsets[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                      {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
    for (int k = 0; k < n[2]; ++k)
      for (int j = 0; j < n[1]; ++j)
        for (int i = 0; i < n[0]; ++i)
          if (const int id = voxel(i, j, k); id != 0)
            {
              std::array<unsigned int, 8> cell;
              for (int c = 0; c < 8; ++c)
                {
                  const int   a = i + offsets[c][0], b = j + offsets[c][1], e = k + offsets[c][2];
                  int &       v = vertex_of[corner_key(a, b, e)];
                  if (v < 0)
                    {
                      v = static_cast<int>(mesh.vertices_mm.size());
                      mesh.vertices_mm.push_back({{voxels.origin_mm[0] + (a - 0.5) * voxels.spacing_mm[0],
                                                   voxels.origin_mm[1] + (b - 0.5) * voxels.spacing_mm[1],
                                                   voxels.origin_mm[2] + (e - 0.5) * voxels.spacing_mm[2]}});
                      corner_ijk.push_back({{a, b, e}});
                    }
                  cell[c] = v;
                }
              mesh.cells.push_back(cell);
              mesh.region.push_back(id);
            }

    // Surfaces: a vertex whose eight voxels hold two different nonzero ids is on an interface;
    // one with an unmeshed voxel among them on the outer boundary (the boundary wins).
    enum Kind
    {
      inner,
      interface,
      boundary
    };
    std::vector<Kind> kind(mesh.vertices_mm.size(), inner);
    for (std::size_t v = 0; v < kind.size(); ++v)
      {
        std::set<int> ids;
        for (int c = 0; c < 8; ++c)
          ids.insert(voxel(corner_ijk[v][0] - (c & 1), corner_ijk[v][1] - ((c >> 1) & 1), corner_ijk[v][2] - ((c >> 2) & 1)));
        kind[v] = ids.count(0) ? boundary : ids.size() > 1 ? interface : inner;
      }
    // Neighbours on the same surface: the six grid neighbours of that kind.
    std::vector<std::vector<unsigned int>> neighbours(kind.size());
    for (std::size_t v = 0; v < kind.size(); ++v)
      if (kind[v] != inner)
        for (int d = 0; d < 3; ++d)
          for (const int s : {-1, 1})
            {
              auto ijk = corner_ijk[v];
              ijk[d] += s;
              if (ijk[d] < 0 || ijk[d] > n[d])
                continue;
              const int w = vertex_of[corner_key(ijk[0], ijk[1], ijk[2])];
              if (w >= 0 && kind[w] == kind[v])
                neighbours[v].push_back(w);
            }
    for (unsigned int step = 0; step < 2 * smoothing_steps; ++step)
      {
        const double factor = step % 2 == 0 ? 0.5 : -0.51;
        auto         moved  = mesh.vertices_mm;
        for (std::size_t v = 0; v < kind.size(); ++v)
          if (!neighbours[v].empty())
            for (int d = 0; d < 3; ++d)
              {
                double mean = 0;
                for (const unsigned int w : neighbours[v])
                  mean += mesh.vertices_mm[w][d];
                mean /= neighbours[v].size();
                moved[v][d] += factor * (mean - mesh.vertices_mm[v][d]);
              }
        mesh.vertices_mm = moved;
      }
    // No cell may fold: where one would, the smoothing is halved back towards the voxel
    // corners (at most ten times; the voxel mesh itself is valid).
    const auto positive = [&](const std::array<unsigned int, 8> &cell) {
      for (int c = 0; c < 8; ++c)
        {
          const int bits[3] = {offsets[c][0], offsets[c][1], offsets[c][2]};
          std::array<std::array<double, 3>, 3> e;
          for (int d = 0; d < 3; ++d)
            {
              int flipped[3] = {bits[0], bits[1], bits[2]};
              flipped[d]     = 1 - flipped[d];
              int other      = 0;
              while (offsets[other][0] != flipped[0] || offsets[other][1] != flipped[1] || offsets[other][2] != flipped[2])
                ++other;
              for (int x = 0; x < 3; ++x)
                e[d][x] = (mesh.vertices_mm[cell[other]][x] - mesh.vertices_mm[cell[c]][x]) * (bits[d] ? -1 : 1);
            }
          const double det = e[0][0] * (e[1][1] * e[2][2] - e[1][2] * e[2][1]) -
                             e[0][1] * (e[1][0] * e[2][2] - e[1][2] * e[2][0]) +
                             e[0][2] * (e[1][0] * e[2][1] - e[1][1] * e[2][0]);
          if (!(det > 0.05 * voxels.spacing_mm[0] * voxels.spacing_mm[1] * voxels.spacing_mm[2]))
            return false;
        }
      return true;
    };
    for (int halving = 0; halving < 10; ++halving)
      {
        std::vector<bool> bad_vertex(mesh.vertices_mm.size(), false);
        bool              any = false;
        for (const auto &cell : mesh.cells)
          if (!positive(cell))
            {
              any = true;
              for (const unsigned int v : cell)
                bad_vertex[v] = true;
            }
        if (!any)
          break;
        for (std::size_t v = 0; v < bad_vertex.size(); ++v)
          if (bad_vertex[v] || halving == 9)
            for (int d = 0; d < 3; ++d)
              {
                const double corner = voxels.origin_mm[d] + (corner_ijk[v][d] - 0.5) * voxels.spacing_mm[d];
                mesh.vertices_mm[v][d] = halving == 9 ? corner : 0.5 * (corner + mesh.vertices_mm[v][d]);
              }
      }
    return mesh;
  }

  void write_gmsh(const HexMesh &mesh, const std::string &file, const std::map<int, std::string> &names)
  {
    std::ostringstream out;
    out.precision(12);
    out << "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$PhysicalNames\n" << names.size() << "\n";
    for (const auto &[id, name] : names)
      out << "3 " << id << " \"" << name << "\"\n";
    out << "$EndPhysicalNames\n$Nodes\n" << mesh.vertices_mm.size() << "\n";
    for (std::size_t v = 0; v < mesh.vertices_mm.size(); ++v)
      out << v + 1 << " " << mesh.vertices_mm[v][0] << " " << mesh.vertices_mm[v][1] << " " << mesh.vertices_mm[v][2]
          << "\n";
    out << "$EndNodes\n$Elements\n" << mesh.cells.size() << "\n";
    for (std::size_t c = 0; c < mesh.cells.size(); ++c)
      {
        out << c + 1 << " 5 2 " << mesh.region[c] << " " << mesh.region[c];
        for (const unsigned int v : mesh.cells[c])
          out << " " << v + 1;
        out << "\n";
      }
    out << "$EndElements\n";
    write_file_atomically(file, out.str());
  }
} // namespace radiotwin
