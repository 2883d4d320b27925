#include "coupling/app/output_folder.h"

#include <filesystem>

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
    prm.leave_subsection();
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
