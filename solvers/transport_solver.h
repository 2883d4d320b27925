// RadioTwin: radioligand transport in tissue (docs/physics.md section 3): free ligand
// (hot, cold) carried by the Darcy velocity, diffusing, exchanged with plasma across the
// vessel walls (Kedem-Katchalsky / Patlak) and drained by lymphatics; bound and internalised
// ligand at every node. Design: docs/transport-design.md.
//
// Time stepping: Strang operator splitting (half reaction, transport, half reaction) of
//   reaction with transvascular exchange (physics::advance_ligand_kinetics, L-stable SDIRK2,
//   per node: exchange and binding are both fast and stay together) and
//   transport (theta scheme, lumped porosity-weighted mass, conservative weak form, SUPG).
// With lumped masses both sub-steps conserve the nodal content
// sum_i (M_phi,ii c_i + M_ii (b_i + m_i)) exactly, so the balance closes to the solver
// tolerance at every step.
#pragma once

#include <deal.II/base/function_parser.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <array>
#include <string>
#include <vector>
#include <memory>

#include "physics/base/parameter_file.h"
#include "physics/plasma_input.h"
#include "physics/ligand_kinetics.h"
#include "physics/radionuclide.h"
#include "meshes/voxel_mesh.h"
#include "physics/tissue_properties.h"
#include "solvers/darcy_solver.h"

namespace radiotwin
{
  class TransportSolver
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    TransportSolver(const DarcySolver &darcy, const TissueProperties &tissue,
                    dealii::TimerOutput &timer);

    /// DoFs, lumped masses, nodal parameters and the exchange weights (after the Darcy solve).
    void setup();

    /// Verification hooks: a source f(x, t) [nmol/(L s), per tissue volume] added to both
    /// free-ligand equations, and an initial free concentration c0(x) [nmol L^-1] for both.
    void set_extra_source(std::shared_ptr<dealii::Function<3>> source);
    void set_initial_free(const dealii::Function<3> &c0);
    /// Smallest and largest value of each of the six fields (collective).
    std::vector<std::pair<double, double>> field_ranges() const;

    /// Amounts crossing the boundaries of the tissue during one step [nmol], per species.
    struct StepBalance
    {
      std::array<double, 2> transvascular_net{};  ///< plasma -> tissue (net)
      std::array<double, 2> lymphatic{};          ///< tissue -> lymph
      std::array<double, 2> boundary_outflow{};   ///< through the outer boundary
      std::array<double, 2> released{};           ///< internalised ligand released
      std::array<double, 2> content_before{}, content_after{}; ///< in tissue
      double                decayed_hot = 0;      ///< hot -> cold in tissue
      /// |change - (in - out)| / content scale, for hot + cold together.
      double defect() const;
    };

    /// Advance from t to t + dt [s] with plasma concentrations from @p plasma (taken at
    /// t + theta dt).
    StepBalance step(double t_s, double dt_s, const PlasmaInput &plasma);

    /// A step in three calls, for the two-way coupling (coupling/tumour_body_coupling.h),
    /// Lie-split: transport, then reaction with exchange. begin_coupled_step() does the
    /// transport (it does not depend on the plasma) and returns what left the tissue by
    /// lymph and outflow [nmol] per species; try_exchange() does the reaction and exchange
    /// step for plasma held at c_p [nmol L^-1], from the same post-transport state each time
    /// it is called, and returns the uptake [nmol] and its derivative in c_p [nmol per
    /// nmol/L] (for the coupling's Newton iteration); finish_coupled_step() keeps the last
    /// try, moved to plasma c_p + @p plasma_change_nM along its sensitivities (linear in the
    /// change, exact in the balance: the uptake and release move by their derivatives times
    /// the change), and returns the step's balance.
    std::array<double, 2> begin_coupled_step(double t_s, double dt_s);
    struct ExchangeTry
    {
      std::array<double, 2>                uptake{};
      std::array<std::array<double, 2>, 2> sensitivity{}; ///< d uptake_s / d c_p,s'
    };
    ExchangeTry try_exchange(const std::array<double, 2> &plasma_nM);
    StepBalance finish_coupled_step(const std::array<double, 2> &plasma_change_nM = {{0, 0}});

    /// Ligand in tissue [nmol] per region index and pool (free, bound, internalised) and
    /// species: content[region][pool][species].
    using RegionContent = std::vector<std::vector<std::array<double, 2>>>;
    RegionContent region_content() const;
    /// The names of the pools of region_content() (free, bound, internalised), and of the
    /// nodal fields with their units (free_hot_nmol_per_L, ...).
    static const std::vector<std::string> &pool_names();
    static const std::vector<std::string> &field_names();

