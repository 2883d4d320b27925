#include "solvers/q1_direct_assembly.h"

#include <Epetra_CrsGraph.h>
#include <Epetra_CrsMatrix.h>
#include <Epetra_Map.h>
#include <Epetra_MpiComm.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include <deal.II/base/mpi.h>
#include <deal.II/fe/fe_q.h>

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// Reference values and gradients of the 8 trilinear shape functions at the 2x2x2
    /// Gauss points; point q and vertex v both in lexicographic order (bit d = coordinate d).
    struct Q1Reference
    {
      std::array<std::array<double, 8>, 8> value;   ///< [q][v]
      double                               grad[8][3][8]; ///< [q][direction][v]
      Q1Reference()
      {
        const double g[2] = {0.5 - 0.5 / std::sqrt(3.0), 0.5 + 0.5 / std::sqrt(3.0)};
        for (unsigned int q = 0; q < 8; ++q)
          {
            const double xi[3] = {g[q & 1], g[(q >> 1) & 1], g[(q >> 2) & 1]};
            for (unsigned int v = 0; v < 8; ++v)
              {
                double f[3], df[3];
                for (unsigned int d = 0; d < 3; ++d)
                  {
                    const bool upper = (v >> d) & 1;
                    f[d]             = upper ? xi[d] : 1.0 - xi[d];
                    df[d]            = upper ? 1.0 : -1.0;
                  }
                value[q][v]   = f[0] * f[1] * f[2];
                grad[q][0][v] = df[0] * f[1] * f[2];
                grad[q][1][v] = f[0] * df[1] * f[2];
                grad[q][2][v] = f[0] * f[1] * df[2];
              }
          }
      }
    };
    const Q1Reference reference;
  } // namespace

  namespace
  {
    // The two per-cell kernels are compiled for plain x86-64, for AVX2+FMA and for AVX-512;
    // the loader picks the best one for the CPU it runs on (GCC function multi-versioning),
    // so the binary stays portable. On the 1 M-DoF Darcy benchmark the AVX-512 clones take
    // about a quarter off the cell loop of the plain x86-64 build.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#  define RADIOTWIN_SIMD_CLONES \
    __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#  define RADIOTWIN_SIMD_CLONES
#endif

    /// Jacobians, gradients and points of the trilinear map whose vertex coordinates are
    /// X[direction][vertex]. Returns false for a non-positive Jacobian.
    RADIOTWIN_SIMD_CLONES bool hex_values(const double (&X)[3][8], Q1HexValues &out)
    {
      // Loops run over the 8 vertices innermost (contiguous), which compilers vectorise.
      for (unsigned int q = 0; q < Q1HexValues::n_q; ++q)
        {
          const auto &dN = reference.grad[q];
          double      J[3][3];
          for (unsigned int a = 0; a < 3; ++a)
            {
              for (unsigned int b = 0; b < 3; ++b)
                {
                  double sum = 0;
                  for (unsigned int v = 0; v < 8; ++v)
                    sum += X[a][v] * dN[b][v];
                  J[a][b] = sum;
                }
              double sum = 0;
              for (unsigned int v = 0; v < 8; ++v)
                sum += X[a][v] * reference.value[q][v];
              out.point[q][a] = sum;
            }
          // Inverse through the adjugate: inv[b][a] = cof[a][b] / det.
          const double cof[3][3] = {{J[1][1] * J[2][2] - J[1][2] * J[2][1],
                                     J[1][2] * J[2][0] - J[1][0] * J[2][2],
                                     J[1][0] * J[2][1] - J[1][1] * J[2][0]},
                                    {J[0][2] * J[2][1] - J[0][1] * J[2][2],
                                     J[0][0] * J[2][2] - J[0][2] * J[2][0],
                                     J[0][1] * J[2][0] - J[0][0] * J[2][1]},
                                    {J[0][1] * J[1][2] - J[0][2] * J[1][1],
                                     J[0][2] * J[1][0] - J[0][0] * J[1][2],
                                     J[0][0] * J[1][1] - J[0][1] * J[1][0]}};
          const double det = J[0][0] * cof[0][0] + J[0][1] * cof[0][1] + J[0][2] * cof[0][2];
          if (!(det > 0))
            return false;
          const double inv_det = 1.0 / det;
          // grad phi_v = J^{-T} grad_xi phi_v: component a is sum_b inv[b][a] dN_b.
          for (unsigned int a = 0; a < 3; ++a)
            for (unsigned int v = 0; v < 8; ++v)
              out.grad[q][a][v] =
                (cof[a][0] * dN[0][v] + cof[a][1] * dN[1][v] + cof[a][2] * dN[2][v]) * inv_det;
          out.JxW[q] = det * 0.125;
        }
      return true;
    }

    RADIOTWIN_SIMD_CLONES void
    diffusion_reaction(const Q1HexValues &hex, const std::array<double, 8> &k_JxW,
                       const std::array<double, 8> &r_JxW, const std::array<double, 8> &f_JxW,
                       std::array<std::array<double, 8>, 8> &matrix, std::array<double, 8> &rhs)
    {
      const auto &phi = reference.value;
      for (unsigned int q = 0; q < Q1HexValues::n_q; ++q)
        {
          const auto &g = hex.grad[q];
          for (unsigned int i = 0; i < 8; ++i)
            {
              const double gx = k_JxW[q] * g[0][i], gy = k_JxW[q] * g[1][i],
                           gz = k_JxW[q] * g[2][i], p = r_JxW[q] * phi[q][i];
              // Whole rows (8 contiguous entries) rather than a triangle: they vectorise.
              for (unsigned int j = 0; j < 8; ++j)
                matrix[i][j] += gx * g[0][j] + gy * g[1][j] + gz * g[2][j] + p * phi[q][j];
              rhs[i] += f_JxW[q] * phi[q][i];
            }
        }
    }
  } // namespace

  void Q1HexValues::reinit(const std::array<Point<3>, 8> &x)
  {
    double X[3][8];
    for (unsigned int v = 0; v < 8; ++v)
      for (unsigned int a = 0; a < 3; ++a)
        X[a][v] = x[v][a];
    if (!hex_values(X, *this))
      throw std::runtime_error("Q1 assembly: the mesh cell with first vertex (" +
                               std::to_string(x[0][0]) + ", " + std::to_string(x[0][1]) + ", " +
                               std::to_string(x[0][2]) +
                               ") m has a non-positive Jacobian (distorted or inverted)");
  }

  void Q1HexValues::add_diffusion_reaction(const std::array<double, n_q> &k_JxW,
                                           const std::array<double, n_q> &r_JxW,
                                           const std::array<double, n_q> &f_JxW,
                                           std::array<std::array<double, n_dofs>, n_dofs> &matrix,
                                           std::array<double, n_dofs> &rhs) const
  {
    diffusion_reaction(*this, k_JxW, r_JxW, f_JxW, matrix, rhs);
  }

  bool DirectQ1Assembler::applicable(const DoFHandler<3> &dofs)
  {
    const FiniteElement<3> &fe = dofs.get_fe();
    const bool ok = dynamic_cast<const FE_Q<3> *>(&fe) != nullptr && fe.degree == 1 &&
                    fe.n_components() == 1 && dofs.locally_owned_dofs().is_contiguous() &&
                    dofs.n_dofs() < static_cast<types::global_dof_index>(INT_MAX);
    return Utilities::MPI::min(ok ? 1 : 0, dofs.get_communicator()) == 1;
  }

  DirectQ1Assembler::ConstraintLookup::ConstraintLookup(
    const AffineConstraints<double> &constraints, const global_index first,
    const global_index n_owned)
    : first(first)
    , n_owned(n_owned)
    , owned_lines(n_owned, nullptr)
  {
    for (const Line &line : constraints.get_lines())
      if (line.index - first < n_owned) // unsigned: also false below `first`
        owned_lines[line.index - first] = &line;
      else
        other_lines.emplace_back(line.index, &line);
    std::sort(other_lines.begin(), other_lines.end());
  }

  const DirectQ1Assembler::Line *
  DirectQ1Assembler::ConstraintLookup::operator()(const global_index i) const
  {
    if (i - first < n_owned)
      return owned_lines[i - first];
    const auto it = std::lower_bound(other_lines.begin(), other_lines.end(),
                                     std::pair<global_index, const Line *>(i, nullptr));
    return (it != other_lines.end() && it->first == i) ? it->second : nullptr;
  }

  void DirectQ1Assembler::expand(const std::array<global_index, 8> &cell_dofs,
                                 const ConstraintLookup &lookup, Expansion &e,
                                 const bool with_unique)
  {
    e.entries.clear();
    e.unique.clear();
    e.constrained = false;
    for (unsigned int i = 0; i < 8; ++i)
      {
        e.begin[i] = e.entries.size();
        e.line[i]  = lookup(cell_dofs[i]);
        if (e.line[i] == nullptr)
          {
            e.entries.emplace_back(cell_dofs[i], 1.0);
            e.inhomogeneity[i] = 0;
          }
        else
          {
            e.constrained = true;
            e.entries.insert(e.entries.end(), e.line[i]->entries.begin(),
                             e.line[i]->entries.end());
            e.inhomogeneity[i] = e.line[i]->inhomogeneity;
          }
      }
    e.begin[8] = e.entries.size();
    if (!with_unique || !e.constrained)
      return;
    for (const auto &entry : e.entries)
      e.unique.push_back(entry.first);
    std::sort(e.unique.begin(), e.unique.end());
    e.unique.erase(std::unique(e.unique.begin(), e.unique.end()), e.unique.end());
  }

  unsigned int DirectQ1Assembler::owner(const global_index i) const
  {
    return std::upper_bound(first_owned_of_rank.begin(), first_owned_of_rank.end(), i) -
           first_owned_of_rank.begin() - 1;
  }

  int DirectQ1Assembler::local_column(const global_index i) const
  {
    if (i - first_owned < n_owned)
      return static_cast<int>(i - first_owned);
    const auto it = std::lower_bound(ghost_columns.begin(), ghost_columns.end(), i);
    if (it == ghost_columns.end() || *it != i)
      throw std::logic_error("Q1 assembly: column " + std::to_string(i) +
                             " is not in the graph");
    return static_cast<int>(n_owned + (it - ghost_columns.begin()));
  }

  const Epetra_CrsMatrix &DirectQ1Assembler::matrix() const
  {
    if (!epetra_matrix)
      throw std::logic_error("Q1 assembly: matrix() before build_graph()");
    return *epetra_matrix;
  }

  void DirectQ1Assembler::vmult(TrilinosWrappers::MPI::Vector &      y,
                                const TrilinosWrappers::MPI::Vector &x) const
  {
    if (matrix().Multiply(false, x.trilinos_vector(), y.trilinos_vector()) != 0)
      throw std::logic_error("Q1 assembly: Epetra_CrsMatrix::Multiply failed");
  }

  void DirectQ1Assembler::build_graph(const DoFHandler<3> &              dofs,
                                      const AffineConstraints<double> &constraints)
  {
    comm                 = dofs.get_communicator();
    const IndexSet owned = dofs.locally_owned_dofs();
    n_owned              = owned.n_elements();
    // Owned ranges are contiguous and ascending with the rank (p4est DoF numbering).
    const auto sizes = Utilities::MPI::all_gather(comm, n_owned);
    first_owned_of_rank.assign(sizes.size(), 0);
    for (unsigned int r = 1; r < sizes.size(); ++r)
      first_owned_of_rank[r] = first_owned_of_rank[r - 1] + sizes[r - 1];
    first_owned = first_owned_of_rank[Utilities::MPI::this_mpi_process(comm)];
    if (n_owned > 0 && owned.nth_index_in_set(0) != first_owned)
      throw std::logic_error("Q1 assembly: owned DoF ranges are not ordered by rank");

    const ConstraintLookup lookup(constraints, first_owned, n_owned);

    std::vector<std::array<global_index, 8>> cell_dofs;
    cell_dofs.reserve(dofs.get_triangulation().n_active_cells());
    std::vector<global_index> indices(8);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(indices);
          std::array<global_index, 8> d;
          std::copy(indices.begin(), indices.end(), d.begin());
          cell_dofs.push_back(d);
        }

    // The graph is the union of S x S over "patches" S: the 8 DoFs of an unconstrained
    // cell; for a cell with constraints, the unconstrained DoFs its expansion reaches, plus
    // {i} for each constrained DoF i (whose row keeps its diagonal alone). A patch with
    // DoFs owned elsewhere also goes to their owners, who need its rows.
    std::vector<global_index>                           members;
    std::vector<std::size_t>                            patch_begin{0};
    std::map<unsigned int, std::vector<global_index>> to_send; // [size, members...]...
    std::vector<unsigned int>                           destinations;
    members.reserve(8 * cell_dofs.size());
    patch_begin.reserve(cell_dofs.size() + 1);
    auto add_patch = [&](const global_index *begin, const global_index *end) {
      members.insert(members.end(), begin, end);
      patch_begin.push_back(members.size());
      destinations.clear();
      for (const global_index *m = begin; m != end; ++m)
        if (*m - first_owned >= n_owned)
          destinations.push_back(owner(*m));
      std::sort(destinations.begin(), destinations.end());
      destinations.erase(std::unique(destinations.begin(), destinations.end()),
                         destinations.end());
      for (const unsigned int rank : destinations)
        {
          auto &out = to_send[rank];
          out.push_back(end - begin);
          out.insert(out.end(), begin, end);
        }
    };
    // Cells whose 8 DoFs are owned and unconstrained (nearly all) also keep their local rows
    // and the order that sorts them, so that assemble() needs neither DoF indices nor lookups.
    local_cells.resize(cell_dofs.size());
    Expansion e;
    for (std::size_t k = 0; k < cell_dofs.size(); ++k)
      {
        const auto &d = cell_dofs[k];
        expand(d, lookup, e, true);
        local_cells[k].row[0] = -1;
        if (!e.constrained)
          {
            add_patch(d.data(), d.data() + 8);
            if (std::all_of(d.begin(), d.end(),
                            [&](const global_index i) { return i - first_owned < n_owned; }))
              {
                std::array<std::pair<int, unsigned char>, 8> sorted;
                for (unsigned int j = 0; j < 8; ++j)
                  sorted[j] = {static_cast<int>(d[j] - first_owned), static_cast<unsigned char>(j)};
                std::sort(sorted.begin(), sorted.end());
                for (unsigned int j = 0; j < 8; ++j)
                  {
                    local_cells[k].row[j]   = static_cast<int>(d[j] - first_owned);
                    local_cells[k].order[j] = sorted[j].second;
                  }
              }
          }
        else
          {
            add_patch(e.unique.data(), e.unique.data() + e.unique.size());
            for (unsigned int i = 0; i < 8; ++i)
              if (e.line[i] != nullptr)
                add_patch(&d[i], &d[i] + 1);
          }
      }
    for (const auto &[rank, patches] : Utilities::MPI::some_to_some(comm, to_send))
      for (std::size_t k = 0; k < patches.size(); k += 1 + patches[k])
        {
          members.insert(members.end(), patches.begin() + k + 1,
                         patches.begin() + k + 1 + patches[k]);
          patch_begin.push_back(members.size());
        }
    to_send.clear();

    // Local column numbers: owned DoFs first (in row order), then the others, ascending.
    ghost_columns.clear();
    for (const global_index m : members)
      if (m - first_owned >= n_owned)
        ghost_columns.push_back(m);
    std::sort(ghost_columns.begin(), ghost_columns.end());
    ghost_columns.erase(std::unique(ghost_columns.begin(), ghost_columns.end()),
                        ghost_columns.end());
    std::vector<int> local_members(members.size());
    for (std::size_t k = 0; k < members.size(); ++k)
      local_members[k] = local_column(members[k]);
    members.clear();
    members.shrink_to_fit();

    // Rows -> patches, then each row's columns: the members of its patches, deduplicated
    // with a marker per column (no sort of duplicates), sorted by local column.
    const std::size_t        n_patches = patch_begin.size() - 1;
    std::vector<unsigned int> row_patches_begin(n_owned + 1, 0);
    for (const int m : local_members)
      if (static_cast<global_index>(m) < n_owned)
        ++row_patches_begin[m + 1];
    for (global_index r = 0; r < n_owned; ++r)
      row_patches_begin[r + 1] += row_patches_begin[r];
    std::vector<unsigned int> row_patches(row_patches_begin[n_owned]);
    {
      std::vector<unsigned int> cursor(row_patches_begin.begin(), row_patches_begin.end() - 1);
      for (std::size_t p = 0; p < n_patches; ++p)
        for (std::size_t k = patch_begin[p]; k < patch_begin[p + 1]; ++k)
          if (static_cast<global_index>(local_members[k]) < n_owned)
            row_patches[cursor[local_members[k]]++] = p;
    }
    std::vector<int> n_entries(n_owned), columns, marker(n_owned + ghost_columns.size(), -1);
    std::vector<std::size_t> row_begin(n_owned + 1, 0);
    columns.reserve(27 * n_owned);
    for (global_index r = 0; r < n_owned; ++r)
      {
        row_begin[r] = columns.size();
        for (unsigned int k = row_patches_begin[r]; k < row_patches_begin[r + 1]; ++k)
          {
            const unsigned int p = row_patches[k];
            for (std::size_t m = patch_begin[p]; m < patch_begin[p + 1]; ++m)
              if (marker[local_members[m]] != static_cast<int>(r))
                {
                  marker[local_members[m]] = r;
                  columns.push_back(local_members[m]);
                }
          }
        std::sort(columns.begin() + row_begin[r], columns.end());
        n_entries[r] = columns.size() - row_begin[r];
      }
    row_begin[n_owned] = columns.size();

    cell_dofs.clear();
    cell_dofs.shrink_to_fit();

    // Epetra objects with local indices.
    const Epetra_MpiComm epetra_comm(comm);
    const Epetra_Map     row_map = owned.make_trilinos_map(comm, false);
    std::vector<int>     column_gids(n_owned + ghost_columns.size());
    for (global_index r = 0; r < n_owned; ++r)
      column_gids[r] = static_cast<int>(first_owned + r);
    std::copy(ghost_columns.begin(), ghost_columns.end(), column_gids.begin() + n_owned);
    const Epetra_Map column_map(-1, static_cast<int>(column_gids.size()), column_gids.data(), 0,
                                epetra_comm);
    Epetra_CrsGraph graph(Copy, row_map, column_map, n_entries.data(), true);
    for (global_index r = 0; r < n_owned; ++r)
      if (graph.InsertMyIndices(static_cast<int>(r), n_entries[r], columns.data() + row_begin[r]) != 0)
        throw std::logic_error("Q1 assembly: Epetra refused the graph of row " +
                               std::to_string(first_owned + r));
    columns.clear();
    columns.shrink_to_fit();
    if (graph.FillComplete(row_map, row_map) != 0 || graph.OptimizeStorage() != 0)
      throw std::logic_error("Q1 assembly: Epetra_CrsGraph::FillComplete failed");
    epetra_matrix = std::make_unique<Epetra_CrsMatrix>(Copy, graph);
    if (epetra_matrix->FillComplete(row_map, row_map, true) != 0 || !epetra_matrix->StorageOptimized())
      throw std::logic_error("Q1 assembly: Epetra_CrsMatrix::FillComplete failed");
  }

  void DirectQ1Assembler::assemble(const DoFHandler<3> &              dofs,
                                   const AffineConstraints<double> &constraints,
                                   const CellWorker &worker, const bool matrix_too,
                                   TrilinosWrappers::MPI::Vector &rhs)
  {
    const ConstraintLookup lookup(constraints, first_owned, n_owned);
    int *                  offsets = nullptr, *entry_columns = nullptr;
    double *               values  = nullptr;
    if (matrix().ExtractCrsDataPointers(offsets, entry_columns, values) != 0 ||
        static_cast<global_index>(matrix().NumMyRows()) != n_owned)
      throw std::logic_error("Q1 assembly: the matrix does not belong to these DoFs");
    if (matrix_too)
      std::fill(values, values + offsets[n_owned], 0.0);
    auto entry = [&](const global_index local_row, const int column) -> double & {
      const int *begin = entry_columns + offsets[local_row], *end = entry_columns + offsets[local_row + 1];
      const int *it    = std::lower_bound(begin, end, column);
      if (it == end || *it != column)
        throw std::logic_error("Q1 assembly: entry (" + std::to_string(first_owned + local_row) +
                               ", column " + std::to_string(column) + ") is not in the graph");
      return values[it - entry_columns];
    };
    std::vector<double> local_rhs(n_owned, 0.0);
    // Other ranks' rows: (row, column, value) triples; column -1 is the right-hand side.
    std::map<unsigned int, std::vector<double>> to_send;
    auto add = [&](const global_index row, const global_index column, const bool is_rhs,
                   const double value) {
      if (row - first_owned < n_owned)
        {
          if (is_rhs)
            local_rhs[row - first_owned] += value;
          else
            entry(row - first_owned, local_column(column)) += value;
        }
      else
        to_send[owner(row)].insert(to_send[owner(row)].end(),
                                   {double(row), is_rhs ? -1.0 : double(column), value});
    };

    CellSystem                  cs;
    Expansion                   e;
    std::vector<global_index>   indices(8);
    std::array<global_index, 8> d;
    std::size_t cell_index = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          if (cell_index >= local_cells.size())
            throw std::logic_error("Q1 assembly: the mesh changed since build_graph()");
          const LocalCell &local = local_cells[cell_index++];
          worker(cell, cs);
          if (local.row[0] >= 0) // the common case: owned, unconstrained rows and columns
            {
              for (unsigned int i = 0; i < 8; ++i)
                {
                  const int row = local.row[i];
                  local_rhs[row] += cs.rhs[i];
                  if (!matrix_too)
                    continue;
                  // Columns in ascending order: one forward scan of the row's ~27 sorted
                  // entries instead of 8 binary searches.
                  const int *c = entry_columns + offsets[row], *end = entry_columns + offsets[row + 1];
                  for (const unsigned char j : local.order)
                    {
                      const int col = local.row[j];
                      while (c != end && *c < col)
                        ++c;
                      if (c == end || *c != col)
                        throw std::logic_error("Q1 assembly: entry (" +
                                               std::to_string(first_owned + row) + ", " +
                                               std::to_string(first_owned + col) +
                                               ") is not in the graph");
                      values[c - entry_columns] += cs.matrix[i][j];
                    }
                }
              continue;
            }
          cell->get_dof_indices(indices);
          std::copy(indices.begin(), indices.end(), d.begin());
          expand(d, lookup, e, false);
          // Any other cell (constrained DoFs, or rows owned elsewhere): C^T (f - K h) and
          // C^T K C through the expansion (weights 1 and h = 0 for unconstrained DoFs), plus
          // the constrained diagonals.
          std::array<double, 8> f = cs.rhs;
          for (unsigned int i = 0; i < 8; ++i)
            for (unsigned int j = 0; j < 8; ++j)
              f[i] -= cs.matrix[i][j] * e.inhomogeneity[j];
          for (unsigned int i = 0; i < 8; ++i)
            for (unsigned int a = e.begin[i]; a < e.begin[i + 1]; ++a)
              {
                const auto [row, w_row] = e.entries[a];
                add(row, 0, true, w_row * f[i]);
                if (matrix_too)
                  for (unsigned int j = 0; j < 8; ++j)
                    for (unsigned int b = e.begin[j]; b < e.begin[j + 1]; ++b)
                      add(row, e.entries[b].first, false,
                          w_row * e.entries[b].second * cs.matrix[i][j]);
              }
          if (matrix_too)
            {
              double mean_diagonal = 0;
              for (unsigned int i = 0; i < 8; ++i)
                mean_diagonal += std::abs(cs.matrix[i][i]) / 8;
              for (unsigned int i = 0; i < 8; ++i)
                if (e.line[i] != nullptr)
                  add(d[i], d[i], false,
                      cs.matrix[i][i] != 0 ? std::abs(cs.matrix[i][i]) : mean_diagonal);
            }
        }

    for (const auto &[rank, triples] : Utilities::MPI::some_to_some(comm, to_send))
      for (std::size_t k = 0; k < triples.size(); k += 3)
        {
          const auto row = static_cast<global_index>(triples[k]);
          if (triples[k + 1] < 0)
            local_rhs[row - first_owned] += triples[k + 2];
          else
            entry(row - first_owned, local_column(static_cast<global_index>(triples[k + 1]))) +=
              triples[k + 2];
        }

    rhs = 0;
    std::copy(local_rhs.begin(), local_rhs.end(), rhs.begin());
  }
} // namespace radiotwin
