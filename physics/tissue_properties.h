// RadioTwin: region-wise interstitial-flow properties of tissue (physics-reference section 2),
// read from the "Tissue" section, converted to SI once, and looked up per material id.
#pragma once

#include <deal.II/base/function_parser.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>

#include <array>
#include <memory>

#include "coupling/parameter_file.h"
#include "meshes/regions.h"
#include "physics/starling.h"

namespace radiotwin
{
  class TissueProperties
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    /// Coefficients of the region with this material id.
    const physics::StarlingCoefficients &operator()(const dealii::types::material_id id) const
    {
      return coefficients[region_index(id)];
    }
    const physics::StarlingCoefficients &operator()(const Region r) const
    {
      return coefficients[region_index(material_id(r))];
    }
    physics::StarlingCoefficients &operator[](const Region r)
    {
      return coefficients[region_index(material_id(r))];
    }

    /// Local multiplier of the vessel surface density S/V at point x [m] (1 unless the prm
    /// gives a spatial field). The hook through which vascular density from a vessel
    /// network enters later.
    double vascular_density_scaling(const dealii::Point<3> &x) const
    {
      return uniform_vessels ? 1.0 : sv_scaling->value(x / 1e-3); // expression in mm
    }

  private:
    std::array<physics::StarlingCoefficients, 3> coefficients;
    bool                                        uniform_vessels = true;
    std::unique_ptr<dealii::FunctionParser<3>>  sv_scaling;
  };
} // namespace radiotwin