    const dealii::DoFHandler<3> &dof_handler() const { return dofs; }
    /// Nodal fields [nmol L^-1], named by field_names(): 0 free hot, 1 free cold, 2 bound hot,
    /// 3 bound cold, 4 internalised hot, 5 internalised cold (free per fluid, others per
    /// tissue volume).
    const std::vector<VectorType> &fields() const { return y; }
    /// The fields for a checkpoint, and to restore them at a restart (then call
    /// distribute_constraints() on each).
    std::vector<VectorType> &fields_for_restart() { return y; }
    /// Per line-source point of the Darcy solver (vessel networks): the ligand exchange
    /// J = in c_p - out c_i [m^3/s] of the point, as assembled into the nodal coefficients.
    const std::vector<std::array<double, 2>> &line_source_ligand_coefficients() const
    {
      return line_ligand;
    }
    const VectorType &nodal_porosity() const { return porosity; }
    /// Give hanging nodes the values their constraints imply (nodal quantities computed
    /// from the lumped coefficients are meaningless there), and update the ghosts.
    void distribute_constraints(VectorType &v) const
    {
      constraints.distribute(v);
      v.update_ghost_values();
    }
    /// Lumped volume of each node [m^3]: int phi_i, in total and restricted to each region.
    const VectorType &lumped_volume() const { return mass; }
    const std::vector<VectorType> &region_lumped_volumes() const { return region_mass; }
    /// Hypoxia-receptor coupling (before setup()): R0 times f(pO2) with pO2 [mmHg] given on
    /// a Q1 DoFHandler of the same mesh.
    void set_receptor_po2_factor(const dealii::DoFHandler<3> &o2_dofs, const VectorType &po2_mmHg,
                                 std::shared_ptr<const dealii::FunctionParser<1>> factor)
    {
      receptor_o2_dofs = &o2_dofs;
      receptor_po2     = &po2_mmHg;
      receptor_po2_factor = std::move(factor);
    }
    const VectorType &nodal_receptors() const { return receptors; }
    double decay_constant_per_s() const { return kinetics.lambda; }
    unsigned int n_iterations() const { return last_iterations; }

    /// Time schedule (parameters): step size after a step of size dt [s]. With 'Step control
    /// = error estimate', dt times 0.9 (tolerance / estimate)^(1/2), within [0.2, growth
    /// factor] and the maximum step, where the estimate is the local error of the last step
    /// (first order: dt^2/2 times the second time derivative, from the last two steps'
    /// increments), in the lumped-mass L2 norm of the ligand per tissue volume (phi c + b +
    /// m), relative to the largest norm it has had (the larger of hot and cold).
    double next_step(double dt_s) const;
    /// The last step's local error estimate (relative; negative before two steps).
    double last_error_estimate() const { return stepping.error; }
    /// The step control's state, for checkpoints: its scalars and, with 'Step control =
    /// error estimate', its nodal vectors (the last state and increment, on dof_handler()).
    struct StepControl
    {
      bool   by_error = false;
      double tolerance = 1e-3, dt_last_s = 0, error = -1; ///< dt_last_s 0: no step yet
      std::array<double, 2> peak_norm_sq{}; ///< largest |y|^2 so far, hot and cold
      /// With by_error: the ligand per tissue volume (hot, cold) after the last step, and its
      /// increment over it.
      std::vector<VectorType> y_last, d_last;
      template <class Archive>
      void serialize(Archive &ar, const unsigned int)
      {
        ar &dt_last_s &error &peak_norm_sq;
      }
    };
    StepControl &step_control() { return stepping; }
    /// The step [s] whose system the transport preconditioner factors (for checkpoints).
    double &preconditioner_step_s() { return preconditioned_dt; }
    double initial_step_s() const { return dt_initial_s; }
    double end_time_s() const { return end_s; }
    const std::vector<double> &output_times_s() const { return outputs_s; }

  private:
    /// Exchange coefficients at one point [1/s]: J_v (1 - sigma_f), P S/V B(Pe), J_L.
    struct Exchange
    {
      double convective, diffusive, lymphatic;
    };
    struct RegionData;
    Exchange exchange(const physics::StarlingCoefficients &c, const RegionData &d, double p,
                      const dealii::Point<3> &x) const;
    void assemble_operator();
    void form_system(double dt_s);
    /// Reaction and exchange at every node over dt with plasma held at c_p [nmol L^-1]; adds
    /// what was released and taken up [nmol]. With @p sensitivity, also d uptake/d c_p and
    /// the derivatives of the nodal state and of the release in c_p (for
    /// finish_coupled_step()).
    struct Sensitivity
    {
      std::array<std::vector<VectorType>, 2> state; ///< [c_p species][field], per node
      std::array<std::array<double, 2>, 2>    released{}; ///< d released_s / d c_p,s' [nmol per nmol/L]
    };
    void react(double dt_s, const std::array<double, 2> &plasma_nM, ExchangeTry &uptake,
               std::array<double, 2> &released, Sensitivity *sensitivity = nullptr);
    /// Local indices of the nodes that react (a lumped volume, not a hanging node).
    const std::vector<unsigned int> &reacting_nodes();
    std::vector<unsigned int>        reacting;
    /// The transport sub-step (convection, diffusion, lymphatics, outflow): adds what left
    /// by lymph and through the boundary [nmol].
    void transport(double t_s, double dt_s, std::array<double, 2> &lymph,
                   std::array<double, 2> &outflow);
    /// Ligand in the tissue [nmol] per species: of @p state, or of the current state.
    std::array<double, 2> content(const std::vector<VectorType> &state) const;
    std::array<double, 2> content() const { return content(y); }

