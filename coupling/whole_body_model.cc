#include "coupling/whole_body_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <set>
#include <tuple>
#include <sstream>

#include "coupling/protocol_integration.h"
#include "coupling/sbml_whole_body.h"
#include "physics/tissue_dosimetry.h"

namespace radiotwin
{
  namespace
  {
    std::vector<std::string> split(const std::string &text, const char separator)
    {
      std::vector<std::string> parts;
      std::string              current;
      for (const char c : text + separator)
        if (c == separator)
          {
            if (!trim(current).empty())
              parts.push_back(trim(current));
            current.clear();
          }
        else
          current += c;
      return parts;
    }

    std::vector<double> numbers(const std::string &text, const ParameterFile &file,
                                const std::string &path, const unsigned int n)
    {
      std::vector<double> v;
      for (const auto &s : split(text, ','))
        {
          try
            {
              std::size_t used = 0;
              v.push_back(std::stod(s, &used));
              if (used != s.size())
                throw std::invalid_argument(s);
            }
          catch (const std::exception &)
            {
              file.fail(path, "'" + s + "' is not a number (in '" + text + "')");
            }
        }
      if (v.size() != n)
        file.fail(path, "expected " + std::to_string(n) + " numbers in '" + text + "'");
      return v;
    }

    // The organs of Appendix A. Each spatial quantity has its own basis, as in the published
    // table; the parameter names say which (e.g. "[fraction of plasma volume V_p]").
    enum class VascularBasis { organ, organ_plasma, plasma_volume };
    enum class InterstitialBasis { organ, vascular, litres };
    enum class FlowBasis { cardiac, organ, organ_plasma, none };
    struct OrganRow
    {
      const char *      key, *name;
      double            volume; ///< [L] (at 71 kg when scaled); < 0: derived (rest of body)
      bool              scales_with_weight;
      VascularBasis     vascular_basis;
      double            vascular;
      InterstitialBasis interstitial_basis;
      double            interstitial;
      FlowBasis         flow_basis;
      double            flow;
      double            kps; ///< [1/min]; < 0: no PS exchange (kidney)
    };
    using VB = VascularBasis;
    using IB = InterstitialBasis;
    using FB = FlowBasis;
    const OrganRow organ_table[] = {
      {"lungs", "Lungs", 1.0, true, VB::plasma_volume, 0.105, IB::vascular, 5.5, FB::none, 0, 2.0},
      {"kidney", "Kidney", 0.311, false, VB::organ, 0.055, IB::organ, 0.15, FB::cardiac, 0.19, -1},
      {"salivary_glands", "Salivary glands", 0.021, false, VB::organ_plasma, 0.03, IB::organ, 0.23, FB::organ, 0.074, 2.0},
      {"liver", "Liver", 1.91, false, VB::organ, 0.085, IB::organ, 0.2, FB::cardiac, 0.065, 2.0},
      {"spleen", "Spleen", 0.183, false, VB::organ, 0.12, IB::organ, 0.2, FB::cardiac, 0.03, 2.0},
      {"prostate", "Prostate", 0.016, true, VB::organ_plasma, 0.004, IB::organ, 0.25, FB::organ_plasma, 0.18, 0.1},
      {"GI", "GI", 1.187, true, VB::plasma_volume, 0.076, IB::vascular, 8.8, FB::cardiac, 0.16, 0.02},
      {"muscle", "Muscle", 30.078, true, VB::plasma_volume, 0.14, IB::vascular, 5.9, FB::cardiac, 0.17, 0.02},
      {"skin", "Skin", 3.408, true, VB::plasma_volume, 0.03, IB::vascular, 8.9, FB::cardiac, 0.05, 0.02},
      {"brain", "Brain", 1.45, true, VB::plasma_volume, 0.012, IB::litres, 1.0, FB::cardiac, 0.12, 0.0},
      {"heart", "Heart", 0.341, true, VB::plasma_volume, 0.01, IB::vascular, 3.7, FB::cardiac, 0.04, 0.02},
      {"red_marrow", "Red marrow", 1.1, true, VB::plasma_volume, 0.04, IB::vascular, 3.7, FB::cardiac, 0.03, 2.0},
      {"bone", "Bone", 10.165, true, VB::plasma_volume, 0.07, IB::vascular, 8.4, FB::cardiac, 0.05, 0.02},
      {"adipose", "Adipose", 13.465, true, VB::plasma_volume, 0.05, IB::vascular, 15.5, FB::cardiac, 0.05, 0.02},
      {"rest", "Rest of body", -1, false, VB::plasma_volume, 0, IB::vascular, 4.1, FB::none, 0, 0.02}};

    /// A default value as a person would write it (0.05, not 0.050000000000000003).
    std::string shortest(const double x)
    {
      std::ostringstream os;
      os << std::setprecision(10) << x;
      return os.str();
    }

    std::string volume_name(const OrganRow &o)
    {
      return o.scales_with_weight ? "Volume at 71 kg [L]" : "Volume [L]";
    }
    std::string vascular_name(const OrganRow &o)
    {
      return o.vascular_basis == VB::organ        ? "Vascular volume [fraction of organ volume]" :
             o.vascular_basis == VB::organ_plasma ? "Vascular volume [fraction of (1-Hct) x organ volume]" :
                                                    "Vascular volume [fraction of plasma volume V_p]";
    }
    std::string interstitial_name(const OrganRow &o)
    {
      return o.interstitial_basis == IB::organ    ? "Interstitial volume [fraction of organ volume]" :
             o.interstitial_basis == IB::vascular ? "Interstitial volume [multiple of vascular volume]" :
                                                    "Interstitial volume [L]";
    }
    std::string flow_name(const OrganRow &o)
    {
      return o.flow_basis == FB::cardiac ? "Plasma flow [fraction of plasma flow F]" :
             o.flow_basis == FB::organ   ? "Plasma flow [L min^-1 per L of organ]" :
                                           "Plasma flow [L min^-1 per L of (1-Hct) x organ]";
    }

