// RadioTwin: seeded synthetic tumour vasculature. Parent vessels run through the host tissue
// past the tumour; endothelial tip cells sprout from them and migrate up the gradient of a
// tumour angiogenic factor (TAF) released by the viable rim, with persistence, random
// turning, branching and anastomosis (tip-to-vessel fusion), until the rim reaches its
// target vessel density. The necrotic core releases no TAF and tips do not enter it: high
// density at the rim, none in the core (Anderson & Chaplain 1998; Stephanou et al. 2005 for
// the rules, simplified to a lattice-free walk).
//
// Same parameters and seed -> the same network, on every rank and every run.
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>

#include <array>
#include <string>
#include <vector>

#include "physics/base/parameter_file.h"
#include "meshes/vessel_network.h"
#include "physics/base/units.h"
#include "physics/regions.h"

namespace radiotwin
{
  struct VesselGeneratorParameters
  {
    unsigned int     seed = 1;
    dealii::Point<3> centre;                  ///< tumour centre [m]
    double           tumour_radius_m = 5e-3;  ///< outer radius of the viable rim [m]
    double           core_radius_m   = 2e-3;  ///< necrotic core radius [m] (0: none)
    double           domain_radius_m = 10e-3; ///< vessels stay within this distance [m]
    bool             cube_domain     = false; ///< domain_radius_m is the cube's half-size
    unsigned int     n_parent_vessels = 4;
    double           parent_radius_m    = 40e-6; ///< [m]
    double           capillary_radius_m = 6e-6;  ///< sprouts [m]
    /// Target vessel length density in the viable rim [mm/mm^3 = mm^-2] (roughly twice the
    /// histological microvessel density counted per mm^2 of section).
    double target_rim_length_density_per_mm2 = 20;
    double sprout_step_m          = 100e-6; ///< tip displacement per step = segment length [m]
    double branching_probability  = 0.1;    ///< per tip and step
    double anastomosis_distance_m = 60e-6;  ///< a tip this close to another vessel fuses [m]
    double taf_decay_length_m     = 1e-3;   ///< TAF decay outside the rim [m]
    double inlet_pressure_Pa  = 25 * units::mmHg; ///< arterial ends of the parent vessels [Pa]
    double outlet_pressure_Pa = 10 * units::mmHg; ///< venous ends [Pa]
  };

  /// Declared in subsection "Vessel network/Generator" by the caller's declare_parameters:
  /// declares the entries in the current subsection (the caller enters it).
  void declare_vessel_generator_parameters(dealii::ParameterHandler &prm);
  /// Reads that subsection (units converted to SI); the caller enters it, as for declaring.
  /// Geometry entries (centre, radii, domain) are set by the caller.
  VesselGeneratorParameters parse_vessel_generator_parameters(dealii::ParameterHandler &prm);

  /// The network, checked (connected, every component with a pressure node).
  VesselNetwork generate_tumour_vasculature(const VesselGeneratorParameters &p);

  /// Vessel length density [m/m^3] and surface density S/V [1/m] in the necrotic core, the
  /// viable rim and the host (inside domain_radius) from the segments (sampled finely).
  struct VesselDensityReport
  {
    /// By region index (tumour, core, host).
    std::vector<double> length_density_per_m2 = std::vector<double>(all_regions.size());
    std::vector<double> surface_density_per_m = std::vector<double>(all_regions.size());
    std::vector<double> volume_m3             = std::vector<double>(all_regions.size());
  };
  VesselDensityReport vessel_density_by_region(const VesselNetwork &network,
                                               const VesselGeneratorParameters &geometry);
} // namespace radiotwin
