// RadioTwin: `radiotwin pbrpk FILE.prm`, the whole-body model on its own: time_activity.csv,
// receptor_occupancy.csv and summary.json (doses, BED) of one patient and protocol.
#include "coupling/app/pbrpk.h"

#include <deal.II/base/mpi.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/version.h"
#include "physics/tissue_dosimetry.h"

namespace radiotwin
{
  using namespace dealii;

  void declare_pbrpk_parameters(ParameterHandler &prm)
  {
    TissueDosimetry::declare_parameters(prm);
    WholeBodyModel::declare_parameters(prm);
    declare_output_directory(prm);
  }

  int run_pbrpk(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
  {
    WholeBodyModel model;
    model.parse_parameters(prm, file);
    const std::string directory = output_directory(prm, file);

    const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
    if (root)
      std::cout << "RadioTwin " << version_string() << " | whole-body PBRPK | "
                << file.filename() << "\n  " << model.network().n_pools() << " pools, "
                << model.network().n_states() << " states, " << model.protocol().size()
                << " injection(s), " << model.injected_hot_nmol() * model.activity_MBq_per_nmol()
                << " MBq" << std::endl;
    // The ODE system is small: every rank computes it, rank 0 writes.
    const auto result = model.run();
    if (root)
      {
        std::ostringstream os;
        prm.print_parameters(os, ParameterHandler::ShortPRM);
        prepare_output_folder(directory, file, os.str());
        const Json summary = model.write_outputs(result, directory);
        write_file_atomically(directory + "/summary.json", dump_json(summary)); // last
        std::cout << "  integrated " << result.times_h.back() << " h in " << result.steps
                  << " CVODE steps, " << std::setprecision(3) << result.wall_time_s << " s\n"
                  << "Results: " << directory
                  << "/ (time_activity.csv, receptor_occupancy.csv, summary.json)" << std::endl;
      }
    return 0;
  }
} // namespace radiotwin
