// RadioTwin command line:
//   radiotwin [pbrpk] [--help] [--version] [--print-parameters[=prm|json]] FILE.prm|FILE.json
//             [--set "Section/Sub/Name=value" ...] [--resume DIR]
// "pbrpk" runs the whole-body model on its own (its own parameter set).
// Exit status: 0 success, 1 bad input (one message naming file, line and parameter),
// 2 a failure during the run, 75 stopped by SIGTERM/SIGUSR1 after writing a checkpoint.
#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <sstream>

#include "physics/base/input_error.h"
#include "physics/base/parameter_file.h"
#include "coupling/app/simulator.h"
#include "physics/base/version.h"
#include "coupling/app/pbrpk.h"
#include "coupling/app/optimise.h"
#include "coupling/app/phantom.h"
#include "coupling/app/twin.h"

namespace
{
  const char *usage =
    "Usage: radiotwin [--help] [--version] [--print-parameters[=prm|json]] FILE.prm|FILE.json\n"
    "                 [--set \"Section/Sub/Name=value\" ...] [--resume DIR]\n"
    "       mpirun -np N radiotwin FILE.prm\n"
    "       radiotwin pbrpk [options] FILE.prm\n"
    "       radiotwin twin [options] FILE.prm\n"
    "       radiotwin phantom [options] FILE.prm\n"
    "       radiotwin optimise [options] FILE.prm\n"
    "\n"
    "Runs the simulation described by the parameter file and writes its results to\n"
    "'Output/Directory' (default results/<FILE>): radiotwin.pvd (open in ParaView),\n"
    "summary.json, radial_profile.csv, parameters.prm.\n"
    "'pbrpk' runs the whole-body PBRPK model alone: time_activity.csv,\n"
    "receptor_occupancy.csv, summary.json (doses, BED); its parameters: radiotwin pbrpk\n"
    "--print-parameters.\n"
    "'twin' fits a patient's measured time-activity points per organ and lesion\n"
    "(sums of exponentials, AICc) and writes the classical dose table: dose_table.csv,\n"
    "fitted_curves.csv, summary.json; its parameters: radiotwin twin --print-parameters.\n"
    "'phantom' writes a synthetic patient: SPECT images (NIfTI) from the whole-body model,\n"
    "its label map, the true TIAs and a twin parameter file for it.\n"
    "'optimise' chooses the activity of each cycle that maximises the lesions' BED under\n"
    "organ-at-risk limits (plan.csv, pareto_front.csv, summary.json).\n"
    "\n"
    "  --help                    this text\n"
    "  --version                 version and git revision\n"
    "  --print-parameters[=FMT]  print every parameter with its unit, range and default\n"
    "                            (FMT prm or json; with FILE: the values FILE sets) and exit\n"
    "  --set \"A/B/Name=value\"    override one parameter of FILE (may be repeated)\n"
    "  --resume DIR              continue the run whose output folder is DIR from its\n"
    "                            newest valid checkpoint (DIR/checkpoints/), on any number\n"
    "                            of ranks; FILE and --set must give the same parameters\n"
    "\n"
    "Checkpoints: 'Checkpoint/Every N steps', 'Checkpoint/Every T minutes [min]'; SIGTERM\n"
    "or SIGUSR1 writes one at the end of the current step and stops with status 75.\n"
    "\n"
    "Exit status: 0 success, 1 bad input, 2 failure during the run, 75 stopped after a\n"
    "checkpoint (resume it).\n";

  struct CommandLine
  {
    bool                     help = false, version = false, pbrpk = false, twin = false, phantom = false, optimise = false;
    std::string              print_format; ///< empty: run
    std::string              file;
    std::vector<std::string> overrides;
    std::string              resume; ///< output folder to resume, or empty
  };

  /// The command line, read by CLI11. "pbrpk" is a subcommand with the same options.
  CommandLine parse(int argc, char **argv)
  {
    CommandLine cl;
    CLI::App    app("RadioTwin", "radiotwin");
    app.set_help_flag(); // our own usage text
    CLI::App *pbrpk = app.add_subcommand("pbrpk", "the whole-body PBRPK model alone");
    CLI::App *twin  = app.add_subcommand("twin", "the patient twin: classical dosimetry from time-activity points");
    CLI::App *phantom = app.add_subcommand("phantom", "a synthetic patient: SPECT images from the whole-body model");
    CLI::App *optimise = app.add_subcommand("optimise", "the radiobiological optimiser of activities per cycle");
    std::string print_format;
    const auto  add_options = [&](CLI::App &a) {
      a.add_flag("-h,--help", cl.help);
      a.add_flag("--version", cl.version);
      // A value only with '=': "--print-parameters FILE.prm" leaves FILE to the positional.
      a.add_flag("--print-parameters{prm}", print_format)->check(CLI::IsMember({"prm", "json"}));
      // One value per occurrence: "--set A=1 FILE.prm" leaves FILE to the positional.
      a.add_option("--set", cl.overrides)
        ->type_name("\"Section/Sub/Name=value\"")
        ->allow_extra_args(false)
        ->take_all();
      a.add_option("--resume", cl.resume)->type_name("DIR");
      a.add_option("file", cl.file)->type_name("FILE.prm|FILE.json");
    };
    add_options(app);
    add_options(*pbrpk);
    add_options(*twin);
    add_options(*phantom);
    add_options(*optimise);
    try
      {
        app.parse(argc, argv);
      }
    catch (const CLI::ParseError &e)
      {
        throw radiotwin::InputError("command line: " + std::string(e.what()) + " (see radiotwin --help)");
      }
    cl.pbrpk = pbrpk->parsed();
    cl.twin    = twin->parsed();
    cl.phantom  = phantom->parsed();
    cl.optimise = optimise->parsed();
    const CLI::App &used = cl.pbrpk ? *pbrpk : cl.twin ? *twin : cl.phantom ? *phantom : cl.optimise ? *optimise : app;
    cl.print_format = print_format;
    if (used.count("--resume") > 0 && cl.resume.empty())
      throw radiotwin::InputError("--resume needs the output folder of the run to continue");
    return cl;
  }

} // namespace

