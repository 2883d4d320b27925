// RadioTwin: absorbed dose, dose rate and BED fields from the transport solver's activity
// (docs/physics.md sections 6-7), accumulated pointwise (at every transport node) as the
// simulation runs, and their statistics per tissue set (DVH, D50/D90/D98, V(D > X), EUD).
//
// Energy deposition, per node i with activity concentration A_i [Bq/m^3]:
//   local:  Ddot_i = E A_i / rho
//   kernel: Ddot_i = E/rho [A_i + sum_j V_j k(r_ij) (A_j - A_i)],  k(r) = F(r)/(4 pi r^2),
// with F the radial energy-deposition density of a point source (a table, F integrating to 1)
// and the sum over the nodes within the cut-off radius. The difference form is the
// convolution with a kernel of unit integral: it is exact for uniform activity, its 1/r^2
// singularity cancels, and sum_i V_i Ddot_i = E/rho sum_i V_i A_i to round-off (the double
// sum is antisymmetric), so the energy emitted is the energy deposited.
//
// BED with incomplete repair, per node (physics::DoseAccumulator, rate linear in each step);
// hypoxia-adjusted BED with the OER of the node's pO2 (physics::bed_hypoxia_adjusted_Gy).
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "physics/base/parameter_file.h"
#include "meshes/geometry.h"
#include "physics/base/json.h"
#include "solvers/transport_solver.h"

namespace radiotwin
{
  /// Radial dose-point kernel: F(r) [1/m], the fraction of a point source's emitted energy
  /// absorbed per unit radius at distance r (tabulated, linear between entries).
  class DosePointKernel
  {
  public:
    /// Read "r_mm,energy_fraction_per_mm" rows (a header line and '#' comments allowed).
    /// Throws InputError naming the file and line for malformed rows, non-increasing radii,
    /// negative values, and a table whose integral differs from 1 by more than `tolerance`.
    static DosePointKernel read(const std::string &file, double tolerance);
    /// From radii [m] and densities [1/m] (tests).
    DosePointKernel(std::vector<double> r_m, std::vector<double> F_per_m);
    DosePointKernel() = default;

    double density(double r_m) const;         ///< F(r) [1/m]; 0 beyond the table
    double fraction_within(double r_m) const; ///< int_0^r F [-]
    double integral() const { return fraction_within(r.back()); }
    double max_radius() const { return r.back(); }

  private:
    std::vector<double> r, F, cumulative;
  };

  class DoseCalculator
  {
  public:
    using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    DoseCalculator(const TransportSolver &transport, dealii::TimerOutput &timer);

    /// Tissue pO2 [mmHg] on a Q1 DoFHandler of the same mesh (numbered like the transport's),
    /// for the OER and the hypoxic sets; without it the tissue counts as oxygenated.
    void set_oxygen(const dealii::DoFHandler<3> &dofs, const VectorType &po2_mmHg,
                    double hypoxia_threshold_mmHg);
    /// Use this kernel (tests), instead of the parameters' choice.
    void set_kernel(const DosePointKernel &k, double cutoff_m);

    /// After the transport setup: vectors, OER, radiobiology per node, kernel weights. The
    /// dose rate starts from the transport's current fields.
    void setup(const dealii::Mapping<3> &mapping, double activity_MBq_per_nmol);
    /// The transport fields moved on by dt [s]: new dose rate, dose and BED accumulated with
    /// the rate linear over the step.
    void advance(double dt_s);
    /// The same for a given activity concentration per node [Bq/m^3] (tests).
    void advance(double dt_s, const VectorType &activity_Bq_per_m3);
    /// Dose rate [Gy/s] from an activity per node [Bq/m^3], with the chosen deposition.
    void dose_rate(const VectorType &activity_Bq_per_m3, VectorType &rate_Gy_per_s) const;

    /// Output fields (copies with ghosts and hanging-node values, on the transport's DoFs).
    VectorType        dose_Gy() const;
    VectorType        dose_rate_Gy_per_h() const;
    VectorType        bed_Gy() const;
    VectorType        bed_hypoxia_adjusted_Gy() const;
    const VectorType &oer_alpha() const { return oer_a; }

    /// Statistics per set into a Json (one object per set) and the cumulative DVHs of
    /// dose and hypoxia-adjusted BED as CSV text (rank 0; empty elsewhere).
    struct Report
    {
      Json        sets;
      std::string dvh_dose_csv, dvh_bed_csv;
      double      energy_deposited_J = 0; ///< int rho D dV over the domain
    };
    Report report(const Geometry &geometry) const;

    /// Activity per node [Bq/m^3] of the transport's current fields.
    void activity(VectorType &A) const;
    /// The accumulated state (dose rate of the last step, D, Q, I) for checkpoints and
    /// restarts.
    std::vector<VectorType *> state_for_restart() { return {&rate_prev, &D, &Q, &I}; }
    bool uses_kernel() const { return kernel_mode; }
    double electron_energy_J() const { return energy_J; }
    double target_bed() const { return target_bed_Gy; }
    std::size_t n_kernel_weights() const; ///< on all ranks

  private:
    void setup_kernel();
    /// Positions of the transport DoFs of the locally owned cells.
    std::map<dealii::types::global_dof_index, dealii::Point<3>> support_points() const;

    const TransportSolver & transport;
    const dealii::Mapping<3> *mapping = nullptr;
    dealii::TimerOutput &   timer;
    MPI_Comm                comm;

    // Parameters
    double density_kg_per_m3 = 1040;
    double energy_J          = 0; ///< non-penetrating energy per decay
    bool   kernel_mode       = false;
    DosePointKernel kernel;
    double          cutoff_m = 1e-3;
    struct Radiobiology
    {
      double alpha_beta_Gy = 1.5, repair_half_time_h = 1.9, alpha_per_Gy = 0.15;
    };
    std::array<Radiobiology, 3> radiobiology{};
    bool   use_oer = true;
    double oer_m_alpha = 2.5, oer_m_beta = 3.0, oer_K_mmHg = 3.28;
    std::vector<double> thresholds_Gy{5, 10, 20, 40};
    double target_bed_Gy = 20;
    double rim_thickness_m = 0.5e-3;
    unsigned int dvh_rows = 201;

    const dealii::DoFHandler<3> *o2_dofs = nullptr;
    const VectorType *           o2      = nullptr;
    double                       hypoxia_threshold = 10;

    double     activity_per_nM = 0; ///< [Bq/m^3 per nmol/L]
    VectorType rate_prev, D, Q, I;  ///< [Gy/s], [Gy], [Gy], [Gy^2]
    VectorType oer_a, oer_b, mu_per_s, alpha_beta, alpha; ///< per node
    VectorType scratch_activity;

    // Kernel weights: per owned node (in order of the owned index set), its neighbours as
    // local indices into `extended` and their weights V_j k(r_ij).
    std::shared_ptr<const dealii::Utilities::MPI::Partitioner> kernel_partitioner;
    mutable VectorType        extended; ///< activity with the kernel's ghost layer
    std::vector<std::size_t>  row_start;
    std::vector<unsigned int> neighbour;
    std::vector<double>       weight;
  };
} // namespace radiotwin
