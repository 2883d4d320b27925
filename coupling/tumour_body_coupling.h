// RadioTwin: two-way coupling of the meshed tumour (TransportSolver) and the whole-body PBRPK
// model (WholeBodyModel) at every time step: docs/physics.md section 5, the "tumour sink".
//
// Scheme (docs/coupling-design.md): one step [t, t + dt] is Lie-split,
//   1. the PDE's transport (convection, diffusion, lymphatics, outflow); it does not depend
//      on the plasma. What it drains returns to the venous blood during the step;
//   2. the PDE's reaction with the transvascular exchange (local, per node), for plasma held
//      at c_p over the step, coupled with the whole body over [t, t + dt] by Newton's method
//      on c_p: the PDE gives its uptake U(c_p) and dU/dc_p (forward sensitivities of the
//      local SDIRK2 steps); the body (CVODE), whose lesion plasma loses
//      s (U(c_p) + dU/dc_p (c_vas(t) - c_p)) / dt with s = represented / meshed tumour
//      volume, gives the step mean of c_vas; repeat until the mean is c_p ('Coupling/
//      Plasma tolerance', relative; the first guess extrapolates the plasma exponentially, so
//      most steps need one iteration). The uptake law in the body is implicit, so the
//      stiff exchange (a lesion's plasma turns over in seconds) is stable for any dt;
//   3. the PDE's last try is moved from c_p to the body's mean along its sensitivities
//      (an error of the order of the tolerance squared), so it takes up exactly what the
//      body lost; the body gets the PDE's released ligand: the coupled system conserves
//      to round-off. The only lag is the marrow cross-dose from the PDE lesion, held at its
//      start-of-step value.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <boost/serialization/array.hpp>
#include <boost/serialization/vector.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "coupling/compartment_network.h"
#include "physics/base/parameter_file.h"
#include "coupling/whole_body_model.h"
#include "physics/radiobiology.h"
#include "physics/base/json.h"
#include "solvers/transport_solver.h"

namespace radiotwin
{
  class TumourBodyCoupling
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads "Coupling" and, when coupling is on, the "Whole body" section.
    void parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);
    bool enabled() const { return is_enabled; }

    /// Build the coupled network once the meshed tumour volume (tumour + necrotic core,
    /// [L]) is known; checks that PDE and network decay alike.
    void initialise(double meshed_tumour_volume_L, double pde_decay_per_s);

    /// Times [s] the steps must land on: injection starts and infusion ends.
    std::vector<double> event_times_s() const;

    /// Give the boluses due by time t [s] not given yet (call before record() and step()).
    void apply_boluses(double t_s);

    /// One coupled step from t to t + dt [s]; returns the PDE's balance for the step.
    TransportSolver::StepBalance step(TransportSolver &pde, double t_s, double dt_s);

    /// Ligand in the PDE at time t [s], per region and pool (TransportSolver::region_content):
    /// records a row of every output (call after initialise() and after each step).
    void record(double t_s, const TransportSolver::RegionContent &content);

    /// Free hot and cold ligand in the lesion's plasma now [nmol L^-1].
    std::array<double, 2> lesion_plasma_nM() const;
    /// Mean c_p over the last step [nmol L^-1].
    const std::array<double, 2> &last_mean_plasma_nM() const { return mean_plasma; }
    double scale() const { return s; }
    const std::string &lesion() const { return lesion_name; }
    double represented_volume_L() const { return represented_L; }
    const WholeBodyModel &model() const { return body; }
    /// The network's states and the PDE's scaled ligand at each record.
    const WholeBodyModel::Result &  records() const { return result; }
    /// Hot ligand of a tissue at record k, with the PDE's share for the coupled lesion [nmol].
    double tissue_hot_nmol(const std::string &key, std::size_t k) const;
    /// The coupled lesion's time-integrated activity [MBq h] and mean absorbed dose [Gy].
    const physics::DoseAccumulator &lesion_dose() const { return lesion_dose_Gy; }
    /// Mean number of Newton iterations per coupled step.
    double mean_iterations() const { return steps ? double(newton_iterations) / steps : 0.0; }

    /// Write time_activity.csv and receptor_occupancy.csv (rank 0) and return the
    /// "whole_body" summary: organ and lesion TIA, doses, BED; coupled conservation.
    Json write_outputs(const std::string &directory, bool write_files) const;
    /// Largest relative conservation defect over the records: total ligand, hot + decayed.
    std::array<double, 2> conservation_defects() const;

    /// The state between two steps, for checkpoints (after initialise(); the network
    /// integrator restarts at every step, so its state is y).
    template <class Archive>
    void serialize(Archive &ar, const unsigned int)
    {
      unsigned long cvode_steps = cvode_steps_before + integrator->n_steps(),
                    cvode_rhs   = cvode_rhs_before + integrator->n_rhs_evaluations();
      ar &y &mean_plasma &last_start_plasma &last_dt_s &last_bolus_s &pde_decayed_hot_nmol &lesion_hot_now_nmol &bolus_given
        &whole_body_wall_s &steps &newton_iterations &result &ledger &lesion_dose_Gy &lesion_tia
          &last_record_h &last_hot_nmol &last_dose_rate_Gy_per_h &cvode_steps &cvode_rhs;
      if (Archive::is_loading::value)
        {
          cvode_steps_before = cvode_steps - integrator->n_steps();
          cvode_rhs_before   = cvode_rhs - integrator->n_rhs_evaluations();
        }
    }

  private:
    bool        is_enabled = false;
    std::string lesion_name = "MeshedLesion";
    double      represented_mL = 0, perfusion_per_min = 0.5;
    double      represented_L = 0, s = 1;
    double      plasma_tolerance = 1e-4; ///< relative, of the Newton on c_p

    WholeBodyModel                     body;
    std::unique_ptr<NetworkIntegrator> integrator;
    std::vector<double>                y; ///< network state at the current time
    std::array<double, 2>              mean_plasma{};
    /// For the first guess of the next step's c_p: the lesion plasma at the last step's start
    /// [nmol L^-1], that step [s], the time of the last bolus [s].
    std::array<double, 2> last_start_plasma{};
    double                last_dt_s = 0, last_bolus_s = -1;
    double                             pde_decayed_hot_nmol = 0; ///< unscaled, cumulative
    double                             lesion_hot_now_nmol = 0;  ///< scaled, for the marrow
    std::vector<bool>                  bolus_given;
    double                             whole_body_wall_s = 0; ///< CVODE time, all steps
    unsigned long                      steps = 0, newton_iterations = 0;
    unsigned long cvode_steps_before = 0, cvode_rhs_before = 0; ///< of the runs before a restart

    WholeBodyModel::Result   result;   ///< network states at the records
    WholeBodyModel::External ledger;   ///< the PDE's ligand at the records
    physics::DoseAccumulator lesion_dose_Gy;
    double lesion_tia = 0, last_record_h = 0, last_hot_nmol = 0, last_dose_rate_Gy_per_h = 0;
  };
} // namespace radiotwin
