// RadioTwin part: steady tissue oxygen (docs/physics.md section 6): Michaelis-Menten
// consumption with the vessels' supply, hypoxic fractions, and the pO2 fields that the
// transport (hypoxia-receptor coupling) and the dose (OER) read. Built when 'Oxygen/Enabled'.
#pragma once

#include <memory>

#include "coupling/app/model_part.h"
#include "solvers/oxygen_solver.h"

namespace radiotwin
{
  class VesselPart;

  class OxygenPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    OxygenPart(RunContext &context, std::unique_ptr<OxygenSolver> solver);

    std::string name() const override { return "oxygen"; }
    void        solve_steady() override;
    void        add_output_fields(OutputStream stream, std::vector<NodalField> &fields) override;
    void        add_summary(Json &summary) override;

    const OxygenSolver &solver() const { return *oxygen; }

  private:
    RunContext &                  context;
    std::unique_ptr<OxygenSolver> oxygen;
    VesselPart *                  vessels = nullptr;
    OxygenSolver::VectorType      hypoxic;
    Json                          summary_;
  };
} // namespace radiotwin
