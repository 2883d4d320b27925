#include "physics/tissue_dosimetry.h"

#include <sstream>
#include <vector>

namespace radiotwin
{
  namespace
  {
    /// 'tissue: alpha/beta, T_rep[, alpha]; ...'
    const patterns::Map tissue_pattern(patterns::Anything(), patterns::List(patterns::Double(), 2, 3, ","), 1,
                                       patterns::Map::max_int_value, ";", ":");

    /// The entries of a value matching tissue_pattern, as deal.II's Patterns::Tools::Convert
    /// reads them into a std::map (the first of repeated names counts).
    std::map<std::string, std::vector<double>> tissue_entries(const std::string &text)
    {
      std::map<std::string, std::vector<double>> entries;
      for (const auto &entry : split_list(text, ";"))
        {
          const auto          key_value = split_list(entry, ":");
          std::vector<double> v;
          for (const auto &number : split_list(key_value.at(1), ","))
            {
              std::istringstream in(number);
              double             x = 0;
              in >> x;
              v.push_back(x);
            }
          entries.insert({key_value.at(0), v});
        }
      return entries;
    }
  } // namespace

  void TissueDosimetry::declare_parameters(ParameterSchema &prm)
  {
    Radionuclide::declare_parameters(prm);
    prm.enter_subsection("Radiobiology");
    prm.declare_entry("Tissue density [g mL^-1]", "1.04", patterns::Double(0.5, 3),
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

  void TissueDosimetry::parse_parameters(ParameterReader &prm, const ParameterFile &file)
  {
    nuclide.parse_parameters(prm);
    prm.enter_subsection("Radiobiology");
    density             = prm.get_double("Tissue density [g mL^-1]");
    const std::string s = prm.get("Tissues");
    prm.leave_subsection();
    const std::string path = "Radiobiology/Tissues";
    tissues.clear();
    const auto entries = tissue_entries(s); // s matches tissue_pattern: the handler checked it
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
