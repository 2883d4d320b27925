#include "postprocessing/output_files.h"

#include <deal.II/base/data_out_base.h>
#include <deal.II/base/mpi.h>

#include <cstdio>
#include <sstream>

namespace radiotwin
{
  PvdRecord::PvdRecord(std::string directory, std::string name)
    : directory(std::move(directory))
    , name(std::move(name))
  {}

  void PvdRecord::add(const double time, const std::string &pvtu, MPI_Comm comm)
  {
    entries.emplace_back(time, pvtu);
    write(comm);
  }

  void PvdRecord::restore(std::vector<std::pair<double, std::string>> e, MPI_Comm comm)
  {
    entries = std::move(e);
    if (!entries.empty())
      write(comm);
    else if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      std::remove(path().c_str());
  }

  void PvdRecord::write(MPI_Comm comm) const
  {
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      {
        std::ostringstream os;
        dealii::DataOutBase::write_pvd_record(os, entries);
        write_file_atomically(path(), os.str());
      }
  }
} // namespace radiotwin