int main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, dealii::numbers::invalid_unsigned_int);
  const MPI_Comm comm = MPI_COMM_WORLD;
  const bool     root = dealii::Utilities::MPI::this_mpi_process(comm) == 0;
  // Outlives the try block: its members must not be destroyed while an exception is in
  // flight (deal.II's TimerOutput would print a warning then).
  std::unique_ptr<radiotwin::Simulator> simulator;

  try
    {
      const CommandLine cl = parse(argc, argv);
      if (cl.help)
        {
          if (root)
            std::cout << usage;
          return 0;
        }
      if (cl.version)
        {
          if (root)
            std::cout << "radiotwin " << radiotwin::version_string() << " (deal.II "
                      << DEAL_II_PACKAGE_VERSION << ")" << std::endl;
          return 0;
        }

      dealii::ParameterHandler prm;
      if (cl.pbrpk)
        radiotwin::declare_pbrpk_parameters(prm);
      else if (cl.twin)
        radiotwin::declare_twin_parameters(prm);
      else if (cl.phantom)
        radiotwin::declare_phantom_parameters(prm);
      else if (cl.optimise)
        radiotwin::declare_optimise_parameters(prm);
      else
        radiotwin::Simulator::declare_parameters(prm);
      radiotwin::ParameterFile file;
      if (!cl.file.empty())
        file.read(prm, cl.file, cl.overrides);
      else if (cl.print_format.empty())
        throw radiotwin::InputError("no parameter file given (see radiotwin --help)");
      else if (!cl.overrides.empty())
        throw radiotwin::InputError("--set needs a parameter file to override");

      if (!cl.print_format.empty())
        {
          if (root)
            prm.print_parameters(std::cout, cl.print_format == "json" ?
                                              dealii::ParameterHandler::JSON :
                                              dealii::ParameterHandler::PRM);
          return 0;
        }

      if (cl.pbrpk)
        {
          if (!cl.resume.empty())
            throw radiotwin::InputError("--resume: the whole-body model alone writes no checkpoints "
                                        "(it runs in seconds); run it again");
          return radiotwin::run_pbrpk(comm, prm, file);
        }
      if (cl.twin)
        {
          if (!cl.resume.empty())
            throw radiotwin::InputError("--resume: the twin's dosimetry writes no checkpoints (it runs in "
                                        "seconds); run it again");
          return radiotwin::run_twin(comm, prm, file);
        }
      if (cl.phantom)
        {
          if (!cl.resume.empty())
            throw radiotwin::InputError("--resume: the phantom writes no checkpoints; run it again");
          return radiotwin::run_phantom(comm, prm, file);
        }
      if (cl.optimise)
        {
          if (!cl.resume.empty())
            throw radiotwin::InputError("--resume: the optimiser writes no checkpoints; run it again");
          return radiotwin::run_optimise(comm, prm, file);
        }
      simulator = std::make_unique<radiotwin::Simulator>(comm, prm, file);
      if (!cl.resume.empty())
        simulator->resume_from(cl.resume);
      return simulator->run() == radiotwin::Simulator::Outcome::complete ?
               0 :
               radiotwin::exit_status_checkpointed;
    }
  catch (const radiotwin::InputError &e)
    {
      // Input is read identically on every rank, so every rank gets here: report once.
      if (root)
        std::cerr << "radiotwin: error: " << e.what() << std::endl;
      return 1;
    }
  catch (const dealii::ExceptionBase &e)
    {
      std::cerr << "radiotwin: run failed: " << radiotwin::exception_text(e) << std::endl;
    }
  catch (const std::exception &e)
    {
      std::cerr << "radiotwin: run failed: " << e.what() << std::endl;
    }
  // A failure during the run may have reached only some ranks: do not wait for the others.
  if (dealii::Utilities::MPI::n_mpi_processes(comm) > 1)
    MPI_Abort(comm, 2);
  return 2;
}
