// RadioTwin part: absorbed dose, dose rate, BED and hypoxia-adjusted BED fields accumulated
// from the transport part's activity (docs/physics.md sections 6-7, docs/oxygen-and-dose.md),
// their statistics per tissue set and the DVH tables (dvh.csv, dvh_bed_hypoxia_adjusted.csv;
// postprocessing/plot_dvh.py draws them). Built with the transport part.
#pragma once

#include <memory>

#include "coupling/app/model_part.h"
#include "solvers/dose_calculator.h"

namespace radiotwin
{
  class TransportPart;

  class DosePart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    DosePart(RunContext &context, dealii::ParameterHandler &prm);

    std::string name() const override { return "dose"; }
    bool        is_time_dependent() const override { return true; }
    void        prepare_time_loop() override;
    void        advance(double t_s, double dt_s) override;
    void        add_output_fields(OutputStream stream, std::vector<NodalField> &fields) override;
    void        finish() override;
    void        add_summary(Json &summary) override;
    unsigned int state_version() const override { return 1; }
    std::vector<VectorType *> checkpoint_vectors() override { return dose->state_for_restart(); }
    const dealii::DoFHandler<3> *checkpoint_dofs() const override;

    const DoseCalculator &calculator() const { return *dose; }

  private:
    RunContext &                    context;
    const TransportPart *           transport = nullptr;
    std::unique_ptr<DoseCalculator> dose;
    DoseCalculator::VectorType      rate, dose_Gy, bed, bed_hypoxia; ///< for the output files
    Json                            summary_;
  };
} // namespace radiotwin
