// RadioTwin: a whole-body model imported from SBML ('Whole body/Model = sbml'), and the
// export of the native model to SBML (docs/sbml.md).
//
// The imported model becomes the kinetics of the whole-body CompartmentNetwork: its ligand
// species are the hot and cold amounts of pools ('Hot cold pairs'), its other variables
// extra states. Everything else is the native model's: RadioTwin's injections, decay where
// asked, accumulators (time-integrated activity, absorbed dose, Lea-Catcheside BED), the
// meshed lesion of a coupled run (a plasma pool fed from the mapped plasma species), the
// CVODE integrator and the outputs (time_activity.csv, summary.json).
//
// The mapping in 'Whole body/SBML' says which species receive the hot and cold injections,
// which are the plasma the meshed lesion exchanges with, which species form each organ or
// lesion (with its mass), how decay is represented, and the model's units.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "coupling/sbml_model.h"
#include "physics/base/parameter_file.h"

namespace radiotwin
{
  class WholeBodyModel;

  class SbmlMapping
  {
  public:
    /// 'Whole body/Model' and the 'Whole body/SBML' subsection (declared by WholeBodyModel).
    static void declare_parameters(ParameterSchema &prm);
    /// Read 'Whole body/SBML' (enters the sections itself) and the SBML file, and check every
    /// species the mapping names. @p body: the injections it must receive. Bad input throws
    /// InputError naming the parameter (or the SBML file and element).
    SbmlMapping(ParameterReader &prm, const ParameterFile &file, const WholeBodyModel &body);

    std::shared_ptr<const SbmlModel> model;
    double min_per_model_time = 1, nmol_per_model_amount = 1, litre_per_model_volume = 1;
    std::string hot_injection, cold_injection;           ///< species ids (cold may be empty)
    std::string arterial_plasma, venous_plasma;          ///< for a coupled run (may be empty)
    std::vector<std::pair<std::string, std::string>> pairs; ///< (hot, cold or empty)
    struct Tissue
    {
      std::string              key;
      std::vector<std::string> species; ///< hot species
      double                   mass_kg = 0;
    };
    std::vector<Tissue>   tissues;
    std::set<std::string> lesions;
    std::string           urine; ///< hot species (its pair's cold counts too), or empty
    bool                  decay_added = false;
    double                marrow_cross_fraction = 0;

    bool is_lesion(const std::string &key) const { return lesions.count(key) > 0; }
  };

  /// Write the native whole-body model @p body as SBML Level 3 (@p xml_path) and a parameter
  /// file that runs it with the same patient, protocol and mapping (@p prm_path; the SBML file
  /// named relative to it). @p parameters_text: the run's parameters (ShortPRM), copied in.
  void export_sbml(const WholeBodyModel &body, const std::string &xml_path,
                   const std::string &prm_path, const std::string &parameters_text);
} // namespace radiotwin
