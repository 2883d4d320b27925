// RadioTwin: the lesion PDE twin of `radiotwin twin` (docs/twin.md, issue 20 point 5): one
// segmented lesion becomes the meshed tumour of a coupled run - a hexahedral mesh of its voxels
// and of host tissue around them (smoothed), its measured uptake pattern as the receptor
// density map, the calibrated whole-body model around it - and the tumour's receptor density
// is scaled over a few coupled runs until the run reproduces the measured lesion curve.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "coupling/patient_images.h"
#include "coupling/tac_fit.h"
#include "physics/base/json.h"
#include "physics/base/parameter_file.h"

namespace radiotwin
{
  class WholeBodyModel;

  /// Declares the 'Lesion PDE' subsection (inside 'Twin').
  void declare_twin_lesion_parameters(dealii::ParameterHandler &prm);
  /// The lesion to mesh ('Twin/Lesion PDE/Lesion'), or empty.
  std::string twin_pde_lesion(dealii::ParameterHandler &prm);

  /// What the images gave: the label map with its names, the image used for the uptake
  /// pattern (the last one, Bq/mL) and the lesion's measured points (corrected activities).
  struct LesionImages
  {
    VoxelImage                 labels, uptake;
    std::map<int, std::string> names;
    std::vector<TacPoint>      points;
  };

  /// Mesh the lesion, write the coupled case (LESION_pde/coupled.prm, mesh.msh,
  /// receptor_map.vti) with @p calibrated around it, run and scale it, write lesion_pde.json.
  /// Returns the summary entry.
  Json run_twin_lesion(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file,
                       const std::string &lesion, const LesionImages &images, const WholeBodyModel &calibrated,
                       const std::string &directory, bool root);
} // namespace radiotwin
