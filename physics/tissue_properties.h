// RadioTwin: region-wise interstitial-flow properties of tissue (docs/physics.md section 2),
// read from the "Tissue" section, converted to SI once, and looked up per material id.
#pragma once

#include <deal.II/base/function_parser.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>

#include <array>
#include <functional>
#include <memory>

#include "physics/base/parameter_file.h"
#include "physics/regions.h"
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

    /// Local multiplier of the vessel surface density S/V of region `c` at point x [m]: the
    /// prm's spatial field (1 unless given); with a vessel network, that field times the
    /// background scaling plus the network's own S/V(x) relative to the region's (homogenised
    /// representation). Regions with S/V = 0 (the necrotic core) stay at 0: vessels through
    /// necrotic tissue are not functional.
    double vascular_density_scaling(const dealii::Point<3> &x,
                                    const physics::StarlingCoefficients &c) const
    {
      const double field = uniform_vessels ? 1.0 : sv_scaling->value(x / 1e-3); // expression in mm
      if (!network_mode)
        return field;
      double scaling = background_scaling * field;
      if (network_sv && c.vessel_surface_density > 0)
        scaling += network_sv(x) / c.vessel_surface_density;
      return scaling;
    }

    /// Vessels from a network: S/V(x) [1/m] (empty for line sources, which the solvers add
    /// themselves) and the scaling kept of the region-wise S/V (unresolved capillaries).
    void set_network_vessels(std::function<double(const dealii::Point<3> &)> sv_per_m,
                             const double background)
    {
      network_mode       = true;
      network_sv         = std::move(sv_per_m);
      background_scaling = background;
    }

  private:
    std::array<physics::StarlingCoefficients, 3> coefficients;
    bool                                        uniform_vessels = true;
    std::unique_ptr<dealii::FunctionParser<3>>  sv_scaling;
    bool                                        network_mode = false;
    std::function<double(const dealii::Point<3> &)> network_sv;
    double                                      background_scaling = 1;
  };
} // namespace radiotwin
