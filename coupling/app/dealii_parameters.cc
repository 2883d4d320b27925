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
