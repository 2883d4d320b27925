// RadioTwin: assembly of continuous Q1 systems straight into Epetra's CSR arrays.
//
// The generic deal.II route builds a DynamicSparsityPattern, ships it between ranks, copies it
// into an Epetra_FECrsGraph, then adds every cell matrix with global indices
// (SumIntoGlobalValues, one map lookup per entry). For Q1 hexahedra all of that costs more
// than the AMG solve (docs/benchmarks.md). This class computes the condensed graph from
// the cell DoF lists in one counting pass, hands Epetra local indices, and adds cell
// matrices at positions found by a binary search within each 27-entry row. Contributions
// to rows owned by another rank travel once, in one message per neighbour.
//
// Constraints follow deal.II's AffineConstraints semantics exactly (hanging nodes and
// inhomogeneous Dirichlet values): with x_i = sum_m w_im x_m + h_i for a constrained i,
// the global system gets C^T K C and C^T (f - K h), and each constrained row keeps only a
// positive diagonal (|K_ii| of the cell, or the cell's mean |K_jj| when that is zero) with a
// zero right-hand side; AffineConstraints::distribute() sets its value after the solve.
#pragma once

#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <array>
#include <functional>
#include <memory>
#include <vector>

class Epetra_CrsMatrix;

namespace radiotwin
{
  /// Trilinear map and shape functions of one hexahedron at the 2x2x2 Gauss points: what
  /// FEValues(MappingQ1, FE_Q(1), QGauss(2)) computes, without its generality.
  struct Q1HexValues
  {
    static constexpr unsigned int n_q = 8, n_dofs = 8;
    std::array<double, n_q>                                  JxW;   ///< [m^3]
    std::array<dealii::Point<3>, n_q>                        point; ///< quadrature points [m]
    /// grad phi_i [1/m] as [q][direction][i] (i innermost, for vectorised loops)
    std::array<std::array<std::array<double, n_dofs>, 3>, n_q> grad;

    /// Fill from the 8 vertices of `cell` (deal.II's lexicographic vertex order, which is
    /// FE_Q(1)'s DoF order). Throws for a cell with a non-positive Jacobian.
    template <class CellIterator>
    void reinit(const CellIterator &cell)
    {
      std::array<dealii::Point<3>, 8> x;
      for (unsigned int v = 0; v < 8; ++v)
        x[v] = cell->vertex(v);
      reinit(x);
    }
    void reinit(const std::array<dealii::Point<3>, 8> &vertices);

    /// The local system of -div(k grad u) + r u = f on this cell: matrix(i, j) += sum_q
    /// k_q grad phi_i . grad phi_j + r_q phi_i phi_j and rhs(i) += sum_q f_q phi_i, with the
    /// coefficients at the quadrature points already multiplied by JxW[q].
    void add_diffusion_reaction(const std::array<double, n_q> &k_JxW,
                                const std::array<double, n_q> &r_JxW,
                                const std::array<double, n_q> &f_JxW,
                                std::array<std::array<double, n_dofs>, n_dofs> &matrix,
                                std::array<double, n_dofs> &                    rhs) const;
  };

  class DirectQ1Assembler
  {
  public:
    using CellIterator = dealii::DoFHandler<3>::active_cell_iterator;
    /// One cell's contribution: full (symmetric or not) 8x8 matrix and right-hand side.
    struct CellSystem
    {
      std::array<std::array<double, 8>, 8> matrix;
      std::array<double, 8>                rhs;
    };
    using CellWorker = std::function<void(const CellIterator &, CellSystem &)>;

    /// True when this assembler handles `dofs`: FE_Q(1), scalar, contiguous owned ranges.
    static bool applicable(const dealii::DoFHandler<3> &dofs);

    /// Build the graph of the condensed operator on the owned rows, and a matrix of that
    /// structure with zero values (collective).
    void build_graph(const dealii::DoFHandler<3> &              dofs,
                     const dealii::AffineConstraints<double> &constraints);

    /// Assemble the cell systems of all locally owned cells into the matrix (overwritten,
    /// unless `matrix_too` is false) and `rhs` (overwritten), for the DoFs and constraints
    /// given to build_graph() (collective).
    void assemble(const dealii::DoFHandler<3> &dofs, const dealii::AffineConstraints<double> &constraints,
                  const CellWorker &worker, bool matrix_too,
                  dealii::TrilinosWrappers::MPI::Vector &rhs);

    /// The assembled matrix: rows and domain are the owned DoFs (ML and CG take it as is).
    const Epetra_CrsMatrix &matrix() const;

    /// y = A x, for deal.II's solvers.
    void vmult(dealii::TrilinosWrappers::MPI::Vector &      y,
               const dealii::TrilinosWrappers::MPI::Vector &x) const;

  private:
    using global_index = dealii::types::global_dof_index;
    using Line         = dealii::AffineConstraints<double>::ConstraintLine;

    /// Fast "is this DoF constrained, and by what" for owned and ghost DoFs.
    struct ConstraintLookup
    {
      ConstraintLookup(const dealii::AffineConstraints<double> &constraints, global_index first,
                       global_index n_owned);
      const Line *operator()(global_index i) const;

      global_index                                 first, n_owned;
      std::vector<const Line *>                    owned_lines;
      std::vector<std::pair<global_index, const Line *>> other_lines; ///< sorted by index
    };

    /// The cell's DoFs expanded through the constraints: entry k of local DoF i is
    /// (global unconstrained DoF, weight) for entries [begin[i], begin[i+1]).
    struct Expansion
    {
      std::vector<std::pair<global_index, double>> entries;
      std::array<unsigned int, 9>                  begin;
      std::array<double, 8>                        inhomogeneity;
      std::array<const Line *, 8>                  line;
      std::vector<global_index> unique; ///< sorted distinct entries (if asked, and constrained)
      bool                                         constrained = false;
    };
    static void expand(const std::array<global_index, 8> &cell_dofs, const ConstraintLookup &lookup,
                       Expansion &e, bool with_unique);

    unsigned int owner(global_index i) const;
    int          local_column(global_index i) const;

    MPI_Comm                  comm = MPI_COMM_NULL;
    global_index              first_owned = 0, n_owned = 0;
    std::vector<global_index> first_owned_of_rank; ///< per rank, ascending
    std::vector<global_index> ghost_columns;       ///< sorted; local column n_owned + k
    std::unique_ptr<Epetra_CrsMatrix> epetra_matrix;
    /// Per locally owned cell (in iteration order): local rows of its DoFs and the order
    /// that sorts them; row[0] = -1 marks a cell with a constrained or non-owned DoF.
    struct LocalCell
    {
      std::array<int, 8>           row;
      std::array<unsigned char, 8> order;
    };
    std::vector<LocalCell> local_cells;
  };
} // namespace radiotwin
