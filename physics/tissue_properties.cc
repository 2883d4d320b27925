#include "physics/tissue_properties.h"

#include <deal.II/base/exceptions.h>

#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// Default values of docs/physics.md section 2, per region (mmHg, cm, s units).
    struct RegionDefaults
    {
      const char *K, *Lp, *SV, *sigma, *pv, *piv, *pii, *LpL, *pL;
    };
    RegionDefaults defaults(const Region r)
    {
      switch (r)
        {
          case Region::tumour:
            return {"4.13e-8", "2.8e-7", "200", "0.82", "15.6", "20", "15", "0", "0"};
          case Region::necrotic_core:
            // No vessels and no lymphatics; conductivity taken as the tumour's (assumed).
            return {"4.13e-8", "2.8e-7", "0", "0.82", "15.6", "20", "15", "0", "0"};
          case Region::host:
            return {"8.53e-9", "0.36e-7", "70", "0.91", "15.6", "20", "10", "1e-4", "0"};
        }
      return {};
    }
  } // namespace

  void TissueProperties::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Tissue");
    for (const Region r : all_regions)
      {
        const RegionDefaults d = defaults(r);
        prm.enter_subsection(region_name(r));
        prm.declare_entry("Hydraulic conductivity K [cm^2 mmHg^-1 s^-1]", d.K,
                          Patterns::Double(1e-14, 1e-2),
                          "Darcy hydraulic conductivity of the interstitium, u = -K grad p. "
                          "Unit: cm^2/(mmHg s). Range: 1e-14-1e-2. Baxter & Jain 1989: tumour "
                          "4.13e-8, normal tissue 8.53e-9.");
        prm.declare_entry("Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1]", d.Lp,
                          Patterns::Double(0, 1e-2),
                          "Hydraulic conductivity of the microvascular wall in Starling's law. "
                          "Unit: cm/(mmHg s). Range: 0-1e-2. Baxter & Jain 1989: tumour 2.8e-7, "
                          "normal 0.36e-7.");
        prm.declare_entry("Vessel surface density S/V [cm^-1]", d.SV, Patterns::Double(0, 1e5),
                          "Vascular surface area per tissue volume. Unit: 1/cm. Range: 0-1e5. "
                          "Tumour 200 (Baxter & Jain), normal 70 (assumed), necrotic core 0.");
        prm.declare_entry("Oncotic reflection coefficient sigma_T [-]", d.sigma,
                          Patterns::Double(0, 1),
                          "Osmotic reflection coefficient of plasma proteins. Unit: none. Range: "
                          "0-1. Tumour 0.82, normal 0.91.");
        prm.declare_entry("Vascular pressure p_v [mmHg]", d.pv, Patterns::Double(-100, 300),
                          "Microvascular blood pressure. Unit: mmHg. Range: -100-300. 15.6.");
        prm.declare_entry("Plasma oncotic pressure pi_v [mmHg]", d.piv, Patterns::Double(0, 200),
                          "Colloid osmotic pressure of plasma. Unit: mmHg. Range: 0-200. 20.");
        prm.declare_entry("Interstitial oncotic pressure pi_i [mmHg]", d.pii,
                          Patterns::Double(0, 200),
                          "Colloid osmotic pressure of interstitial fluid. Unit: mmHg. Range: "
                          "0-200. Normal 10; tumour 15 (assumed).");
        prm.declare_entry("Lymphatic filtration coefficient LpL SL/V [mmHg^-1 s^-1]", d.LpL,
                          Patterns::Double(0, 1),
                          "Lymphatic drainage coefficient, J_L = LpL SL/V (p - p_L). Unit: "
                          "1/(mmHg s). Range: 0-1. Tumour 0 (no functional lymphatics), host "
                          "1e-4 (assumed).");
        prm.declare_entry("Lymphatic pressure p_L [mmHg]", d.pL, Patterns::Double(-100, 100),
                          "Pressure in the initial lymphatics. Unit: mmHg. Range: -100-100. 0.");
        prm.leave_subsection();
      }
    prm.declare_entry("Vessel density scaling", "1", Patterns::Anything(),
                      "Spatial multiplier of S/V in every region: an expression in x, y, z "
                      "[mm] (muparser syntax, e.g. '1 + 0.5*tanh((sqrt(x^2+y^2+z^2)-4)/0.5)'). "
                      "Unit: none. Must be >= 0 everywhere.");
    prm.leave_subsection();
  }

  void TissueProperties::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Tissue");
    for (const Region r : all_regions)
      {
        prm.enter_subsection(region_name(r));
        physics::StarlingCoefficients &c = (*this)[r];
        c.hydraulic_conductivity =
          prm.get_double("Hydraulic conductivity K [cm^2 mmHg^-1 s^-1]") * units::cm2_per_mmHg_s;
        c.wall_conductivity =
          prm.get_double("Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1]") *
          units::cm_per_mmHg_s;
        c.vessel_surface_density = prm.get_double("Vessel surface density S/V [cm^-1]") * units::per_cm;
        c.oncotic_reflection = prm.get_double("Oncotic reflection coefficient sigma_T [-]");
        c.vascular_pressure  = prm.get_double("Vascular pressure p_v [mmHg]") * units::mmHg;
        c.plasma_oncotic_pressure = prm.get_double("Plasma oncotic pressure pi_v [mmHg]") * units::mmHg;
        c.interstitial_oncotic_pressure =
          prm.get_double("Interstitial oncotic pressure pi_i [mmHg]") * units::mmHg;
        c.lymphatic_coefficient =
          prm.get_double("Lymphatic filtration coefficient LpL SL/V [mmHg^-1 s^-1]") *
          units::per_mmHg_s;
        c.lymphatic_pressure = prm.get_double("Lymphatic pressure p_L [mmHg]") * units::mmHg;
        prm.leave_subsection();
      }
    const std::string expression = prm.get("Vessel density scaling");
    prm.leave_subsection();

    uniform_vessels = Utilities::trim(expression) == "1";
    if (!uniform_vessels)
      {
        sv_scaling = std::make_unique<FunctionParser<3>>(1);
        try
          {
            sv_scaling->initialize("x,y,z", expression, {});
          }
        catch (const ExceptionBase &)
          {
            file.fail("Tissue/Vessel density scaling",
                      "cannot parse the expression '" + expression + "' (variables x, y, z in mm)");
          }
      }
  }
} // namespace radiotwin
