// RadioTwin part: the two-way coupling of the meshed tumour with the whole-body PBRPK model
// at every time step (docs/physics.md section 5, docs/coupling-design.md): the body supplies
// the lesion's plasma, the tumour's uptake leaves it (the tumour sink). It takes the transport
// part's steps, gives the injections, records the body's curves, and writes
// time_activity.csv, receptor_occupancy.csv and the 'whole_body' summary. Built when
// 'Coupling/Whole-body coupling'.
#pragma once

#include <memory>

#include "coupling/app/model_part.h"
#include "coupling/tumour_body_coupling.h"

namespace radiotwin
{
  class TransportPart;

  class BodyCouplingPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    BodyCouplingPart(RunContext &context, std::unique_ptr<TumourBodyCoupling> coupling);

    std::string name() const override { return "whole_body"; }
    bool        is_time_dependent() const override { return true; }
    void        prepare_time_loop() override;
    std::vector<double> step_breaks_s() const override { return coupling_->event_times_s(); }
    /// The coupled step of the transport part's solver over [t, t + dt].
    TransportSolver::StepBalance step(TransportSolver &pde, double t_s, double dt_s)
    {
      return coupling_->step(pde, t_s, dt_s);
    }
    void        end_step(double t_s) override;
    std::string progress() const override;
    void        finish() override;
    void        add_summary(Json &summary) override;
    unsigned int state_version() const override { return 2; }
    void         save(boost::archive::binary_oarchive &archive) const override;
    void         load(boost::archive::binary_iarchive &archive) override;

    const TumourBodyCoupling &coupling() const { return *coupling_; }

  private:
    RunContext &                        context;
    std::unique_ptr<TumourBodyCoupling> coupling_;
    const TransportPart *               transport = nullptr;
    Json                                summary_;
  };
} // namespace radiotwin
