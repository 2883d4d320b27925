#include "coupling/app/parts/oxygen_part.h"

#include <algorithm>

#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/vessel_part.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  void OxygenPart::declare_parameters(ParameterHandler &prm)
  {
    OxygenSolver::declare_parameters(prm);
  }

  std::unique_ptr<ModelPart> OxygenPart::create(RunContext &context, ParameterHandler &prm)
  {
    // The section is parsed (and checked) also when oxygen is off: other parts' options
    // that need it are reported then.
    auto solver = std::make_unique<OxygenSolver>(context.find<DarcyPart>()->solver(), context.tissue,
                                                 context.timer);
    solver->parse_parameters(prm, context.file);
    if (!solver->enabled())
      return nullptr;
    return std::make_unique<OxygenPart>(context, std::move(solver));
  }

  OxygenPart::OxygenPart(RunContext &context, std::unique_ptr<OxygenSolver> solver)
    : context(context)
    , oxygen(std::move(solver))
  {}

  void OxygenPart::solve_steady()
  {
    vessels          = context.find<VesselPart>();
    const bool lines = vessels && vessels->lines();
    if (lines)
      vessels->solve_oxygen(*oxygen);
    else
      {
        oxygen->setup();
        oxygen->solve();
      }
    hypoxic                          = oxygen->hypoxic_indicator();
    const OxygenDiagnostics d        = oxygen->diagnostics();
    const auto &            thresholds = oxygen->hypoxia_thresholds_mmHg();
    const unsigned int      tumour     = region_index(material_id(Region::tumour));
    auto &                  pcout      = context.pcout;
    pcout << "  oxygen: " << oxygen->n_dofs() << " DoFs, " << d.newton_iterations << " Newton steps ("
          << d.linear_iterations << " CG)";
    if (lines && oxygen->blood_falls_along_flow())
      pcout << ", " << vessels->coupling().oxygen_iterations() << " network-tissue sweeps";
    pcout << "; tumour pO2 mean " << d.mean[tumour] << " mmHg, hypoxic (< " << thresholds[0]
          << " mmHg) " << 100 * d.hypoxic_fraction[tumour][0] << " %" << std::endl;

    Json &j                             = summary_;
    j                                   = Json();
    j["dofs"]                           = static_cast<unsigned long long>(oxygen->n_dofs());
    j["newton_iterations"]              = d.newton_iterations;
    j["cg_iterations_total"]            = d.linear_iterations;
    j["newton_final_relative_residual"] = d.final_residual;
    j["hypoxia_threshold_mmHg"]         = thresholds[0];
    j["severe_hypoxia_threshold_mmHg"]  = thresholds[1];
    // Oxygen volumes per time: mmHg m^3/s times the solubility -> mL O2/min.
    const double to_uL_O2_per_min       = oxygen->solubility() / (units::uL / units::min);
    j["vessel_supply_uL_O2_per_min"]    = d.supply * to_uL_O2_per_min;
    j["consumption_uL_O2_per_min"]      = d.consumption * to_uL_O2_per_min;
    j["boundary_inflow_uL_O2_per_min"]  = d.boundary_inflow * to_uL_O2_per_min;
    j["oxygen_balance_relative_defect"] = d.balance_defect();
    if (lines)
      {
        const auto &blood            = vessels->coupling().blood_po2();
        j["blood_pO2_min_mmHg"]      = *std::min_element(blood.begin(), blood.end());
        j["blood_pO2_max_mmHg"]      = *std::max_element(blood.begin(), blood.end());
        j["network_tissue_sweeps"]   = vessels->coupling().oxygen_iterations();
      }
    j["regions"] = context.per_region([&](const unsigned int i) {
      return Json{{"pO2_mean_mmHg", d.mean[i]},
                  {"pO2_min_mmHg", d.min[i]},
                  {"pO2_max_mmHg", d.max[i]},
                  {"hypoxic_fraction", d.hypoxic_fraction[i][0]},
                  {"severely_hypoxic_fraction", d.hypoxic_fraction[i][1]}};
    });
  }

  void OxygenPart::add_output_fields(OutputStream, std::vector<NodalField> &fields)
  {
    fields.push_back({&oxygen->dof_handler(), &oxygen->po2_mmHg(), "pO2_mmHg"});
    fields.push_back({&oxygen->dof_handler(), &hypoxic, "hypoxic"});
  }

  void OxygenPart::add_summary(Json &summary)
  {
    summary["oxygen"] = summary_;
  }
} // namespace radiotwin
