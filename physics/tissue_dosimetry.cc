#include "physics/tissue_dosimetry.h"

#include <deal.II/base/patterns.h>

#include <vector>

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// 'tissue: alpha/beta, T_rep[, alpha]; ...'
    const Patterns::Map tissue_pattern(Patterns::Anything(), Patterns::List(Patterns::Double(), 2, 3, ","), 1,
                                       Patterns::Map::max_int_value, ";", ":");
  } // namespace

  void TissueDosimetry::declare_parameters(ParameterHandler &prm)
  {
    Radionuclide::declare_parameters(prm);
    prm.enter_subsection("Radiobiology");
    prm.declare_entry("Tissue density [g mL^-1]", "1.04", Patterns::Double(0.5, 3),
                      "Mass density of soft tissue: converts the meshed tumour's volumes and the "
                      "organ volumes of the whole-body model to masses. Unit: g/mL = kg/L. Range: "
                      "0.5-3.");
    prm.declare_entry("Tissues",
                      "tumour: 1.5, 1.9, 0.15; necrotic_core: 1.5, 1.9, 0.15; host: 3, 1.5, 0.15; "
                      "kidney: 2.5, 2.8; salivary_glands: 4.5, 1.0; red_marrow: 15, 0.5",
                      tissue_pattern,
                      "';'-separated 'tissue: alpha/beta [Gy], repair half-time [h][, alpha "
                      "[Gy^-1]]' for the BED with incomplete repair (and alpha for the EUD, "
                      "default 0.15, assumed). The meshed tumour's regions are 'tumour', "
                      "'necrotic_core' and 'host'; 'tumour' applies also to every lesion of the "
                      "whole-body model; its organs are kidney, salivary_glands, red_marrow, liver, "
                      "spleen, ... (an organ without an entry gets no BED). Prostate tumour 1.5 Gy, "
                      "1.9 h [S17]; kidney 2.5 Gy, 2.8 h; host 3 Gy, 1.5 h and the repair half-times "
                      "of salivary glands and marrow are assumed (docs/physics.md section 7).");
    prm.leave_subsection();
  }

  void TissueDosimetry::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    nuclide.parse_parameters(prm);
    prm.enter_subsection("Radiobiology");
    density             = prm.get_double("Tissue density [g mL^-1]");
    const std::string s = prm.get("Tissues");
    prm.leave_subsection();
    const std::string path = "Radiobiology/Tissues";
    tissues.clear();
    const auto entries =
      Patterns::Tools::Convert<std::map<std::string, std::vector<double>>>::to_value(s, tissue_pattern);
    for (const auto &[name, v] : entries)
      {
        if (v[0] <= 0 || v[1] <= 0 || (v.size() > 2 && v[2] <= 0))
          file.fail(path, "'" + name + "': alpha/beta, the repair half-time and alpha must be > 0");
        tissues[name] = TissueRadiobiology{v[0], v[1], v.size() > 2 ? v[2] : 0.15};
      }
  }

  const TissueRadiobiology *TissueDosimetry::radiobiology(const std::string &tissue) const
  {
    const auto it = tissues.find(tissue);
    return it == tissues.end() ? nullptr : &it->second;
  }
} // namespace radiotwin
