// RadioTwin: the ParaView time-series records (.pvd) of a run's output folder, written
// atomically (physics/base/atomic_file.h).
#pragma once

#include <mpi.h>

#include <string>
#include <utility>
#include <vector>

#include "physics/base/atomic_file.h"

namespace radiotwin
{
  /// The ParaView time-series record (.pvd) of one output stream: one entry per output time,
  /// rewritten atomically after each one so the record is always complete.
  class PvdRecord
  {
  public:
    PvdRecord(std::string directory, std::string name);
    /// Add (time [unit of the record], .pvtu path relative to the directory); rank 0 writes.
    void add(const double time, const std::string &pvtu, MPI_Comm comm);
    std::string path() const { return directory + "/" + name + ".pvd"; }
    /// (time, file) entries so far, for checkpoints; restore() sets them at a restart and
    /// rewrites the record (dropping entries a killed run wrote after its checkpoint).
    const std::vector<std::pair<double, std::string>> &entries_so_far() const { return entries; }
    void restore(std::vector<std::pair<double, std::string>> e, MPI_Comm comm);

  private:
    void write(MPI_Comm comm) const;

    std::string                                  directory, name;
    std::vector<std::pair<double, std::string>> entries;
  };
} // namespace radiotwin
