// RadioTwin: files of a run's output folder. Every file a user or a script reads as a whole
// (summary, CSV, .pvd record) is written atomically: to a temporary name, then renamed.
#pragma once

#include <mpi.h>

#include <string>
#include <utility>
#include <vector>

namespace radiotwin
{
  /// Write @p content to @p path atomically (temporary file + rename). Throws on failure.
  void write_file_atomically(const std::string &path, const std::string &content);

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
