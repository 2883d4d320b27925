// The direct Q1 assembly into Epetra (solvers/q1_direct_assembly.h) against deal.II's generic
// route (FEValues with MappingQ1, AffineConstraints::distribute_local_to_global into a
// TrilinosWrappers::SparseMatrix): the same matrix entry by entry and the same right-hand
// side, on a curved, locally refined mesh (hanging nodes, also across ranks) with
// inhomogeneous Dirichlet values. Runs on 1, 2 and 3 ranks.
#define BOOST_TEST_MODULE q1_direct_assembly
#include "../test_main.h"

#include <Epetra_CrsMatrix.h>

#include <deal.II/base/function_lib.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include "solvers/q1_direct_assembly.h"

using namespace radiotwin;
using namespace dealii;

namespace
{
  // Coefficients that vary in space and between cells, so that a misplaced entry shows.
  double diffusion(const Point<3> &x) { return 1.0 + 0.5 * x[0] * x[0] + 0.25 * x[1]; }
  double reaction(const Point<3> &x) { return 2.0 + std::sin(x[2]); }
  double source(const Point<3> &x) { return std::cos(x[0]) + x[1] * x[2]; }

  struct Problem
  {
    parallel::distributed::Triangulation<3> tria{MPI_COMM_WORLD};
    FE_Q<3>                                 fe{1};
    DoFHandler<3>                           dofs{tria};
    AffineConstraints<double>               constraints;
    IndexSet                                owned, relevant;

    Problem()
    {
      GridGenerator::hyper_ball(tria); // curved: the cells are not parallelepipeds
      tria.refine_global(2);
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->center()[0] > 0.1 && cell->center()[1] < 0.3)
          cell->set_refine_flag();
      tria.execute_coarsening_and_refinement();
      dofs.distribute_dofs(fe);
      owned    = dofs.locally_owned_dofs();
      relevant = DoFTools::extract_locally_relevant_dofs(dofs);
      constraints.reinit(relevant);
      DoFTools::make_hanging_node_constraints(dofs, constraints);
      // Inhomogeneous Dirichlet values: lifting into the right-hand side is exercised too.
      VectorTools::interpolate_boundary_values(
        dofs, 0, Functions::Monomial<3>(Tensor<1, 3>({1., 1., 0.}), 3.0), constraints);
      constraints.close();
    }
  };

  /// Local system through FEValues (the reference) or through Q1HexValues (the fast path).
  DirectQ1Assembler::CellSystem reference_cell_system(FEValues<3> &fev,
                                                      const DoFHandler<3>::active_cell_iterator &cell)
  {
    fev.reinit(cell);
    DirectQ1Assembler::CellSystem c{};
    for (const unsigned int q : fev.quadrature_point_indices())
      {
        const Point<3> &x = fev.quadrature_point(q);
        for (unsigned int i = 0; i < 8; ++i)
          {
            for (unsigned int j = 0; j < 8; ++j)
              c.matrix[i][j] += (diffusion(x) * fev.shape_grad(i, q) * fev.shape_grad(j, q) +
                                 reaction(x) * fev.shape_value(i, q) * fev.shape_value(j, q)) *
                                fev.JxW(q);
            c.rhs[i] += source(x) * fev.shape_value(i, q) * fev.JxW(q);
          }
      }
    return c;
  }

  void fast_cell_system(const DoFHandler<3>::active_cell_iterator &cell,
                        DirectQ1Assembler::CellSystem &             c)
  {
    Q1HexValues hex;
    hex.reinit(cell);
    std::array<double, Q1HexValues::n_q> k, r, f;
    for (unsigned int q = 0; q < Q1HexValues::n_q; ++q)
      {
        k[q] = diffusion(hex.point[q]) * hex.JxW[q];
        r[q] = reaction(hex.point[q]) * hex.JxW[q];
        f[q] = source(hex.point[q]) * hex.JxW[q];
      }
    c = {};
    hex.add_diffusion_reaction(k, r, f, c.matrix, c.rhs);
  }
} // namespace

BOOST_AUTO_TEST_CASE(cell_values_match_fevalues)
{
  Problem            p;
  const MappingQ1<3> mapping;
  FEValues<3>        fev(mapping, p.fe, QGauss<3>(2),
                  update_values | update_gradients | update_quadrature_points | update_JxW_values);
  double worst = 0, scale = 0;
  for (const auto &cell : p.dofs.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const auto reference = reference_cell_system(fev, cell);
        DirectQ1Assembler::CellSystem fast;
        fast_cell_system(cell, fast);
        for (unsigned int i = 0; i < 8; ++i)
          {
            for (unsigned int j = 0; j < 8; ++j)
              {
                worst = std::max(worst, std::abs(fast.matrix[i][j] - reference.matrix[i][j]));
                scale = std::max(scale, std::abs(reference.matrix[i][j]));
              }
            worst = std::max(worst, std::abs(fast.rhs[i] - reference.rhs[i]));
          }
      }
  BOOST_TEST(Utilities::MPI::max(worst, MPI_COMM_WORLD) <
             1e-13 * Utilities::MPI::max(scale, MPI_COMM_WORLD));
}

