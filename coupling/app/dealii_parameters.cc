// RadioTwin: the app layer's parameters in deal.II's ParameterHandler, and the pbrpk driver
// inside the full program (every MPI rank computes, rank 0 writes).
#include <deal.II/base/mpi.h>

#include <sstream>

#include "coupling/app/output_folder.h"
#include "coupling/app/pbrpk.h"

namespace radiotwin
{
  void declare_output_directory(dealii::ParameterHandler &prm)
  {
    ParameterSchema schema;
    declare_output_directory(schema);
    declare_schema(prm, schema);
  }

  std::string output_directory(dealii::ParameterHandler &prm, const ParameterFile &file)
  {
    DealiiParameterReader reader(prm);
    return output_directory(reader, file);
  }

  bool output_plots(dealii::ParameterHandler &prm)
  {
    DealiiParameterReader reader(prm);
    return output_plots(reader);
  }

  std::string short_prm(const dealii::ParameterHandler &prm)
  {
    std::ostringstream text;
    prm.print_parameters(text, dealii::ParameterHandler::ShortPRM);
    return text.str();
  }

  std::string prm_sections(const dealii::ParameterHandler &prm, const std::set<std::string> &drop)
  {
    std::istringstream all(short_prm(prm));
    std::string        line, kept;
    bool               keep = true;
    while (std::getline(all, line))
      {
        if (line.rfind("subsection ", 0) == 0)
          keep = !drop.count(line.substr(11));
        if (keep && !line.empty() && line[0] != '#')
          kept += line + "\n";
      }
    return kept;
  }

  void declare_pbrpk_parameters(dealii::ParameterHandler &prm)
  {
    ParameterSchema schema;
    declare_pbrpk_parameters(schema);
    declare_schema(prm, schema);
  }

  int run_pbrpk(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file)
  {
    DealiiParameterReader reader(prm);
    return run_pbrpk(reader, file, short_prm(prm),
                     dealii::Utilities::MPI::this_mpi_process(comm) == 0);
  }
} // namespace radiotwin
