// RadioTwin: blood flow in an explicit vessel network and its two-way coupling with the
// interstitial Darcy problem (docs/physics.md sections 1-2).
//
// Network: Poiseuille flow in every segment, conductance G = pi r^4 / (8 mu(r) L), with a
// constant viscosity or the Fahraeus-Lindqvist apparent viscosity (Pries et al. 1992). Wall
// leakage is distributed along each segment with the linear (hat) functions of its two nodes,
// at the same centreline points where the tissue receives it, so that
//     inflow - outflow = wall leakage = integral of the tissue line source
// holds to round-off. Unknowns: node pressures; boundary nodes carry a pressure or an inflow.
//
// Coupling: block Gauss-Seidel between the network (tissue pressure at the points given) and
// the tissue (vessel pressure at the points given), both implicit in their own leakage term.
// It contracts by about (leakage conductance / vessel or tissue conductance)^2 per sweep.
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/mapping.h>
#include <deal.II/grid/tria.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/sparse_direct.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/sparsity_pattern.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "physics/base/parameter_file.h"
#include "meshes/geometry.h"
#include "meshes/vessel_generator.h"
#include "meshes/vessel_network.h"
#include "physics/tissue_properties.h"
#include "solvers/line_sources.h"

namespace radiotwin
{
  class DarcySolver;
  class OxygenSolver;

  namespace physics
  {
    /// Apparent viscosity of blood relative to plasma in a tube of this diameter [m] at
    /// discharge haematocrit 0.45 (Pries et al. 1992, in vitro Fahraeus-Lindqvist fit):
    /// 220 exp(-1.3 D) + 3.2 - 2.44 exp(-0.06 D^0.645), D in um.
    double fahraeus_lindqvist_relative_viscosity(double diameter_m);
  } // namespace physics

  /// Leakage sample of the network side: the point's segment, its position t in [0, 1] from
  /// node a to node b, its fluid coefficient Lp 2 pi r w [m^3/(Pa s)] and the pressure outside
  /// the wall p + sigma_T (pi_v - pi_i) [Pa] (so that leakage = coefficient (p_v - outside)).
  struct NetworkLeakagePoint
  {
    unsigned int segment     = 0;
    double       t           = 0;
    double       coefficient = 0;
    double       outside_pressure = 0;
  };

  /// Poiseuille network flow with distributed wall leakage; the same on every rank.
  class NetworkFlowSolver
  {
  public:
    /// Factorises the network operator (conductances and leakage coefficients are fixed).
    void initialize(const VesselNetwork &network, const std::vector<double> &conductance,
                    const std::vector<NetworkLeakagePoint> &points);
    /// Node pressures [Pa] for the given outside pressures (one per leakage point).
    void solve(const std::vector<double> &outside_pressure);

    const std::vector<double> &node_pressure() const { return pressure; }
    /// Mean flow from node a to node b along each segment [m^3/s].
    std::vector<double> segment_flow() const;
    /// Wall leakage of each segment [m^3/s].
    std::vector<double> segment_leakage() const;
    /// Blood pressure at each leakage point [Pa] (linear along its segment).
    double point_pressure(const unsigned int k) const;
    /// Net flow into the network through each boundary node [m^3/s] (0 elsewhere), from the
    /// residual of the node balance: exact for the discrete problem.
    std::vector<double> boundary_inflow() const;

  private:
    const VesselNetwork *                    network = nullptr;
    std::vector<double>                      conductance;
    std::vector<NetworkLeakagePoint>         points;
    std::vector<double>                      outside;
    std::vector<double>                      pressure;
    dealii::SparsityPattern                  pattern;
    dealii::SparseMatrix<double>             matrix;   ///< unconstrained operator
    dealii::SparseMatrix<double>             reduced;  ///< with pressure rows eliminated
    dealii::SparseDirectUMFPACK              direct;
  };

  /// Fluid balance of the coupled network-tissue solution.
  struct NetworkFlowDiagnostics
  {
    double inflow  = 0;           ///< sum of positive boundary inflows [m^3/s]
    double outflow = 0;           ///< sum of boundary outflows [m^3/s] (positive)
    double network_leakage = 0;   ///< sum of segment leakages [m^3/s]
    double tissue_source   = 0;   ///< integral of the line sources in the tissue [m^3/s]
    unsigned int iterations = 0;  ///< coupling sweeps
    double       final_change = 0; ///< relative change of tissue pressure at the points
    double       min_pressure = 0, max_pressure = 0; ///< blood pressure range [Pa]
    /// |inflow - outflow - leakage| / inflow and |leakage - tissue source| / |leakage|.
    double network_defect() const;
    double exchange_defect() const;
  };

  class VesselCoupling
  {
  public:
    enum class Representation
    {
      uniform,      ///< region-wise S/V (no network)
      line_sources, ///< explicit segments as line sources along their centrelines
      homogenised   ///< S/V(x) computed from the network, region p_v
    };

    static void declare_parameters(dealii::ParameterHandler &prm);
    void parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    VesselCoupling();
    /// Time the phases in this TimerOutput (else in a private one that never prints).
    void attach_timer(dealii::TimerOutput &t) { timer = &t; }

    Representation representation() const { return mode; }
    bool           uses_network() const { return mode != Representation::uniform; }

    /// Read or generate the network on every rank; `geometry` places the generated one.
    void create_network(const Geometry &geometry);
    /// Replace the network (tests).
    void set_network(VesselNetwork network);
    const VesselNetwork &network() const { return vessels; }

