// RadioTwin: the model-based part of `radiotwin twin` (docs/twin.md, issue 20): the
// whole-body model calibrated to the patient's measured curves ('Twin/Calibration'), its
// identifiability report, and the predicted doses of the next cycles with uncertainty bands.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <map>
#include <string>
#include <vector>

#include "coupling/tac_fit.h"
#include "physics/base/json.h"
#include "physics/base/parameter_file.h"

namespace radiotwin
{
  class WholeBodyModel;

  /// Declares the 'Calibration' subsection (inside 'Twin').
  void declare_twin_calibration_parameters(dealii::ParameterHandler &prm);

  /// What the twin measured: per region (label name or table key) its points, and the
  /// regions' masses [kg] (segmented or given) and which regions are lesions.
  struct TwinMeasurements
  {
    std::map<std::string, std::vector<TacPoint>> curves;
    std::map<std::string, double>                masses_kg;
    std::vector<std::string>                     lesions;
    double                                       injected_MBq = 0;
    std::string                                  source; ///< for messages
  };

  /// The model tissue a region's name stands for: kidney* -> kidney, salivary*, parotid*,
  /// submandibular* -> salivary_glands, liver*, spleen*, prostate*, a lesion -> itself;
  /// otherwise empty.
  std::string model_tissue_of_region(const std::string &region, const std::vector<std::string> &lesions);

  /// With 'Twin/Calibration/Parameters' set: calibrate, predict and write calibration.json,
  /// calibration_data.csv, calibrated_curves.csv and predicted_cycles.csv to @p directory
  /// (on @p root). Returns the summary entry, or null when nothing is calibrated.
  /// @p calibrated_model (when not null) receives the calibrated model.
  Json run_twin_calibration(dealii::ParameterHandler &prm, const ParameterFile &file, const TwinMeasurements &m,
                            const std::string &directory, bool root, WholeBodyModel *calibrated_model = nullptr);
} // namespace radiotwin