    /// "name: a, b, c; name2: ..." -> (name, numbers) pairs, each with n numbers.
    std::vector<std::pair<std::string, std::vector<double>>>
    named_entries(const std::string &text, const unsigned int n, const ParameterFile &file,
                  const std::string &path, const std::string &form)
    {
      std::vector<std::pair<std::string, std::vector<double>>> entries;
      for (const auto &entry : split(text, ';'))
        {
          const auto colon = entry.find(':');
          if (colon == std::string::npos)
            file.fail(path, "entry '" + entry + "' needs the form '" + form + "'");
          entries.emplace_back(trim(entry.substr(0, colon)),
                               numbers(entry.substr(colon + 1), file, path, n));
        }
      return entries;
    }
  } // namespace

  void WholeBodyModel::declare_parameters(ParameterSchema &prm)
  {
    SbmlMapping::declare_parameters(prm);
    prm.enter_subsection("Whole body");
    prm.enter_subsection("Patient");
    prm.declare_entry("Body weight [kg]", "100", patterns::Double(20, 300),
                      "Scales organ volumes (volume = reference volume x BW/71 kg, Appendix A). "
                      "Unit: kg. Range: 20-300.");
    prm.declare_entry("Body surface area [m^2]", "1.9", patterns::Double(0.5, 3.5),
                      "Plasma volume V_p = 2.8 (1 - Hct) BSA [L]; plasma flow F = 1.23 V_p "
                      "[L min^-1]. Unit: m^2. Range: 0.5-3.5.");
    prm.declare_entry("Haematocrit [-]", "0.4", patterns::Double(0.1, 0.7),
                      "Blood haematocrit. Unit: none. Range: 0.1-0.7.");
    prm.declare_entry("GFR [L min^-1]", "0.0887417219", patterns::Double(0, 0.5),
                      "Glomerular filtration rate; default (0.2/3)(201/151). Unit: L/min. Range: "
                      "0-0.5.");
    prm.declare_entry("Height [cm]", "0", patterns::Double(0, 250),
                      "If > 0, the body surface area follows from height and weight (DuBois: "
                      "0.007184 W^0.425 H^0.725) and 'Body surface area' is ignored. Unit: cm. "
                      "Range: 0-250.");
    prm.leave_subsection();

    prm.enter_subsection("Organs");
    for (const auto &o : organ_table)
      {
        prm.enter_subsection(o.name);
        const std::string source = std::string(" (") + o.name + ", Appendix A.)";
        const std::string bone_note =
          o.key == std::string("bone") ? " The red marrow's share is subtracted." : "";
        if (o.volume > 0)
          {
            prm.declare_entry(volume_name(o), shortest(o.volume),
                              patterns::Double(1e-6, 300),
                              std::string(o.scales_with_weight ?
                                            "Organ volume of a 71 kg patient, scaled by BW/71 kg." :
                                            "Organ volume.") +
                                " Unit: L. Range: 1e-6-300." + bone_note + source);
            prm.declare_entry(vascular_name(o), shortest(o.vascular),
                              patterns::Double(0, 1),
                              "Vascular (plasma) space, on the basis the name gives. Range: 0-1." +
                                bone_note + source);
          }
        prm.declare_entry(interstitial_name(o), shortest(o.interstitial),
                          patterns::Double(0, 100),
                          "Interstitial space (the tubular space for the kidney), on the basis the "
                          "name gives. Range: 0-100." + source);
        if (o.flow_basis != FB::none)
          prm.declare_entry(flow_name(o), shortest(o.flow), patterns::Double(0, 10),
                            "Arterial plasma flow into the organ, on the basis the name gives; the "
                            "rest of the body receives what remains of F. Range: 0-10." + source);
        if (o.kps >= 0)
          prm.declare_entry("kPS [min^-1]", shortest(o.kps), patterns::Double(0, 100),
                            "Permeability-surface product per organ volume, PS = kPS V "
                            "(mL/(min g) at unit density). Unit: 1/min. Range: 0-100." + source);
        prm.leave_subsection();
      }
    prm.leave_subsection();

    prm.enter_subsection("Binding");
    prm.declare_entry("k_on [L nmol^-1 min^-1]", "0.046", patterns::Double(0, 100),
                      "Receptor association rate (all receptor-positive tissues). Unit: "
                      "L/(nmol min). Range: 0-100.");
    prm.declare_entry("k_off [min^-1]", "0.368", patterns::Double(0, 100),
                      "Receptor dissociation rate (K_D = k_off/k_on = 8 nM). Unit: 1/min. Range: "
                      "0-100.");
    prm.declare_entry("Internalisation rate lambda_int [min^-1]", "0.001", patterns::Double(0, 10),
                      "Internalisation of bound ligand (the receptor is freed). Unit: 1/min. "
                      "Range: 0-10.");
    prm.leave_subsection();

    prm.enter_subsection("Receptor densities");
    prm.declare_entry("Kidney [nmol L^-1]", "14", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. 14 (18 in the target-site model).");
    prm.declare_entry("Salivary glands [nmol L^-1]", "38", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. 38 (42).");
    prm.declare_entry("Prostate [nmol L^-1]", "26.6", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. Default 0.1 x the TumorRest density 266.");
    prm.declare_entry("Liver [nmol L^-1]", "1.33", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. Default 0.05 x prostate.");
    prm.declare_entry("Spleen [nmol L^-1]", "0.532", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. Default 0.02 x prostate.");
    prm.declare_entry("GI [nmol L^-1]", "1.596", patterns::Double(0, 1e4),
                      "Unit: nmol/L. Range: 0-1e4. Default 0.06 x prostate.");
    prm.leave_subsection();

    prm.enter_subsection("Release rates");
    prm.declare_entry("Kidney [min^-1]", "2.9e-4", patterns::Double(0, 1),
                      "Release of internalised ligand (leaves the body). Unit: 1/min. Range: 0-1.");
    prm.declare_entry("Salivary glands [min^-1]", "4.2e-4", patterns::Double(0, 1),
                      "Unit: 1/min. Range: 0-1.");
    prm.declare_entry("Other organs [min^-1]", "2.9e-4", patterns::Double(0, 1),
                      "Liver, spleen, prostate, GI. Unit: 1/min. Range: 0-1.");
    prm.leave_subsection();

    prm.enter_subsection("Kidney");
    prm.declare_entry("Filtered fraction [-]", "0.66", patterns::Double(0, 1),
                      "phi_f: filtration GFR phi_f from kidney plasma into the tubules. Range: 0-1.");
    prm.declare_entry("Excreted fraction [-]", "0.96", patterns::Double(0, 1),
                      "f_exc: fraction of the tubular flow to urine; the rest enters the kidney "
                      "cells and returns to kidney plasma. Range: 0-1.");
    prm.declare_entry("Cell return volume [L]", "1", patterns::Double(1e-6, 100),
                      "The published model returns reabsorbed ligand from the kidney cells at "
                      "GFR phi_f (1 - f_exc) / (1 L); this is that volume. Unit: L. Range: "
                      "1e-6-100.");
    prm.leave_subsection();

    prm.enter_subsection("Lesions");
    prm.declare_entry("Lesions",
                      "Tumor1: 0.01, 57, 0.5, 0.6, 1.5e-4; Tumor2: 0.34, 19, 0.5, 0.6, 1.5e-4; "
                      "TumorRest: 0.0488721805, 266, 0.5, 0.6, 1.5e-4",
                      patterns::Map(patterns::Anything(), patterns::List(patterns::Double(0), 5, 5, ","), 0,
                                    patterns::Map::max_int_value, ";", ":"),
                      "Any number of lesions, ';'-separated, each 'name: volume [L], receptor "
                      "density [nmol L^-1], perfusion [mL/(min g)], kPS [mL/(min g)], release rate "
                      "[1/min]'. Defaults of Appendix A (TumorRest: R0 = 13 nmol at 266 nmol/L).");
    prm.declare_entry("Lesion volume scaling [-]", "1", patterns::Double(0, 1e3),
                      "Multiplies every lesion volume: the tumour-burden lever of the tumour-sink "
                      "effect. Range: 0-1000.");
    prm.leave_subsection();

    prm.enter_subsection("Albumin");
    prm.declare_entry("Albumin binding site density [nmol L^-1]", "0", patterns::Double(0, 1e6),
                      "Binding sites in plasma; 0 switches albumin binding off (default). "
                      "Albumin-bound ligand moves with the blood, is not filtered and does not "
                      "leave the vessels. Unit: nmol/L. Range: 0-1e6.");
    prm.declare_entry("K_D [nmol L^-1]", "1", patterns::Double(1e-6, 1e6),
                      "Dissociation constant of albumin binding. Unit: nmol/L. Range: 1e-6-1e6.");
    prm.declare_entry("k_on [L nmol^-1 min^-1]", "0.01", patterns::Double(0, 100),
                      "Association rate of albumin binding (assumed). Unit: L/(nmol min). Range: "
                      "0-100.");
    prm.leave_subsection();

    prm.enter_subsection("Dosimetry");
    prm.declare_entry("Bone lesion fraction of tumour burden [-]", "0.5", patterns::Double(0, 1),
                      "Fraction of the lesions' activity located in bone, which irradiates the "
                      "red marrow (assumed). Range: 0-1.");
    prm.declare_entry("Marrow absorbed fraction from bone lesions [-]", "0.1",
                      patterns::Double(0, 1),
                      "Fraction of the electron energy emitted in bone lesions absorbed by the "
                      "red marrow (cross-dose, assumed). Range: 0-1.");
    prm.leave_subsection();

    prm.enter_subsection("Injection");
    prm.declare_entry("Injections", "0, 0, 10.18, 46.91",
                      patterns::List(patterns::List(patterns::Double(0), 4, 4, ","), 1,
                                     patterns::List::max_int_value, ";"),
                      "';'-separated injections into venous plasma, each 'start [h], duration "
                      "[min] (0: bolus), hot [nmol], cold [nmol]'. Default: the standard 7.4 GBq "
                      "PSMA-617 injection (10.18 nmol hot + 46.91 nmol cold).");
    prm.declare_entry("Number of cycles", "1", patterns::Integer(1, 20),
                      "The injection list is repeated this many times. Range: 1-20.");
    prm.declare_entry("Cycle interval [weeks]", "6", patterns::Double(0, 52),
                      "Time between the starts of two cycles. Unit: weeks. Range: 0-52.");
    prm.leave_subsection();

    prm.enter_subsection("Integration");
    prm.declare_entry("Duration [h]", "1008", patterns::Double(1e-3, 1e5),
                      "Simulated time after the first injection (1008 h = 6 weeks). Unit: h. "
                      "Range: 0.001-1e5.");
    prm.declare_entry("Output interval [h]", "1", patterns::Double(1e-3, 1e4),
                      "Spacing of the rows of the time-activity CSV. Unit: h. Range: 0.001-1e4.");
    prm.declare_entry("Relative tolerance", "1e-8", patterns::Double(1e-14, 1e-2),
                      "CVODE relative tolerance. Range: 1e-14-1e-2.");
    prm.declare_entry("Absolute tolerance [nmol]", "1e-12", patterns::Double(1e-20, 1),
                      "CVODE absolute tolerance on amounts. Unit: nmol. Range: 1e-20-1.");
    prm.declare_entry("Linear solver", "sparse", patterns::Selection("sparse|dense"),
                      "Direct solver of CVODE's Newton systems: 'sparse' (KLU on the "
                      "compressed-column Jacobian, default) or 'dense' (dense LU, the former "
                      "solver, ~10x slower; kept for comparison). Both give the same results to "
                      "round-off. Unit: none. Range: sparse, dense.");
    prm.declare_entry("Decay constant override [min^-1]", "0", patterns::Double(0, 10),
                      "0: use the radionuclide's half-life. The published PSMA model uses "
                      "7.15e-5 /min; set it to reproduce that model's numbers exactly. Unit: "
                      "1/min. Range: 0-10.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void WholeBodyModel::parse_parameters(ParameterReader &prm, const ParameterFile &file)
  {
    // The radionuclide, the density and the radiobiology: the run's one set
    // (physics/tissue_dosimetry.h), shared with the meshed tumour's dose.
    dosimetry.parse_parameters(prm, file);
    prm.enter_subsection("Whole body");
    const bool sbml_import = prm.get("Model") == "sbml";
    prm.enter_subsection("Patient");
    body_weight_kg = prm.get_double("Body weight [kg]");
    bsa_m2         = prm.get_double("Body surface area [m^2]");
    hct            = prm.get_double("Haematocrit [-]");
    gfr_L_per_min  = prm.get_double("GFR [L min^-1]");
    const double height_cm = prm.get_double("Height [cm]");
    if (height_cm > 0)
      bsa_m2 = 0.007184 * std::pow(body_weight_kg, 0.425) * std::pow(height_cm, 0.725);
    prm.leave_subsection();

    prm.enter_subsection("Organs");
    organ_values.clear();
    for (const auto &o : organ_table)
      {
        prm.enter_subsection(o.name);
        organ_values.push_back({{o.volume > 0 ? prm.get_double(volume_name(o)) : 0.0,
                                 o.volume > 0 ? prm.get_double(vascular_name(o)) : 0.0,
                                 prm.get_double(interstitial_name(o)),
                                 o.flow_basis != FB::none ? prm.get_double(flow_name(o)) : 0.0,
                                 o.kps >= 0 ? prm.get_double("kPS [min^-1]") : 0.0}});
        prm.leave_subsection();
      }
    prm.leave_subsection();
    prm.enter_subsection("Binding");
    k_on       = prm.get_double("k_on [L nmol^-1 min^-1]");
    k_off      = prm.get_double("k_off [min^-1]");
    lambda_int = prm.get_double("Internalisation rate lambda_int [min^-1]");
    prm.leave_subsection();
    prm.enter_subsection("Receptor densities");
    rden_kidney   = prm.get_double("Kidney [nmol L^-1]");
    rden_sg       = prm.get_double("Salivary glands [nmol L^-1]");
    rden_prostate = prm.get_double("Prostate [nmol L^-1]");
    rden_liver    = prm.get_double("Liver [nmol L^-1]");
    rden_spleen   = prm.get_double("Spleen [nmol L^-1]");
    rden_gi       = prm.get_double("GI [nmol L^-1]");
    prm.leave_subsection();
    prm.enter_subsection("Release rates");
    release_kidney = prm.get_double("Kidney [min^-1]");
    release_sg     = prm.get_double("Salivary glands [min^-1]");
    release_other  = prm.get_double("Other organs [min^-1]");
    prm.leave_subsection();
    prm.enter_subsection("Kidney");
    filtered_fraction    = prm.get_double("Filtered fraction [-]");
    excreted_fraction    = prm.get_double("Excreted fraction [-]");
    cell_return_volume_L = prm.get_double("Cell return volume [L]");
    prm.leave_subsection();

    prm.enter_subsection("Lesions");
    const std::string lesion_text = prm.get("Lesions");
    lesion_volume_scaling         = prm.get_double("Lesion volume scaling [-]");
    prm.leave_subsection();
    lesions.clear();
    std::set<std::string> names;
    const std::string lesion_path = "Whole body/Lesions/Lesions";
    for (const auto &[name, v] : named_entries(lesion_text, 5, file, lesion_path,
                                               "name: volume, density, perfusion, kPS, release"))
      {
        if (name.empty() || !names.insert(name).second)
          file.fail(lesion_path, "lesion names must be unique and non-empty ('" + name + "')");
        if (v[0] <= 0 || v[1] < 0 || v[2] <= 0 || v[3] < 0 || v[4] < 0)
          file.fail(lesion_path, "lesion '" + name + "': volume and perfusion must be > 0, "
                                 "density, kPS and release >= 0");
        lesions.push_back({name, v[0], v[1], v[2], v[3], v[4]});
      }

    prm.enter_subsection("Albumin");
    albumin_density = prm.get_double("Albumin binding site density [nmol L^-1]");
    albumin_kd_nM   = prm.get_double("K_D [nmol L^-1]");
    albumin_k_on    = prm.get_double("k_on [L nmol^-1 min^-1]");
    prm.leave_subsection();

    prm.enter_subsection("Dosimetry");
    bone_lesion_fraction     = prm.get_double("Bone lesion fraction of tumour burden [-]");
    marrow_absorbed_fraction = prm.get_double("Marrow absorbed fraction from bone lesions [-]");
    prm.leave_subsection();

    prm.enter_subsection("Injection");
    const std::string injection_text = prm.get("Injections");
    cycles                           = prm.get_integer("Number of cycles");
    cycle_interval                   = prm.get_double("Cycle interval [weeks]") * 7 * 24;
    prm.leave_subsection();
    cycle_injections.clear();
    for (const auto &entry : split(injection_text, ';'))
      {
        const auto v = numbers(entry, file, "Whole body/Injection/Injections", 4);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
          file.fail("Whole body/Injection/Injections", "negative value in '" + entry + "'");
        cycle_injections.push_back({v[0], v[1], v[2], v[3]});
      }
    if (cycle_injections.empty())
      file.fail("Whole body/Injection/Injections", "at least one injection is needed");
    injections = InjectionProtocol(cycle_injections, cycles, cycle_interval);

    prm.enter_subsection("Integration");
    duration          = prm.get_double("Duration [h]");
    output_interval   = prm.get_double("Output interval [h]");
    rtol              = prm.get_double("Relative tolerance");
    atol              = prm.get_double("Absolute tolerance [nmol]");
    linear_solver     = prm.get("Linear solver") == "dense" ? NetworkIntegrator::LinearSolver::dense :
                                                              NetworkIntegrator::LinearSolver::sparse;
    const double override_lambda = prm.get_double("Decay constant override [min^-1]");
    prm.leave_subsection();
    prm.leave_subsection();
    lambda = override_lambda > 0 ? override_lambda : dosimetry.radionuclide().decay_constant_per_min();
    imported.reset();
    if (sbml_import)
      imported = std::make_shared<const SbmlMapping>(prm, file, *this);

    build();
  }

  void WholeBodyModel::build()
  {
    if (imported)
      {
        build_imported();
        return;
      }
    net         = CompartmentNetwork();
    tissue_list.clear();
    const double Vp = 2.8 * (1 - hct) * bsa_m2; // plasma volume [L]
    const double F  = 1.23 * Vp;                 // plasma flow [L min^-1]
    const double s  = body_weight_kg / 71.0;     // organ volume scaling

    art  = net.add_pool("Art", 0.105 * Vp);
    vein                   = net.add_pool("Vein", 0.225 * Vp);
    // Released internalised ligand leaves the body (degraded, or back to blood as fragments).
    released = net.add_pool("released", 0);
    // Blood-borne transfers, repeated for albumin-bound ligand when albumin binding is on.
    std::vector<std::tuple<unsigned int, unsigned int, double>> blood_flows;
    std::vector<unsigned int>                                   blood_pools{art, vein};
    auto flow = [&](const unsigned int from, const unsigned int to, const double k) {
      net.add_transfer(from, to, k);
      blood_flows.emplace_back(from, to, k);
    };

    struct Spec
    {
      std::string key;
      double      V = 0, Vvas = 0, Vint = 0, flow = 0, kPS = 0, rden = 0, release = 0;
    };
    std::vector<Tissue>       organs;
    std::vector<unsigned int> lesion_tissues;
    double                    sum_V = 0, sum_Vvas = 0, sum_flow = 0;

    // An organ: vascular and interstitial spaces, perfused from Art to Vein, exchanging by
    // PS = kPS V, with bound and internalised pools where it has receptors.
    auto add_organ = [&](const Spec &o, const bool from_art = true, const bool exchange = true) {
      Tissue t;
      t.key = o.key;
      const unsigned int vas = net.add_pool(o.key + ".vascular", o.Vvas);
      const unsigned int in  = net.add_pool(o.key + ".interstitial", o.Vint);
      blood_pools.push_back(vas);
      if (from_art)
        {
          flow(art, vas, o.flow / (0.105 * Vp));
          flow(vas, vein, o.flow / o.Vvas);
        }
      if (exchange)
        {
          const double PS = o.kPS * o.V;
          net.add_transfer(vas, in, PS / o.Vvas);
          net.add_transfer(in, vas, PS / o.Vint);
        }
      t.pools = {vas, in};
      if (o.rden > 0)
        {
          const unsigned int b = net.add_pool(o.key + ".bound", 0);
          const unsigned int m = net.add_pool(o.key + ".internalised", 0);
          t.receptors_nmol = o.rden * o.V;
          t.bound_pool     = b;
          net.add_binding(in, b, t.receptors_nmol, k_on, k_off);
          net.add_transfer(b, m, lambda_int);
          net.add_transfer(m, released, o.release);
          t.pools.push_back(b);
          t.pools.push_back(m);
        }
      t.mass_kg = o.V * dosimetry.density_kg_per_L();
      return t;
    };

    const std::map<std::string, std::pair<double, double>> receptors = {
      {"kidney", {rden_kidney, release_kidney}},   {"salivary_glands", {rden_sg, release_sg}},
      {"liver", {rden_liver, release_other}},       {"spleen", {rden_spleen, release_other}},
      {"prostate", {rden_prostate, release_other}}, {"GI", {rden_gi, release_other}}};
    double V_marrow = 0, Vvas_marrow = 0;
    for (std::size_t i = 0; i < std::size(organ_table); ++i)
      {
        const OrganRow &row = organ_table[i];
        const auto &    val = organ_values[i]; // volume, vascular, interstitial, flow, kPS
        Spec o;
        o.key = row.key;
        if (o.key == "rest")
          {
            // What the other organs leave of body weight, plasma volume and plasma flow.
            o.V    = body_weight_kg - sum_V;
            o.Vvas = Vp - sum_Vvas;
            o.flow = F - sum_flow;
            if (o.V <= 0 || o.Vvas <= 0 || o.flow <= 0)
              throw InputError("whole-body model: the patient covariates and organ parameters "
                               "leave no volume, plasma volume or flow for the rest of the body "
                               "(parameters 'Whole body/Patient/...', 'Whole body/Organs/...')");
          }
        else
          {
            o.V    = val[0] * (row.scales_with_weight ? s : 1.0);
            o.Vvas = val[1] * (row.vascular_basis == VB::organ        ? o.V :
                               row.vascular_basis == VB::organ_plasma ? (1 - hct) * o.V :
                                                                        Vp);
            if (o.key == "red_marrow")
              {
                V_marrow    = o.V;
                Vvas_marrow = o.Vvas;
              }
            if (o.key == "bone")
              {
                o.V -= V_marrow;
                o.Vvas -= Vvas_marrow;
              }
            o.flow = val[3] * (row.flow_basis == FB::cardiac      ? F :
                               row.flow_basis == FB::organ        ? o.V :
                               row.flow_basis == FB::organ_plasma ? (1 - hct) * o.V :
                                                                    0.0);
          }
        o.Vint = val[2] * (row.interstitial_basis == IB::organ    ? o.V :
                           row.interstitial_basis == IB::vascular ? o.Vvas :
                                                                    1.0);
        o.kPS             = val[4];
        const auto rec    = receptors.find(o.key);
        o.rden            = rec == receptors.end() ? 0.0 : rec->second.first;
        o.release         = rec == receptors.end() ? 0.0 : rec->second.second;
        if (o.V <= 0 || o.Vvas <= 0 || o.Vint <= 0)
          throw InputError("whole-body model: organ '" + o.key + "' has a non-positive volume "
                           "(parameters 'Whole body/Organs/" + row.name + "/...')");

        if (o.key == "lungs")
          {
            // All of the plasma flow F: Vein -> lungs -> Art.
            o.flow   = F;
            Tissue t = add_organ(o, false);
            flow(vein, t.pools[0], F / (0.225 * Vp));
            flow(t.pools[0], art, F / o.Vvas);
            organs.push_back(t);
          }
        else if (o.key == "kidney")
          {
            // Filtration into the tubules (its "interstitial" pool), urine, reabsorption.
            Tissue t = add_organ(o, true, false);
            const unsigned int vas = t.pools[0], tub = t.pools[1];
            urine                   = net.add_pool("urine", 0);
            const unsigned int cell = net.add_pool("kidney.cells", (o.V - o.Vint - o.Vvas) * 2.0 / 3.0);
            const double filtration = gfr_L_per_min * filtered_fraction;
            net.add_transfer(vas, tub, filtration / o.Vvas);
            net.add_transfer(tub, urine, filtration * excreted_fraction / o.Vint);
            net.add_transfer(tub, cell, filtration * (1 - excreted_fraction) / o.Vint);
            net.add_transfer(cell, vas, filtration * (1 - excreted_fraction) / cell_return_volume_L);
            t.pools.push_back(cell);
            organs.push_back(t);
          }
        else
          organs.push_back(add_organ(o));
        sum_V += o.V;
        sum_Vvas += o.Vvas;
        if (o.key != "lungs")
          sum_flow += o.flow;
      }
    // Lesions: perfused in addition to F.
    for (const auto &l : lesions)
      {
        const double V = l.volume_L * lesion_volume_scaling;
        Tissue t = add_organ({l.name, V, 0.05 * (1 - hct) * V, 0.38 * V, l.perfusion_per_min * V,
                              l.kps_per_min, l.rden, l.release_per_min});
        lesion_tissues.push_back(organs.size());
        organs.push_back(t);
      }
    // The coupled (meshed) lesion: only its plasma space is here.
    if (coupled_lesion)
      {
        const double V    = coupled_lesion->volume_L;
        const double Vvas = 0.05 * (1 - hct) * V;
        const double Q    = coupled_lesion->perfusion_per_min * V;
        Tissue t;
        t.key = coupled_lesion->name;
        const unsigned int vas = net.add_pool(t.key + ".vascular", Vvas);
        blood_pools.push_back(vas);
        flow(art, vas, Q / (0.105 * Vp));
        flow(vas, vein, Q / Vvas);
        t.pools                            = {vas};
        coupled_indices                    = CoupledLesionIndices();
        coupled_indices.vascular           = vas;
        coupled_indices.vascular_volume_L  = Vvas;
        for (unsigned int sp = 0; sp < 2; ++sp)
          for (unsigned int sp2 = 0; sp2 < 2; ++sp2)
            coupled_indices.uptake_flux[sp][sp2] = net.add_linear_flux(vas, sp2, vas, sp, 0.0);
        lesion_tissues.push_back(organs.size());
        organs.push_back(t); // mass 0: its dose comes from the PDE (tumour_body_coupling.cc)
      }

    // Albumin: a bound twin of every plasma pool that flows with the blood only.
    if (albumin_density > 0)
      {
        std::map<unsigned int, unsigned int> twin;
        for (const unsigned int p : blood_pools)
          {
            twin[p] = net.add_pool(net.pool_name(p) + ".albumin", 0);
            net.add_binding(p, twin[p], albumin_density * net.pool_volume(p), albumin_k_on,
                            albumin_kd_nM * albumin_k_on);
          }
        for (const auto &[from, to, k] : blood_flows)
          net.add_transfer(twin[from], twin[to], k);
        for (auto &t : organs)
          t.pools.push_back(twin[t.pools[0]]);
        blood_pools.push_back(twin[art]);
        blood_pools.push_back(twin[vein]);
      }
    net.set_decay(lambda);

    Tissue blood;
    blood.key   = "blood";
    blood.pools = {art, vein};
    if (albumin_density > 0)
      {
        blood.pools.push_back(blood_pools[blood_pools.size() - 2]);
        blood.pools.push_back(blood_pools.back());
      }
    tissue_list.push_back(blood);
    for (auto &t : organs)
      tissue_list.push_back(t);
    Tissue u;
    u.key   = "urine";
    u.pools = {urine};
    tissue_list.push_back(u);

    std::vector<unsigned int> lesion_all_pools;
    std::set<std::string>     lesion_keys;
    for (const unsigned int i : lesion_tissues)
      for (const unsigned int p : organs[i].pools)
        lesion_all_pools.push_back(p);
    for (const auto &l : lesions)
      lesion_keys.insert(l.name);
    add_accumulators(lesion_all_pools, lesion_keys, marrow_absorbed_fraction * bone_lesion_fraction);
  }

  void WholeBodyModel::add_accumulators(const std::vector<unsigned int> &lesion_all_pools,
                                        const std::set<std::string> &lesion_keys, const double marrow_cross_fraction)
  {
    // Accumulators: time-integrated activity per tissue; dose and BED where a mass exists.
    for (auto &t : tissue_list)
      t.integral = net.add_integral(t.pools);
    const double per_nmol_Gy_per_min_kg =
      lambda * constants::avogadro_per_mol * 1e-9 * dosimetry.radionuclide().electron_energy_keV * constants::joule_per_keV;
    for (auto &t : tissue_list)
      {
        if (t.mass_kg <= 0)
          continue;
        std::vector<std::pair<unsigned int, double>> w;
        for (const unsigned int p : t.pools)
          w.emplace_back(p, per_nmol_Gy_per_min_kg / t.mass_kg);
        if (t.key == "red_marrow")
          {
            for (const unsigned int p : lesion_all_pools)
              w.emplace_back(p, marrow_cross_fraction * per_nmol_Gy_per_min_kg / t.mass_kg);
            coupled_indices.marrow_weight_Gy_per_min_per_nmol =
              marrow_cross_fraction * per_nmol_Gy_per_min_kg / t.mass_kg;
          }
        const TissueRadiobiology *rb =
          dosimetry.radiobiology(lesion_keys.count(t.key) ? std::string("tumour") : t.key);
        double mu = 0;
        if (rb != nullptr)
          {
            t.alpha_beta_Gy = rb->alpha_beta_Gy;
            mu              = std::log(2.0) / (rb->repair_half_time_h * 60.0);
          }
        t.dose_tracker = net.add_dose_tracker(w, mu);
        if (t.key == "red_marrow")
          coupled_indices.marrow_tracker = t.dose_tracker;
      }
    if (coupled_lesion)
      coupled_indices.mean_integral = net.add_amount_integral(coupled_indices.vascular);
  }

  void WholeBodyModel::set_coupled_lesion(const CoupledLesion &lesion)
  {
    for (const auto &l : lesions)
      if (l.name == lesion.name)
        throw InputError("the coupled lesion's name '" + lesion.name +
                         "' is also the name of a lesion in 'Whole body/Lesions/Lesions'");
    coupled_lesion = lesion;
    build();
  }

  void WholeBodyModel::set_coupling_rates(const std::array<std::array<double, 2>, 2> &uptake,
                                          const double marrow_rate)
  {
    for (unsigned int sp = 0; sp < 2; ++sp)
      for (unsigned int sp2 = 0; sp2 < 2; ++sp2)
        net.set_linear_flux_rate(coupled_indices.uptake_flux[sp][sp2], -uptake[sp][sp2]);
    if (coupled_indices.marrow_tracker >= 0)
      net.set_external_dose_rate(coupled_indices.marrow_tracker, marrow_rate);
  }

  std::pair<double, double> WholeBodyModel::radiobiology_of(const std::string &key) const
  {
    const TissueRadiobiology *rb = dosimetry.radiobiology(key);
    return rb == nullptr ? std::make_pair(0.0, 0.0) : std::make_pair(rb->alpha_beta_Gy, rb->repair_half_time_h);
  }

  bool WholeBodyModel::is_lesion(const std::string &key) const
  {
    if (imported)
      return imported->is_lesion(key) || (coupled_lesion && coupled_lesion->name == key);
    return std::any_of(lesions.begin(), lesions.end(), [&](const Lesion &l) { return l.name == key; }) ||
           (coupled_lesion && coupled_lesion->name == key);
  }

  double WholeBodyModel::total_ligand(const std::vector<double> &y) const
  {
    double sum = 0;
    for (unsigned int p = 0; p < net.n_pools(); ++p)
      sum += y[net.amount(p, CompartmentNetwork::hot)] + y[net.amount(p, CompartmentNetwork::cold)];
    return sum;
  }

  double WholeBodyModel::hot_plus_decayed(const std::vector<double> &y) const
  {
    double sum = y[net.decayed()];
    for (unsigned int p = 0; p < net.n_pools(); ++p)
      sum += y[net.amount(p, CompartmentNetwork::hot)];
    return sum;
  }

  WholeBodyModel::Result WholeBodyModel::run() const
  {
    return run(std::vector<double>());
  }

  WholeBodyModel::Result WholeBodyModel::run(const std::vector<double> &output_times_h) const
  {
    const auto start = std::chrono::steady_clock::now();
    Result     result;
    NetworkIntegrator integrator(net, rtol, atol, 1000000, linear_solver);
    ProtocolTargets   targets;
    targets.hot  = net.amount(vein, CompartmentNetwork::hot);
    targets.cold = net.amount(vein, CompartmentNetwork::cold);
    std::vector<double> y0(net.n_states(), 0.0);
    if (imported)
      imported_initial_state(y0, targets);
    const double end_h = output_times_h.empty() ? duration : output_times_h.back();
    integrate_protocol(integrator, injections, end_h,
                       output_times_h.empty() ? regular_output_times(duration, output_interval) : output_times_h,
                       targets, y0, result.times_h, result.states);
    result.steps           = integrator.n_steps();
    result.rhs_evaluations = integrator.n_rhs_evaluations();
    result.jacobian_evaluations = integrator.n_jacobian_evaluations();
    result.linear_solver_setups = integrator.n_linear_solver_setups();
    result.wall_time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  std::vector<std::pair<WholeBodyModel::Adjustable, double *>> WholeBodyModel::adjustable_members()
  {
    std::vector<std::pair<Adjustable, double *>> out = {
      {{"kidney_receptor_density", "nmol/L", "Whole body/Receptor densities/Kidney [nmol L^-1]"}, &rden_kidney},
      {{"salivary_receptor_density", "nmol/L", "Whole body/Receptor densities/Salivary glands [nmol L^-1]"}, &rden_sg},
      {{"prostate_receptor_density", "nmol/L", "Whole body/Receptor densities/Prostate [nmol L^-1]"}, &rden_prostate},
      {{"liver_receptor_density", "nmol/L", "Whole body/Receptor densities/Liver [nmol L^-1]"}, &rden_liver},
      {{"spleen_receptor_density", "nmol/L", "Whole body/Receptor densities/Spleen [nmol L^-1]"}, &rden_spleen},
      {{"GI_receptor_density", "nmol/L", "Whole body/Receptor densities/GI [nmol L^-1]"}, &rden_gi},
      {{"kidney_release_rate", "1/min", "Whole body/Release rates/Kidney [min^-1]", 1}, &release_kidney},
      {{"salivary_release_rate", "1/min", "Whole body/Release rates/Salivary glands [min^-1]", 1}, &release_sg},
      {{"other_release_rate", "1/min", "Whole body/Release rates/Other organs [min^-1]", 1}, &release_other},
      {{"GFR", "L/min", "Whole body/Patient/GFR [L min^-1]", 0.5}, &gfr_L_per_min},
      {{"internalisation_rate", "1/min", "Whole body/Binding/Internalisation rate lambda_int [min^-1]", 10}, &lambda_int}};
    for (auto &l : lesions)
      {
        out.push_back({{l.name + "_receptor_density", "nmol/L", "Whole body/Lesions/Lesions (" + l.name + ", 2nd)"}, &l.rden});
        out.push_back({{l.name + "_perfusion", "mL/(min g)", "Whole body/Lesions/Lesions (" + l.name + ", 3rd)", 10},
                       &l.perfusion_per_min});
      }
    return out;
  }

  std::vector<WholeBodyModel::Adjustable> WholeBodyModel::adjustable_parameters() const
  {
    std::vector<Adjustable> out;
    for (const auto &[a, value] : const_cast<WholeBodyModel &>(*this).adjustable_members())
      out.push_back(a);
    return out;
  }

  std::pair<WholeBodyModel::Adjustable, double *> WholeBodyModel::adjustable(const std::string &name)
  {
    if (imported)
      throw std::invalid_argument("the parameters of a model imported from SBML cannot be adjusted ('" + name + "')");
    const auto all = adjustable_members();
    for (const auto &member : all)
      if (member.first.name == name)
        return member;
    std::string known;
    for (const auto &[a, value] : all)
      known += (known.empty() ? "" : ", ") + a.name;
    throw std::invalid_argument("'" + name + "' is not an adjustable parameter of the whole-body model (" + known + ")");
  }

  double WholeBodyModel::parameter(const std::string &name) const
  {
    return *const_cast<WholeBodyModel &>(*this).adjustable(name).second;
  }

  void WholeBodyModel::set_parameter(const std::string &name, const double value)
  {
    const auto [a, v] = adjustable(name);
    if (!(value >= 0 && value <= a.upper) || (name.find("_perfusion") != std::string::npos && value <= 0))
      throw std::invalid_argument("'" + name + "' = " + std::to_string(value) + " is outside its range [0, " +
                                  std::to_string(a.upper) + "]");
    *v = value;
    build();
  }

  std::vector<std::pair<std::string, double>> WholeBodyModel::lesion_volumes_L() const
  {
    std::vector<std::pair<std::string, double>> out;
    for (const auto &l : lesions)
      out.emplace_back(l.name, l.volume_L);
    return out;
  }

  void WholeBodyModel::set_lesion_volume(const std::string &name, const double volume_L, const std::string &like)
  {
    if (!(volume_L > 0))
      throw std::invalid_argument("lesion '" + name + "': the volume must be > 0");
    auto it = std::find_if(lesions.begin(), lesions.end(), [&](const Lesion &l) { return l.name == name; });
    if (it == lesions.end())
      {
        const auto model = std::find_if(lesions.begin(), lesions.end(), [&](const Lesion &l) { return l.name == like; });
        if (model == lesions.end())
          throw std::invalid_argument("lesion '" + name + "': no lesion '" + like + "' to take its properties from");
        Lesion l = *model;
        l.name   = name;
        lesions.push_back(l);
        it = std::prev(lesions.end());
      }
    it->volume_L = volume_L;
    build();
  }

  const WholeBodyModel::Tissue *WholeBodyModel::tissue(const std::string &key) const
  {
    for (const auto &t : tissue_list)
      if (t.key == key)
        return &t;
    return nullptr;
  }

  std::array<double, 2> WholeBodyModel::dose_terms(const Tissue &t, const std::vector<double> &y) const
  {
    if (t.dose_tracker < 0)
      return {{0, 0}};
    const unsigned int d = net.dose(t.dose_tracker);
    return {{y[d], y[d + 2]}};
  }

  std::string WholeBodyModel::lesion_entry(const std::string &without) const
  {
    std::ostringstream out;
    out << std::setprecision(10);
    for (const auto &l : lesions)
      if (l.name != without)
        out << (out.tellp() > 0 ? "; " : "") << l.name << ": " << l.volume_L << ", " << l.rden << ", "
            << l.perfusion_per_min << ", " << l.kps_per_min << ", " << l.release_per_min;
    return out.str();
  }

  std::pair<double, double> WholeBodyModel::lesion_perfusion_and_release(const std::string &name) const
  {
    for (const auto &l : lesions)
      if (l.name == name)
        return {l.perfusion_per_min, l.release_per_min};
    throw std::invalid_argument("no lesion '" + name + "' in 'Whole body/Lesions/Lesions'");
  }

  double WholeBodyModel::cycle_activity_MBq() const
  {
    double hot = 0;
    for (const auto &i : cycle_injections)
      hot += i.hot_nmol;
    return hot * activity_MBq_per_nmol();
  }

  void WholeBodyModel::set_plan(const std::vector<double> &activities_MBq, const double interval_h,
                                const bool fixed_peptide)
  {
    double hot = 0, cold = 0;
    for (const auto &i : cycle_injections)
      {
        hot += i.hot_nmol;
        cold += i.cold_nmol;
      }
    const double reference_MBq = hot * activity_MBq_per_nmol();
    std::vector<std::array<double, 2>> scale;
    for (const double a : activities_MBq)
      {
        const double f = a / reference_MBq;
        if (!(f >= 0))
          throw std::invalid_argument("a cycle's activity must be >= 0");
        if (fixed_peptide && f * hot > hot + cold)
          throw std::invalid_argument("a cycle of " + std::to_string(a) + " MBq needs more ligand than the fixed peptide "
                                      "amount of one cycle holds");
        // Fixed peptide: cold = (hot + cold) - f hot of the reference, in the same proportions.
        scale.push_back({{f, fixed_peptide ? (cold > 0 ? (hot + cold - f * hot) / cold : 0.0) : f}});
      }
    cycles         = activities_MBq.size();
    cycle_interval = interval_h;
    injections     = InjectionProtocol(cycle_injections, scale, interval_h);
  }

  void WholeBodyModel::set_cycles(const unsigned int n_cycles, const double interval_h)
  {
    cycles         = n_cycles;
    cycle_interval = interval_h;
    injections     = InjectionProtocol(cycle_injections, cycles, cycle_interval);
  }
} // namespace radiotwin
