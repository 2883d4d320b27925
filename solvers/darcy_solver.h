// RadioTwin: steady interstitial fluid flow, docs/physics.md section 2.
//
//   -div(K grad p) = J_v - J_L (+ f),  J_v = Lp S/V (p_e - p),  J_L = LpL SL/V (p - p_L),
//
// with continuous Q_k elements on the distributed mesh, Dirichlet (p = p_out) or no-flux outer
// boundary, and CG + algebraic multigrid from PETSc (BoomerAMG) or Trilinos (ML). Q1 with
// Trilinos is assembled straight into Epetra (solvers/q1_direct_assembly.h). Everything
// downstream reads the pressure and the recovered velocity u = -K grad p through the
// accessors, as deal.II distributed vectors (backend independent), in SI units.
#pragma once

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/mapping_q_cache.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <array>
#include <memory>

#include "physics/base/parameter_file.h"
#include "physics/tissue_properties.h"
#include "solvers/line_sources.h"

namespace dealii::TrilinosWrappers::MPI
{
  class Vector;
}

namespace radiotwin
{
  class DirectQ1Assembler;
  using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

  /// Integral fluid balance and per-region pressure statistics of a Darcy solution (SI).
  struct DarcyDiagnostics
  {
    double vessel_leakage         = 0; ///< integral of J_v over the domain [m^3/s]
    double line_source_leakage    = 0; ///< the part of it from network line sources [m^3/s]
    double lymphatic_drainage     = 0; ///< integral of J_L [m^3/s]
    double extra_source           = 0; ///< integral of the manufactured source f [m^3/s]
    double outflow_consistent     = 0; ///< outer-boundary outflow from the discrete residual [m^3/s]
    double outflow_gradient       = 0; ///< outer-boundary integral of -K grad p . n [m^3/s]
    double rim_velocity_max       = 0; ///< max |u| on the tumour surface, tumour side [m/s]
    double rim_velocity_mean      = 0; ///< mean outward u . n on the tumour surface [m/s]
    double rim_area               = 0; ///< area of the tumour surface [m^2]
    /// Per region index: volume [m^3], mean, largest and smallest pressure [Pa].
    std::vector<double> volume        = std::vector<double>(all_regions.size());
    std::vector<double> mean_pressure = std::vector<double>(all_regions.size());
    std::vector<double> max_pressure  = std::vector<double>(all_regions.size());
    std::vector<double> min_pressure  = std::vector<double>(all_regions.size());

    /// |inflow - outflow| / max(|terms|): the discrete conservation defect.
    double balance_defect() const;
  };

  class DarcySolver
  {
  public:
    enum class Backend
    {
      petsc,
      trilinos
    };

    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    DarcySolver(const dealii::parallel::distributed::Triangulation<3> &triangulation,
                const TissueProperties &tissue, dealii::TimerOutput &timer);

    /// Replace the outer-boundary pressure [Pa] by a function of x [m] (verification).
    void set_boundary_pressure(std::shared_ptr<const dealii::Function<3>> p_boundary);
    /// Add a volumetric fluid source f(x) [1/s] to the right-hand side (verification).
    void set_extra_source(std::shared_ptr<const dealii::Function<3>> source);
    /// Vessel segments as line sources (explicit network); nullptr: none. Read at every
    /// solve(), so the vessel pressures may change between solves.
    void set_line_sources(const LineSources *sources) { line_sources = sources; }
    const LineSources *get_line_sources() const { return line_sources; }

    /// Distribute DoFs, build constraints and sparsity; checks the S/V field.
    void setup();
    /// Assemble, solve, and recover the velocity field.
    void solve();
    /// The pressure alone. With `reuse_matrix`, only the right-hand side is assembled and the
    /// matrix and AMG of the previous call are kept: for the network-tissue sweeps, where only
    /// the vessel pressures of the line sources change.
    void solve_pressure(bool reuse_matrix = false);
    /// u = -K grad p from the current pressure (solve() does it).
    void recover_velocity();
    /// Fluid balance and region statistics of the current solution (collective).
    DarcyDiagnostics diagnostics() const;

