// RadioTwin: steady tissue oxygen (docs/physics.md section 6),
//
//   -div(D grad P) + M0/alpha P/(P + K_m) = PS S/V (P_v - P) + line sources,
//
// P = pO2 [mmHg]; vessels supply oxygen through their walls, either as a vessel surface
// density S/V(x) (the region's, scaled like the Darcy problem's, or homogenised from a
// network) or at the network's line-source points with the point's wall area and the blood
// pO2 there. Q1 elements on the Darcy mesh; Newton's method (the consumption is monotone,
// so the Jacobian is SPD) with CG and algebraic multigrid for each linear solve.
#pragma once

#include <deal.II/base/function.h>
#include <deal.II/base/function_parser.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <array>
#include <memory>
#include <vector>

#include "physics/base/parameter_file.h"
#include "physics/oxygen.h"
#include "physics/tissue_properties.h"
#include "solvers/darcy_solver.h"
#include "solvers/line_sources.h"

namespace radiotwin
{
  /// Oxygen balance and hypoxia of the converged solution.
  struct OxygenDiagnostics
  {
    unsigned int newton_iterations = 0, linear_iterations = 0; ///< linear: total CG steps
    double       final_residual = 0; ///< relative Newton residual
    /// Integrals [mmHg m^3/s]: what the vessels supply, what the tissue consumes, what
    /// enters through a Dirichlet boundary (from the discrete residual), and the
    /// manufactured source.
    double supply = 0, consumption = 0, boundary_inflow = 0, extra_source = 0;
    /// Per region index: volume [m^3], mean, smallest and largest pO2 [mmHg].
    std::vector<double> volume = std::vector<double>(all_regions.size()), mean = volume, min = volume,
                        max = volume;
    /// Volume fraction of each region below each hypoxia threshold: [region][threshold].
    std::vector<std::array<double, 2>> hypoxic_fraction =
      std::vector<std::array<double, 2>>(all_regions.size(), std::array<double, 2>{{0, 0}});
    /// |supply + inflow + source - consumption| / max of the terms.
    double balance_defect() const;
  };

  class OxygenSolver
  {
  public:
    using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    OxygenSolver(const DarcySolver &darcy, const TissueProperties &tissue,
                 dealii::TimerOutput &timer);

    bool enabled() const { return enable; }

    /// Verification hooks: a source f(x) [mmHg/s] and Dirichlet values g(x) [mmHg] on the
    /// whole boundary (instead of the parameter's boundary condition).
    void set_extra_source(std::shared_ptr<const dealii::Function<3>> f) { extra_source = std::move(f); }
    void set_boundary_values(std::shared_ptr<const dealii::Function<3>> g) { boundary_values = std::move(g); }
    /// Vessel segments as line sources: this rank's points (their wall area) and the blood
    /// pO2 at each of them [mmHg], indexed like sources->points().
    void set_line_sources(const LineSources *sources, std::vector<double> blood_po2_mmHg);

    /// DoFs and constraints on the Darcy mesh.
    void setup();
    /// Newton's method from the current state (the blood pO2 at the first call).
    void solve();

    /// Tissue pO2 [mmHg] at every line-source point of this rank (last solve).
    std::vector<double> line_source_po2() const;
    /// Wall conductance of each of this rank's line-source points for oxygen, alpha PS 2 pi r w
    /// [m^3 O2 / (s mmHg)] (0 in necrotic tissue), to carry the loss along the vessels.
    std::vector<double> line_source_oxygen_conductance() const;

    const dealii::DoFHandler<3> &dof_handler() const { return dofs; }
    const VectorType &           po2_mmHg() const { return po2; }
    /// Hypoxia indicator per node: 1 where pO2 < the first threshold, else 0.
    VectorType hypoxic_indicator() const;
    OxygenDiagnostics diagnostics() const;
    /// L2 and H1-seminorm errors against an exact solution [mmHg, mmHg/m] (verification).
    std::pair<double, double> errors(const dealii::Function<3> &exact) const;

    double solubility() const { return solubility_mL_per_mL_mmHg; }
    /// Network blood: inlet pO2 [mmHg], whether it falls along the flow, capacity [1/mmHg].
    double blood_inlet_po2() const { return blood_inlet_mmHg; }
    bool   blood_falls_along_flow() const { return blood_falls; }
    double blood_capacity_per_mmHg() const { return blood_capacity; }
    /// The receptor density factor f(pO2) when that coupling is on, else null.
    std::shared_ptr<const dealii::FunctionParser<1>> receptor_factor_of_po2() const { return receptor_factor; }
    const std::array<double, 2> &hypoxia_thresholds_mmHg() const { return thresholds; }
    dealii::types::global_dof_index n_dofs() const { return dofs.n_dofs(); }

  private:
    /// Assemble the Newton system J dP = -F at the current state; returns ||F||.
    double assemble(dealii::TrilinosWrappers::SparseMatrix &J,
                    dealii::TrilinosWrappers::MPI::Vector &  minus_F) const;
    /// Vessel supply coefficient PS S/V at x [1/s] for the region of a cell.
    double supply_coefficient(const physics::StarlingCoefficients &c,
                              const dealii::Point<3> &x) const;

    const DarcySolver &     darcy;
    const TissueProperties &tissue;
    dealii::TimerOutput &   timer;
    MPI_Comm                comm;

    // Parameters (SI inside, pO2 in mmHg)
    bool   enable = false;
    double diffusivity_m2_per_s = 2e-9;
    double solubility_mL_per_mL_mmHg = 2.8e-5;
    double wall_permeability_m_per_s = 3.5e-5;
    bool   dirichlet_outer = false;
    double outer_po2_mmHg  = 40;
    double newton_tolerance = 1e-10;
    unsigned int max_newton = 50;
    double linear_tolerance = 1e-3; ///< relative, per Newton step (inexact Newton)
    std::array<double, 2> thresholds{{10.0, 2.5}};
    std::array<physics::OxygenConsumption, 3> consumption{}; ///< per region index
    /// Blood pO2 [mmHg]: of every vessel of an S/V field, and at the inlets of a network.
    double blood_inlet_mmHg = 40, blood_capacity = 2e-3;
    bool   blood_falls = false;
    std::shared_ptr<const dealii::FunctionParser<1>> receptor_factor;

    std::shared_ptr<const dealii::Function<3>> extra_source, boundary_values;
    const LineSources *  lines = nullptr;
    std::vector<double>  blood_po2; ///< per point of `lines` [mmHg]

    dealii::FE_Q<3>                   fe;
    dealii::DoFHandler<3>             dofs;
    dealii::IndexSet                  owned, relevant;
    dealii::AffineConstraints<double> constraints;      ///< hanging nodes + homogeneous Dirichlet
    dealii::AffineConstraints<double> hanging;          ///< hanging nodes only
    VectorType                        po2;
    bool                              initialised = false;
    double                            reference_residual = 0; ///< ||F|| at the first solve
    OxygenDiagnostics                 solve_info;
  };
} // namespace radiotwin
