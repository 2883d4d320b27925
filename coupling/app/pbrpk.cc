// RadioTwin: `radiotwin pbrpk FILE.prm`, the whole-body model on its own: time_activity.csv,
// receptor_occupancy.csv and summary.json (doses, BED) of one patient and protocol.
#include "coupling/app/pbrpk.h"

#include <iomanip>
#include <iostream>

#include "coupling/app/output_folder.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/version.h"
#include "physics/tissue_dosimetry.h"

namespace radiotwin
{
  void declare_pbrpk_parameters(ParameterSchema &schema)
  {
    TissueDosimetry::declare_parameters(schema);
    WholeBodyModel::declare_parameters(schema);
    declare_output_directory(schema);
  }

  int run_pbrpk(ParameterReader &prm, const ParameterFile &file,
                const std::string &parameters_text, const bool root)
  {
    WholeBodyModel model;
    model.parse_parameters(prm, file);
    const std::string directory = output_directory(prm, file);
    const bool        plots     = output_plots(prm);

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
        prepare_output_folder(directory, file, parameters_text);
        const Json summary = model.write_outputs(result, directory);
        write_file_atomically(directory + "/summary.json", dump_json(summary)); // last
        std::cout << "  integrated " << result.times_h.back() << " h in " << result.steps
                  << " CVODE steps (" << result.rhs_evaluations << " RHS, "
                  << result.jacobian_evaluations << " Jacobian evaluations, "
                  << result.linear_solver_setups << " factorisations), " << std::setprecision(3)
                  << result.wall_time_s << " s\n"
                  << "Results: " << directory
                  << "/ (time_activity.csv, receptor_occupancy.csv, summary.json)" << std::endl;
        if (plots)
          draw_run_plots(directory);
      }
    return 0;
  }
} // namespace radiotwin
