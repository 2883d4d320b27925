#include "physics/radionuclide.h"

namespace radiotwin
{
  void Radionuclide::declare_parameters(ParameterSchema &prm)
  {
    prm.enter_subsection("Radionuclide");
    prm.declare_entry("Half-life [d]", "6.647", patterns::Double(1e-6, 1e6),
                      "Physical half-life. Unit: d. Range: 1e-6-1e6. 177Lu: 6.647 d (EJNMMI Phys "
                      "2020, Table 1).");
    prm.declare_entry("Mean electron energy per decay [keV]", "147.9", patterns::Double(0, 1e5),
                      "Non-penetrating energy per decay, deposited locally (beta 133.3 + CE 13.5 "
                      "+ Auger 1.1 keV for 177Lu). Unit: keV. Range: 0-1e5.");
    prm.declare_entry("Mean photon energy per decay [keV]", "35.1", patterns::Double(0, 1e5),
                      "Penetrating energy per decay (not deposited locally). Unit: keV. Range: "
                      "0-1e5.");
    prm.leave_subsection();
  }

  void Radionuclide::parse_parameters(ParameterReader &prm)
  {
    prm.enter_subsection("Radionuclide");
    half_life_d         = prm.get_double("Half-life [d]");
    electron_energy_keV = prm.get_double("Mean electron energy per decay [keV]");
    photon_energy_keV   = prm.get_double("Mean photon energy per decay [keV]");
    prm.leave_subsection();
  }
} // namespace radiotwin