    std::vector<std::array<double, 2>> line_ligand;
    const DarcySolver &     darcy;
    const TissueProperties &tissue;
    dealii::TimerOutput &   timer;
    MPI_Comm                comm;

    // Parameters (SI inside)
    struct RegionData
    {
      double receptors_nM, porosity, diffusivity, permeability, reflection, release_per_s;
      double k_on, k_off, lambda_int; ///< [L/(nmol s)], [1/s], [1/s]
    };
    std::array<RegionData, 3> region{};
    physics::LigandKinetics   kinetics; ///< decay [1/s]; the rest is set per node
    Radionuclide              nuclide;
    double theta = 1.0, dt_initial_s = 60, dt_max_s = 3600, growth = 1.2, end_s = 168 * 3600.0;
    double reaction_step_max_s = 60;
    bool   supg = true;
    std::unique_ptr<dealii::FunctionParser<3>> receptor_scaling; ///< of x [mm]; null: 1
    std::unique_ptr<VoxelField>                receptor_map;     ///< of x [mm]; null: 1
    std::shared_ptr<dealii::Function<3>>        extra_source;
    const dealii::DoFHandler<3> *                    receptor_o2_dofs = nullptr;
    const VectorType *                               receptor_po2     = nullptr;
    std::shared_ptr<const dealii::FunctionParser<1>> receptor_po2_factor;
    std::vector<double> outputs_s;
    StepControl         stepping;
    /// The step control's bookkeeping at the start and at the end of a step of dt [s].
    void control_before_step();
    void control_after_step(double dt_s);
    /// phi c + b + m of a species at a local node [nmol per L of tissue].
    double activity_concentration(unsigned int species, unsigned int local_node) const;

    dealii::FE_Q<3>                    fe;
    dealii::DoFHandler<3>              dofs;
    dealii::IndexSet                   owned, relevant;
    dealii::AffineConstraints<double>  constraints; ///< hanging nodes
    dealii::TrilinosWrappers::SparseMatrix stiffness, system, explicit_part; ///< K; M/dt + theta K; M/dt - (1-theta) K
    std::unique_ptr<dealii::TrilinosWrappers::PreconditionILU> preconditioner;
    double                             assembled_dt = -1, preconditioned_dt = -1; ///< [s]
    std::vector<double>                stiffness_diagonal; ///< K_ii of the owned rows
    /// State between begin_coupled_step() and finish_coupled_step().
    struct PendingStep
    {
      bool                      active = false;
      double                    dt_s   = 0;
      std::vector<VectorType>   after_transport;
      StepBalance               balance;
      ExchangeTry               last_try;
      std::array<double, 2>     last_released{};
    } pending;
    Sensitivity last_sensitivity; ///< of the last try (kept allocated between steps)
    /// Solve (M_phi/dt + theta K) x = rhs to the balance tolerance; x holds the start value.
    void solve_transport(const dealii::TrilinosWrappers::MPI::Vector &rhs, VectorType &x);

    /// The six nodal fields: free, bound, internalised; hot and cold (fields()).
    std::vector<VectorType> y = std::vector<VectorType>(6);
    VectorType mass, mass_phi, porosity, receptors, release_rate; ///< lumped, nodal
    VectorType k_on_rate, k_off_rate, internalisation_rate;        ///< nodal averages
    VectorType exchange_in, exchange_out; ///< q_in, q_out per node [1/s] (ligand_kinetics.h)
    /// Lumped masses restricted to each region's cells: region content is then a dot product,
    /// not a cell loop, in every time step.
    std::vector<VectorType> region_mass     = std::vector<VectorType>(all_regions.size()),
                            region_mass_phi = std::vector<VectorType>(all_regions.size());
    VectorType source_weight;   ///< int (J_v (1 - sigma) + PS_eff) phi_i  [m^3/s]
    VectorType uptake_weight;   ///< int PS_eff phi_i (back-diffusion to plasma) [m^3/s]
    VectorType lymph_weight;    ///< int J_L phi_i [m^3/s]
    VectorType outflow_weight;  ///< int_{outflow} u.n phi_i [m^3/s]
    unsigned int last_iterations = 0;
  };
} // namespace radiotwin
