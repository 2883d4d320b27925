// RadioTwin: `radiotwin pbrpk FILE.prm`, the whole-body model on its own: time_activity.csv,
// receptor_occupancy.csv and summary.json (doses, BED) of one patient and protocol.
#include "coupling/app/pbrpk.h"

#include <iomanip>
#include <iostream>

#include "coupling/app/output_folder.h"
#include "coupling/sbml_whole_body.h"
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
    prm.enter_subsection("Whole body");
    prm.enter_subsection("SBML");
    const bool export_sbml_files = prm.get("Export native model") == "true";
    prm.leave_subsection();
    prm.leave_subsection();
    if (model.imports_sbml() && export_sbml_files)
      file.fail("Whole body/SBML/Export native model", "only the native model can be exported");

    if (root)
      std::cout << "RadioTwin " << version_string() << " | whole-body PBRPK | "
                << file.filename() << "\n  " << (model.imports_sbml() ? model.describe_imported() + "\n  " : "")
                << model.network().n_pools() << " pools, "
                << model.network().n_states() << " states, " << model.protocol().size()
                << " injection(s), " << model.injected_hot_nmol() * model.activity_MBq_per_nmol()
                << " MBq" << std::endl;
    // The ODE system is small: every rank computes it, rank 0 writes.
    const auto result = model.run();
    if (root)
      {
        prepare_output_folder(directory, file, parameters_text);
        const Json summary = model.write_outputs(result, directory);
        if (export_sbml_files)
          {
            export_sbml(model, directory + "/whole_body.xml", directory + "/whole_body_sbml.prm", parameters_text);
            std::cout << "  SBML: " << directory << "/whole_body.xml (run it: radiotwin pbrpk " << directory
                      << "/whole_body_sbml.prm)" << std::endl;
          }
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
