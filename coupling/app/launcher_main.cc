// RadioTwin: the `radiotwin` command. `radiotwin pbrpk FILE.prm [--set ...]` runs the
// whole-body model here, in a process that loads neither deal.II nor MPI (~10 shared
// libraries instead of ~220: loading deal.II's alone takes ~0.2 s, MPI_Init ~0.4 s, the
// model 0.02 s). Everything else - the meshed simulations, mpirun with several ranks,
// --help, --version, --print-parameters, JSON input, --resume, and any input this lean
// reader does not vouch for, bad input included - is handed to the full program
// `radiotwin-full` next to this executable by exec(): same process, same arguments, same
// output and exit status as before.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "coupling/app/pbrpk.h"
#include "physics/base/input_error.h"
#include "physics/base/parameter_file.h"
#include "physics/base/parameter_schema.h"

namespace
{
  /// The full program: radiotwin-full in this executable's folder.
  std::string full_program()
  {
    std::vector<char> buffer(4096);
    const ssize_t     n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    std::string       self = n > 0 ? std::string(buffer.data(), n) : std::string("radiotwin");
    const auto        slash = self.find_last_of('/');
    return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) +
           "/radiotwin-full";
  }

  [[noreturn]] void exec_full_program(char **argv)
  {
    const std::string full = full_program();
    execv(full.c_str(), argv);
    std::cerr << "radiotwin: run failed: cannot start the full program " << full << " ("
              << std::strerror(errno) << ")" << std::endl;
    std::exit(2);
  }

  /// Started by an MPI launcher with more than one rank: the full program's MPI driver runs
  /// it (every rank computes, rank 0 writes).
  bool several_mpi_ranks()
  {
    for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
      if (const char *v = std::getenv(name); v != nullptr && std::atoi(v) > 1)
        return true;
    return false;
  }

  /// `pbrpk FILE.prm [--set A/B=v | --set=A/B=v ...]`, nothing else; false otherwise.
  bool parse_lean_command_line(const int argc, char **argv, std::string &file,
                               std::vector<std::string> &overrides)
  {
    for (int i = 2; i < argc; ++i)
      {
        const std::string a = argv[i];
        if (a == "--set" && i + 1 < argc && argv[i + 1][0] != '-')
          overrides.emplace_back(argv[++i]);
        else if (a.rfind("--set=", 0) == 0)
          overrides.push_back(a.substr(6));
        else if (!a.empty() && a[0] != '-' && file.empty())
          file = a;
        else
          return false;
      }
    return !file.empty();
  }
} // namespace

int main(int argc, char **argv)
{
  std::string              file;
  std::vector<std::string> overrides;
  if (argc < 2 || std::string(argv[1]) != "pbrpk" || several_mpi_ranks() ||
      !parse_lean_command_line(argc, argv, file, overrides))
    exec_full_program(argv);

  radiotwin::ParameterSchema schema;
  radiotwin::declare_pbrpk_parameters(schema);
  radiotwin::ParameterValues values(schema);
  radiotwin::ParameterFile   parameter_file;
  try
    {
      parameter_file.read(values, file, overrides);
    }
  catch (const radiotwin::NeedsFullParameterHandler &)
    {
      exec_full_program(argv); // deal.II's verdict and message
    }

  try
    {
      std::ostringstream parameters;
      values.print_short_prm(parameters);
      return radiotwin::run_pbrpk(values, parameter_file, parameters.str(), true);
    }
  catch (const radiotwin::InputError &e)
    {
      std::cerr << "radiotwin: error: " << e.what() << std::endl;
      return 1;
    }
  catch (const std::exception &e)
    {
      std::cerr << "radiotwin: run failed: " << e.what() << std::endl;
      return 2;
    }
}
