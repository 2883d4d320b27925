// RadioTwin: what the absorbed dose and the BED of a tissue depend on, declared once for the
// whole run (docs/physics.md section 7): the radionuclide, the tissue density, and the
// linear-quadratic radiobiology of each tissue. The dose fields of the meshed tumour (its
// regions are the tissues 'tumour', 'necrotic_core' and 'host') and the compartment doses of
// the whole-body model ('tumour' for every lesion; kidney, salivary_glands, red_marrow, ...)
// read the same values.
#pragma once

#include <map>
#include <string>

#include "physics/base/parameter_file.h"
#include "physics/radionuclide.h"

namespace radiotwin
{
  struct TissueRadiobiology
  {
    double alpha_beta_Gy      = 0; ///< linear-quadratic alpha/beta [Gy]
    double repair_half_time_h = 0; ///< sublethal-damage repair half-time [h]
    double alpha_per_Gy       = 0.15; ///< radiosensitivity alpha [Gy^-1] (EUD)
  };

  class TissueDosimetry
  {
  public:
    /// The sections 'Radionuclide' and 'Radiobiology'.
    static void declare_parameters(ParameterSchema &prm);
    void        parse_parameters(ParameterReader &prm, const ParameterFile &file);
    // The same with deal.II's ParameterHandler (the full program; defined with deal.II).
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    const Radionuclide &radionuclide() const { return nuclide; }
    double              density_kg_per_L() const { return density; }
    /// The radiobiology of @p tissue, or nullptr when the parameters give none.
    const TissueRadiobiology *radiobiology(const std::string &tissue) const;

  private:
    Radionuclide                              nuclide;
    double                                    density = 1.04;
    std::map<std::string, TissueRadiobiology> tissues;
  };
} // namespace radiotwin
