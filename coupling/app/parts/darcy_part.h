// RadioTwin part: steady interstitial flow (docs/physics.md section 2): the Darcy-Starling
// pressure, the recovered velocity, the fluid balance, the radial profile, and the comparison
// with the Baxter-Jain closed form ('Verification' section).
#pragma once

#include <memory>
#include <optional>

#include "coupling/app/model_part.h"
#include "physics/starling.h"
#include "solvers/darcy_solver.h"

namespace radiotwin
{
  class VesselPart;

  class DarcyPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    DarcyPart(RunContext &context, dealii::ParameterHandler &prm);

    std::string name() const override { return "darcy"; }
    void        setup() override;
    void        solve_steady() override;
    void        finish() override;
    void        add_summary(Json &summary) override;

    const DarcySolver &     solver() const { return *darcy; }
    const DarcyDiagnostics &diagnostics() const { return diagnostics_; }
    /// The writer of the steady stream (darcy_0000.pvtu).
    std::string write_stream(OutputStream stream, const std::vector<NodalField> &extra, double t_s,
                             unsigned int index) const override;

  private:
    /// 'Darcy/Adaptive refinement': solve, estimate, refine, and set the solver up again.
    void adapt_mesh();
    /// radial_profile.csv, and the errors against the closed form into `verification`.
    void write_profile_and_verification();

    RunContext &                 context;
    std::unique_ptr<DarcySolver> darcy;
    VesselPart *                 vessels = nullptr;
    unsigned int                 profile_points = 201;
    dealii::Tensor<1, 3>         profile_direction;
    double                       profile_length_m = 0;
    bool                         verify_baxter_jain = false;
    unsigned int                 adaptive_cycles    = 0;
    bool                         mark_by_error_fraction = false;
    double                       refine_fraction    = 0.1;
    double                       coarsen_fraction   = 0;
    double                       maximum_adaptive_cells = 2e6;
    DarcyDiagnostics             diagnostics_;
    Json                         summary_, verification;
  };
} // namespace radiotwin
