// RadioTwin part: radioligand transport in the tissue (docs/physics.md section 3,
// docs/transport-design.md), and the clock of the run ('Transport/Time stepping'): free,
// bound and internalised ligand, hot and cold; per step the balance; per region the content
// (region_totals.csv at the output times) and its time integral (TIA). The plasma comes from
// 'Plasma input', or, when the whole-body coupling is on, from the coupling part, which then
// takes each step. Built when 'Transport/Enabled'.
#pragma once

#include <array>
#include <memory>
#include <sstream>

#include "coupling/app/model_part.h"
#include "physics/plasma_input.h"
#include "solvers/transport_solver.h"

namespace radiotwin
{
  class BodyCouplingPart;
  class DarcyPart;

  class TransportPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    TransportPart(RunContext &context, dealii::ParameterHandler &prm);

    std::string name() const override { return "transport"; }
    bool        is_time_dependent() const override { return true; }
    std::optional<TimeSchedule> time_schedule() const override;
    void        prepare_time_loop() override;
    void        advance(double t_s, double dt_s) override;
    void        write_output(double t_s, unsigned int index) override;
    std::string progress() const override;
    void        finish() override;
    void        add_summary(Json &summary) override;
    unsigned int state_version() const override { return 2; }
    void         save(boost::archive::binary_oarchive &archive) const override;
    void         load(boost::archive::binary_iarchive &archive) override;
    std::vector<VectorType *> checkpoint_vectors() override;

    /// The writer of the time series (transport_NNNN.pvtu).
    std::string write_stream(OutputStream stream, const std::vector<NodalField> &extra, double t_s,
                             unsigned int index) const override;
    const dealii::DoFHandler<3> *checkpoint_dofs() const override { return &transport->dof_handler(); }

    const TransportSolver &solver() const { return *transport; }
    /// Free hot and cold ligand in plasma [nmol L^-1] that the tissue saw in the step ending at t.
    std::array<double, 2> plasma_nM(double t_s) const;
    /// Ligand in the tissue now [nmol]: content[region][pool][species].
    using Content = TransportSolver::RegionContent;
    const Content &content() const { return content_; }
    /// Time-integrated hot activity per region index so far [MBq h].
    const std::vector<double> &tia_MBq_h() const { return tia; }
    double activity_MBq_per_nmol() const { return a_per_nmol; }
    /// Largest per-step relative balance defect so far.
    double worst_balance_defect() const { return worst_defect; }

  private:
    double hot_activity(const Content &c, unsigned int region) const;
    void   write_row(double t_s);

    RunContext &                     context;
    std::unique_ptr<TransportSolver> transport;
    std::unique_ptr<PlasmaInput>     plasma; ///< uncoupled runs
    BodyCouplingPart *               coupling = nullptr;
    const DarcyPart *                darcy    = nullptr;
    double                           a_per_nmol = 0;
    Content                          content_;
    std::ostringstream               csv; ///< region_totals.csv so far
    unsigned int                     steps = 0;
    std::vector<double>              tia = std::vector<double>(all_regions.size()); ///< MBq h per region
    std::array<double, 2>            in{}, lymph{}, out{}, released{};
    double                           worst_defect = 0, end_time_s = 0;
    dealii::Timer                    wall; ///< the time loop of this process, from its first step
    bool                             loop_started = false;
  };
} // namespace radiotwin
