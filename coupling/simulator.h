// RadioTwin: the Simulator owns the parts of a run (mesh, tissue, solvers, outputs) and
// orchestrates them; the physics lives in the parts. All parameters are parsed and checked
// in the constructor, before anything is written.
#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <memory>
#include <optional>
#include <string>

#include "coupling/checkpoint.h"
#include "coupling/parameter_file.h"
#include "meshes/geometry.h"
#include "physics/tissue_properties.h"
#include "postprocessing/json.h"
#include "coupling/plasma_input.h"
#include "coupling/tumour_body_coupling.h"
#include "solvers/darcy_solver.h"
#include "solvers/dose_calculator.h"
#include "solvers/network_flow.h"
#include "solvers/oxygen_solver.h"
#include "solvers/transport_solver.h"

namespace radiotwin
{
  class Simulator
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);

    Simulator(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);

    /// Continue the run whose output folder is @p output_directory from its newest valid
    /// checkpoint (call before run(); the results go on in that folder).
    void resume_from(const std::string &output_directory);

    enum class Outcome
    {
      complete,
      checkpointed_and_stopped ///< SIGTERM/SIGUSR1: a checkpoint was written, resume it
    };
    /// Build the mesh, solve, write every output; summary.json is written last, so a folder
    /// without it is an incomplete run.
    Outcome run();

    const std::string &     output_directory() const { return directory; }
    const Geometry &        geometry() const { return geometry_; }
    const DarcySolver &     darcy() const { return *darcy_; }
    const DarcyDiagnostics &darcy_diagnostics() const { return diagnostics; }
    const VesselCoupling &  vessels() const { return vessels_; }
    const Json &            summary() const { return summary_; }
    const TransportSolver * transport() const { return transport_.get(); }
    const OxygenSolver &    oxygen() const { return *oxygen_; }
    const DoseCalculator *  dose() const { return dose_.get(); }
    /// Largest per-step relative balance defect of the transport run (0 without transport).
    double transport_balance_defect() const { return worst_transport_defect; }
    /// The tumour-body coupling (enabled() tells whether this run used it).
    const TumourBodyCoupling &tumour_body_coupling() const { return coupling; }

  private:
    void prepare_output_directory() const;
    void write_profile_and_verification(Json &darcy_summary, Json &verification);
    /// Vessel network summary (and its .vtp) after the flow solve.
    Json vessel_network_summary();
    /// Tissue oxygen (with the network's blood pO2 where there is one) and its summary.
    Json run_oxygen();
    /// The transport time loop: fields at the output times, region totals, balances, and
    /// the dose fields accumulated with it. Empty when a signal stopped the run after a
    /// checkpoint.
    std::optional<Json> run_transport();
    /// Dose statistics, DVH files (and their plot) after the time loop.
    Json dosimetry_summary(const std::array<double, 3> &tia_MBq_h);

    MPI_Comm                  comm;
    dealii::ConditionalOStream pcout;
    std::unique_ptr<dealii::TimerOutput> timer; ///< created after validation (see constructor)
    const ParameterFile &     file;
    std::string               parameters_text; ///< all values, for reproducibility

    Geometry         geometry_;
    TissueProperties tissue;

    std::string      directory;
    bool             write_vtu = true;
    unsigned int     profile_points = 201;
    dealii::Tensor<1, 3> profile_direction;
    double           profile_length_m = 0;
    bool             verify_baxter_jain = false;

    dealii::parallel::distributed::Triangulation<3> triangulation;
    std::unique_ptr<DarcySolver>                    darcy_;
    VesselCoupling                                  vessels_;
    bool                                            transport_enabled = false;
    std::unique_ptr<TransportSolver>                transport_;
    std::unique_ptr<OxygenSolver>                   oxygen_;
    std::unique_ptr<DoseCalculator>                 dose_;
    bool                                            plot_dvh = true;
    std::unique_ptr<PlasmaInput>                    plasma;   ///< uncoupled runs
    TumourBodyCoupling                              coupling; ///< coupled runs
    Checkpointer                                    checkpointer;
    bool                                            resuming = false; ///< --resume directory
    std::optional<Checkpointer::Found>              resume_point;
    DarcyDiagnostics                                diagnostics;
    Json                                            summary_;
    double                                          worst_transport_defect = 0;
  };
} // namespace radiotwin
