#include "coupling/app/output_folder.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"

namespace radiotwin
{
  void declare_output_directory(ParameterSchema &prm)
  {
    prm.enter_subsection("Output");
    prm.declare_entry("Directory", "", patterns::Anything(),
                      "Folder for this run's results (created if missing; relative to the "
                      "working directory). Empty: results/<name of the parameter file>.");
    prm.declare_entry("Plots", "true", patterns::Selection("true|false"),
                      "After the run, draw its standard pictures with Python 3 and matplotlib "
                      "(time_activity.png: the organs' and lesions' time-activity curves, "
                      "postprocessing/plot_tacs.py). Changes no result; without matplotlib a "
                      "warning.");
    prm.leave_subsection();
  }

  bool output_plots(ParameterReader &prm)
  {
    prm.enter_subsection("Output");
    const bool plots = prm.get("Plots") == "true";
    prm.leave_subsection();
    return plots;
  }

  namespace
  {
    std::string shell_quoted(const std::string &text)
    {
      std::string quoted = "'";
      for (const char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      return quoted + "'";
    }
  } // namespace

  void draw_run_plots(const std::string &directory)
  {
    // What a run has -> the script that draws it -> the picture.
    struct Plot
    {
      const char *input, *script, *picture;
    };
    for (const Plot &plot : {Plot{"time_activity.csv", "plot_tacs.py", "time_activity.png"},
                             Plot{"fitted_curves.csv", "plot_tac_fits.py", "tac_fits.png"},
                             Plot{"truth.json", "plot_phantom.py", "phantom.png"},
                             Plot{"calibration.json", "plot_calibration.py", "calibration_fits.png"},
                             Plot{"calibration.json", "twin_report.py", "report.md"},
                             Plot{"plan.csv", "plot_plan.py", "plan.png"}})
      {
        if (!std::filesystem::exists(directory + "/" + plot.input))
          continue;
        const char *      python_env = std::getenv("RADIOTWIN_PYTHON");
        const std::string python     = python_env && *python_env ? python_env : RADIOTWIN_PLOT_PYTHON;
        const std::string script     = std::string(RADIOTWIN_POSTPROCESSING_DIR) + "/" + plot.script;
        if (!std::filesystem::exists(script))
          {
            std::cout << "  warning: no plots: " << script << " is missing" << std::endl;
            continue;
          }
        const std::string command = shell_quoted(python) + " " + shell_quoted(script) + " " +
                                    shell_quoted(directory) + " > " + shell_quoted(directory + "/plots.log") +
                                    " 2>&1";
        std::cout << std::flush;
        const int status = std::system(command.c_str());
        if (status == 0)
          std::cout << "  plot: " << directory << "/" << plot.picture << std::endl;
        else
          std::cout << "  warning: no " << plot.picture << " (" << python << " " << script << " failed; see "
                    << directory << "/plots.log, or set Output/Plots = false)" << std::endl;
      }
  }

  std::string output_directory(ParameterReader &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Output");
    const std::string directory = prm.get("Directory");
    prm.leave_subsection();
    return directory.empty() ? "results/" + std::filesystem::path(file.filename()).stem().string() : directory;
  }

  void prepare_output_folder(const std::string &directory, const ParameterFile &file,
                             const std::string &parameters_text)
  {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec || !std::filesystem::is_directory(directory))
      throw InputError(file.locate("Output/Directory").describe() + ": cannot create the output directory '" +
                       directory + "'");
    std::filesystem::remove(directory + "/summary.json", ec);
    write_file_atomically(directory + "/parameters.prm", parameters_text);
  }
} // namespace radiotwin
