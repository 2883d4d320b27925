#include "postprocessing/line_profile.h"

#include <deal.II/base/mpi.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/base/bounding_box.h>

#include <array>
#include <limits>

namespace radiotwin
{
  using namespace dealii;

  std::vector<FieldSample> sample_field(const Mapping<3> &mapping, const DoFHandler<3> &dofs,
                                        const LinearAlgebra::distributed::Vector<double> &u,
                                        const std::vector<Point<3>> &points)
  {
    const MPI_Comm comm = dofs.get_communicator();

    // Per point: the key (material id, cell centre) of the chosen cell, then the data.
    // Among all locally owned cells that contain the point, the one with the smallest key
    // wins; across ranks likewise. Keys are properties of the cell, not of the partition.
    constexpr double none = std::numeric_limits<double>::max();
    const std::size_t n = points.size();
    std::vector<std::array<double, 4>> keys(n, {{none, none, none, none}});
    std::vector<FieldSample>           local(n);

    for (std::size_t i = 0; i < n; ++i)
      local[i].x = points[i];

    // One pass over the owned cells; a cell is tested only against the points inside its
    // bounding box (a few hundred points: a linear scan beats any tree here).
    BoundingBox<3> all_points(points);
    all_points.extend(1e-12 + 1e-9 * all_points.side_length(0));
    std::vector<double>       v(1);
    std::vector<Tensor<1, 3>> g(1);
    for (const auto &cell : dofs.active_cell_iterators())
      {
        if (!cell->is_locally_owned())
          continue;
        BoundingBox<3> box = cell->bounding_box();
        // Curved cells may bulge beyond their vertices' box.
        box.extend(0.1 * cell->diameter());
        if (box.get_neighbor_type(all_points) == NeighborType::not_neighbors)
          continue;
        for (std::size_t i = 0; i < n; ++i)
          {
            if (!box.point_inside(points[i]))
              continue;
            Point<3> reference;
            try
              {
                reference = mapping.transform_real_to_unit_cell(cell, points[i]);
              }
            catch (const typename Mapping<3>::ExcTransformationFailed &)
              {
                continue;
              }
            if (!GeometryInfo<3>::is_inside_unit_cell(reference, 1e-10))
              continue;
            const Point<3>              c = cell->center();
            const std::array<double, 4> key{{double(cell->material_id()), c[0], c[1], c[2]}};
            if (key >= keys[i])
              continue;
            keys[i] = key;
            FEValues<3> fev(mapping, dofs.get_fe(),
                            Quadrature<3>(GeometryInfo<3>::project_to_unit_cell(reference)),
                            update_values | update_gradients);
            fev.reinit(cell);
            fev.get_function_values(u, v);
            fev.get_function_gradients(u, g);
            local[i].found    = true;
            local[i].material = cell->material_id();
            local[i].value    = v[0];
            local[i].gradient = g[0];
          }
      }

    // Choose the winner per point across ranks, then share the winner's data.
    const auto all_keys = Utilities::MPI::all_gather(comm, keys);
    const unsigned int me = Utilities::MPI::this_mpi_process(comm);
    std::vector<double> data(6 * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      {
        unsigned int owner = numbers::invalid_unsigned_int;
        std::array<double, 4> best{{none, none, none, none}};
        for (unsigned int r = 0; r < all_keys.size(); ++r)
          if (all_keys[r][i] < best)
            {
              best  = all_keys[r][i];
              owner = r;
            }
        if (owner == me)
          {
            data[6 * i + 0] = 1;
            data[6 * i + 1] = local[i].material;
            data[6 * i + 2] = local[i].value;
            for (unsigned int d = 0; d < 3; ++d)
              data[6 * i + 3 + d] = local[i].gradient[d];
          }
      }
    Utilities::MPI::sum(data, comm, data);

    std::vector<FieldSample> result(n);
    for (std::size_t i = 0; i < n; ++i)
      {
        result[i].x        = points[i];
        result[i].found    = data[6 * i] > 0.5;
        result[i].material = static_cast<types::material_id>(data[6 * i + 1] + 0.5);
        result[i].value    = data[6 * i + 2];
        for (unsigned int d = 0; d < 3; ++d)
          result[i].gradient[d] = data[6 * i + 3 + d];
      }
    return result;
  }
} // namespace radiotwin