BOOST_AUTO_TEST_CASE(system_matches_generic_assembly)
{
  Problem p;

  // Reference: deal.II's generic route.
  DynamicSparsityPattern dsp(p.relevant);
  DoFTools::make_sparsity_pattern(p.dofs, dsp, p.constraints, false);
  SparsityTools::distribute_sparsity_pattern(dsp, p.owned, MPI_COMM_WORLD, p.relevant);
  TrilinosWrappers::SparseMatrix generic;
  generic.reinit(p.owned, p.owned, dsp, MPI_COMM_WORLD);
  TrilinosWrappers::MPI::Vector generic_rhs(p.owned, MPI_COMM_WORLD);
  const MappingQ1<3>            mapping;
  FEValues<3>                   fev(mapping, p.fe, QGauss<3>(2),
                  update_values | update_gradients | update_quadrature_points | update_JxW_values);
  std::vector<types::global_dof_index> indices(8);
  for (const auto &cell : p.dofs.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const auto c = reference_cell_system(fev, cell);
        FullMatrix<double> matrix(8, 8);
        Vector<double>     rhs(8);
        for (unsigned int i = 0; i < 8; ++i)
          {
            for (unsigned int j = 0; j < 8; ++j)
              matrix(i, j) = c.matrix[i][j];
            rhs(i) = c.rhs[i];
          }
        cell->get_dof_indices(indices);
        p.constraints.distribute_local_to_global(matrix, rhs, indices, generic, generic_rhs);
      }
  generic.compress(VectorOperation::add);
  generic_rhs.compress(VectorOperation::add);

  // Direct route.
  DirectQ1Assembler direct;
  BOOST_TEST(DirectQ1Assembler::applicable(p.dofs));
  direct.build_graph(p.dofs, p.constraints);
  TrilinosWrappers::MPI::Vector direct_rhs(p.owned, MPI_COMM_WORLD);
  direct.assemble(p.dofs, p.constraints, fast_cell_system, true, direct_rhs);

  // Entry by entry, by global column: every entry of either matrix is in the other (or
  // is zero), and the values agree to round-off.
  const Epetra_CrsMatrix &D = direct.matrix();
  const Epetra_CrsMatrix &G = generic.trilinos_matrix();
  BOOST_TEST(D.NumMyRows() == G.NumMyRows());
  double worst = 0, scale = 0;
  std::size_t missing = 0;
  for (int row = 0; row < D.NumMyRows(); ++row)
    {
      BOOST_TEST(D.GRID(row) == G.GRID(row));
      int     nd, ng;
      double *vd, *vg;
      int *   cd, *cg;
      D.ExtractMyRowView(row, nd, vd, cd);
      G.ExtractMyRowView(row, ng, vg, cg);
      std::map<int, double> d_entries, g_entries;
      for (int k = 0; k < nd; ++k)
        d_entries[D.GCID(cd[k])] += vd[k];
      for (int k = 0; k < ng; ++k)
        g_entries[G.GCID(cg[k])] += vg[k];
      for (const auto &[col, value] : g_entries)
        {
          scale = std::max(scale, std::abs(value));
          const auto it = d_entries.find(col);
          if (it == d_entries.end())
            missing += (value != 0);
          else
            worst = std::max(worst, std::abs(it->second - value));
        }
      for (const auto &[col, value] : d_entries)
        if (g_entries.find(col) == g_entries.end())
          worst = std::max(worst, std::abs(value));
    }
  scale = Utilities::MPI::max(scale, MPI_COMM_WORLD);
  BOOST_TEST(Utilities::MPI::sum(missing, MPI_COMM_WORLD) == 0u);
  BOOST_TEST(Utilities::MPI::max(worst, MPI_COMM_WORLD) < 1e-13 * scale);

  TrilinosWrappers::MPI::Vector difference(direct_rhs);
  difference -= generic_rhs;
  BOOST_TEST(difference.linfty_norm() < 1e-13 * generic_rhs.linfty_norm());

  // The same operator: A x agrees for an arbitrary x.
  TrilinosWrappers::MPI::Vector x(p.owned, MPI_COMM_WORLD), y_direct(x), y_generic(x);
  for (const auto i : p.owned)
    x(i) = std::sin(0.37 * i);
  x.compress(VectorOperation::insert);
  direct.vmult(y_direct, x);
  generic.vmult(y_generic, x);
  y_direct -= y_generic;
  BOOST_TEST(y_direct.linfty_norm() < 1e-12 * y_generic.linfty_norm());

  // Right-hand side alone (matrix kept): the same vector, the matrix untouched.
  TrilinosWrappers::MPI::Vector rhs_again(p.owned, MPI_COMM_WORLD);
  const double                  norm_before = D.NormFrobenius();
  direct.assemble(p.dofs, p.constraints, fast_cell_system, false, rhs_again);
  rhs_again -= direct_rhs;
  BOOST_TEST(rhs_again.linfty_norm() == 0.0);
  BOOST_TEST(direct.matrix().NormFrobenius() == norm_before);
}