    /// L2 and H1-seminorm errors against an exact pressure [Pa] (collective).
    std::pair<double, double> errors(const dealii::Function<3> &exact_pressure) const;

    const dealii::DoFHandler<3> &dof_handler() const { return dofs; }
    const dealii::Mapping<3> &   mapping() const { return *mapping_q; }
    /// Interstitial fluid pressure [Pa], with ghost values.
    const VectorType &pressure() const { return pressure_Pa; }
    /// Darcy velocity u = -K grad p [m/s] in a discontinuous vector space (3 components).
    const dealii::DoFHandler<3> &velocity_dof_handler() const { return velocity_dofs; }
    const VectorType &           velocity() const { return velocity_m_per_s; }

    unsigned int n_iterations() const { return last_iterations; }
    dealii::types::global_dof_index n_dofs() const { return dofs.n_dofs(); }
    Backend backend() const { return linear_algebra; }
    unsigned int degree() const { return fe_degree; }
    /// The outer boundary's pressure [Pa] with a Dirichlet condition (false: another kind).
    bool   outer_boundary_is_dirichlet() const { return dirichlet_outer && !boundary_pressure; }
    double outer_boundary_pressure() const { return outer_pressure_Pa; }

    /// Base of the backend's matrix and AMG kept between solves (darcy_solver.cc).
    struct LinearSystem
    {
      virtual ~LinearSystem() = default;
    };

  private:
    /// Stops with an InputError when the pressure system would not fit in the memory of the
    /// ranks (estimated before the DoFs are distributed).
    void require_memory_for_linear_system() const;

    template <class LA>
    void solve_with(bool reuse_matrix);
    /// Q1 with Trilinos: cell systems from Q1HexValues, straight into Epetra's arrays.
    void assemble_direct_q1(DirectQ1Assembler &direct, bool matrix_too,
                            dealii::TrilinosWrappers::MPI::Vector &rhs) const;
    /// Any degree and backend: FEValues, AffineConstraints::distribute_local_to_global
    /// (A == nullptr: the right-hand side alone).
    template <class Matrix, class Vector>
    void assemble_generic(Matrix *A, Vector &rhs) const;

    /// Right-hand side and reaction coefficient at one point: the weak form's data.
    struct PointData
    {
      double reaction; ///< Lp S/V + LpL SL/V [1/(Pa s)]
      double source;   ///< Lp S/V p_e + LpL SL/V p_L + f [1/s]
    };
    PointData point_data(const physics::StarlingCoefficients &c,
                         const dealii::Point<3> &x) const;

    // Parameters
    unsigned int fe_degree        = 1;
    bool         dirichlet_outer  = true;
    double       outer_pressure_Pa = 0;
    Backend      linear_algebra   = Backend::trilinos;
    double       relative_tolerance = 1e-10;
    unsigned int max_iterations    = 1000;
    double       amg_strong_threshold = 0.6;
    unsigned int amg_aggressive_levels = 1;
    bool         direct_q1_assembly    = true;

    const dealii::parallel::distributed::Triangulation<3> &tria;
    const TissueProperties &                                tissue;
    dealii::TimerOutput &                                   timer;
    MPI_Comm                                                comm;

    std::unique_ptr<dealii::FE_Q<3>>      fe;
    std::unique_ptr<dealii::Mapping<3>>   mapping_q; ///< MappingQ1, or a MappingQCache for k >= 2
    dealii::DoFHandler<3>                 dofs;
    dealii::IndexSet                      owned, relevant;
    dealii::AffineConstraints<double>     constraints;         ///< hanging nodes + Dirichlet
    dealii::AffineConstraints<double>     hanging_constraints; ///< hanging nodes only

    std::unique_ptr<dealii::FESystem<3>>  velocity_fe;
    dealii::DoFHandler<3>                 velocity_dofs;

    VectorType pressure_Pa;
    VectorType velocity_m_per_s;

    std::shared_ptr<const dealii::Function<3>> boundary_pressure;
    std::shared_ptr<const dealii::Function<3>> extra_source;
    const LineSources *                        line_sources = nullptr;

    unsigned int last_iterations = 0;

    std::unique_ptr<LinearSystem> system; ///< matrix and AMG of the last solve
  };
} // namespace radiotwin