    /// Sample the segments, locate the points in the locally owned cells of `dofs`, and set
    /// the tissue's S/V (homogenised: the network's field plus the background; line sources:
    /// the background only). Throws InputError when a segment leaves the domain.
    void setup(const dealii::DoFHandler<3> &dofs, const dealii::Mapping<3> &mapping,
               TissueProperties &tissue);

    /// Line sources: the coupled network-tissue flow, iterated to the tolerance (calls
    /// darcy.solve() once per sweep). Otherwise: darcy.solve() and, for the homogenised
    /// representation, a network solve with the tissue pressure of the result for output.
    void solve(DarcySolver &darcy);

    const LineSources &line_sources() const { return sources; }
    const NetworkFlowDiagnostics &diagnostics() const { return balance; }

    /// Tissue values at all sample points, replicated on every rank (collective).
    std::vector<double> sample(const dealii::DoFHandler<3> &dofs,
                               const dealii::LinearAlgebra::distributed::Vector<double> &field) const;

    /// Write the network with pressure, flow, leakage (and the given extra segment fields)
    /// to DIR/NAME.vtp on rank 0.
    void write_vtp(const std::string &file, const std::vector<NetworkField> &extra = {}) const;
    /// Ligand flux through the wall of each segment [nmol/s] (line sources; replicated):
    /// sum over its points of in c_p - out c_i(x_k), with (in, out) per point of
    /// line_sources() [m^3/s] (the transport solver's) and c_i the free ligand per
    /// interstitial fluid [nmol L^-1] given as fields on `dofs` (summed over the vectors).
    std::vector<double>
    segment_ligand_flux(const dealii::DoFHandler<3> &dofs,
                        const std::vector<const dealii::LinearAlgebra::distributed::Vector<double> *> &free_nM,
                        double plasma_nM,
                        const std::vector<std::array<double, 2>> &coefficients) const;
    /// Per-segment sum of per-point values (replicated vectors indexed like sample()).
    std::vector<double> per_segment(const std::vector<double> &per_point) const;
    /// Values given per point of this rank (indexed like line_sources().points()) as the
    /// replicated vector of all points (collective).
    std::vector<double> replicate(const std::vector<double> &per_owned_point) const;

    /// Line sources: tissue oxygen supplied by the segments (docs/physics.md section 6).
    /// With a constant blood pO2 one oxygen solve; when the blood pO2 falls along the flow,
    /// block Gauss-Seidel between the tissue (blood pO2 at the points given) and the
    /// blood's oxygen balance along each segment (tissue pO2 given), to the coupling
    /// tolerance. Then blood_po2() holds the blood pO2 at every point [mmHg].
    void solve_oxygen(OxygenSolver &oxygen, double inlet_po2_mmHg, bool falls_along_flow,
                      double blood_capacity_per_mmHg);
    const std::vector<double> &blood_po2() const { return point_blood_po2; }
    unsigned int               oxygen_iterations() const { return o2_iterations; }

    /// Vessel density per region as summary lines (length density, S/V) [SI].
    VesselDensityReport density_report() const { return density; }
    unsigned int        n_sample_points() const { return all_points.size(); }

  private:
    struct SamplePoint
    {
      dealii::Point<3> x;
      unsigned int     segment;
      double           t;          ///< position from node a (0) to node b (1)
      double           surface_m2; ///< wall area 2 pi r w the point stands for (w: its length)
    };
    void create_samples();
    bool csv_network() const
    {
      return network_file.size() > 4 && network_file.compare(network_file.size() - 4, 4, ".csv") == 0;
    }
    dealii::TimerOutput &timing();
    void update_exchange_coefficients(const TissueProperties &tissue);

    Representation mode = Representation::uniform;
    std::string    source_kind = "generator";
    std::string    network_file, segments_file;
    bool           fahraeus_lindqvist = true;
    double         blood_viscosity_Pa_s  = 3.5e-3;
    double         plasma_viscosity_Pa_s = 1.2e-3;
    double         sample_spacing_m      = 25e-6;
    double         homogenisation_radius_m = 250e-6;
    double         background_sv_scaling = 0;
    double         coupling_tolerance    = 1e-10;
    unsigned int   max_coupling_iterations = 50;
    VesselGeneratorParameters generator;

    std::unique_ptr<dealii::TimerOutput> own_timer;
    dealii::TimerOutput *                timer;
    MPI_Comm             comm = MPI_COMM_WORLD;
    VesselNetwork        vessels;
    VesselDensityReport  density;
    std::vector<SamplePoint> all_points;  ///< replicated
    LineSources              sources;      ///< this rank's points
    std::vector<dealii::Triangulation<3>::active_cell_iterator> owned_cells; ///< per owned point
    NetworkFlowSolver        flow;
    std::vector<double>      outside_pressure; ///< replicated, per point [Pa]
    std::vector<double>      oncotic_term;     ///< sigma_T (pi_v - pi_i) per point [Pa]
    std::vector<double>      fluid_coefficient; ///< replicated Lp 2 pi r w per point
    NetworkFlowDiagnostics   balance;
    std::vector<double>      point_blood_po2; ///< replicated, per point [mmHg]
    unsigned int             o2_iterations = 0;
    /// Blood pO2 at every point (replicated) for blood entering at the inlets with
    /// `inlet_mmHg`, losing g_k (P_b - P_t,k) at each point to the tissue (g: replicated
    /// oxygen wall conductance [m^3 O2/(s mmHg)], C: blood capacity [1/mmHg]).
    std::vector<double> march_blood_po2(const std::vector<double> &tissue_po2,
                                        const std::vector<double> &g, double inlet_mmHg,
                                        double capacity_per_mmHg) const;
  };
} // namespace radiotwin
