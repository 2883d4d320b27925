// RadioTwin: will it fit? Estimates of the memory a mesh or a linear system will take, held
// against what the ranks have, before anything is allocated: a run too large for its ranks
// stops with one message (estimated and available MB per rank, the parameters to change)
// instead of being killed by the kernel or crashing in an allocation deep inside a library.
#pragma once

#include <mpi.h>

#include <string>

namespace radiotwin
{
  /// Resident memory of this process now [MB] (VmRSS).
  double resident_memory_MB();

  /// Memory one rank may use in all [MB]: what this process holds now plus its share of the
  /// node's available memory (MemAvailable, or the cgroup's limit when lower), split evenly
  /// over the ranks on the node. RADIOTWIN_MEMORY_PER_RANK_MB sets it instead (a batch
  /// system that grants less than the node has; tests).
  double memory_limit_per_rank_MB(MPI_Comm comm);

  /// Throws InputError when `estimated_MB_per_rank` (the largest rank's estimate of its
  /// total, resident memory included) exceeds memory_limit_per_rank_MB(): "<what> needs about
  /// E MB per rank, R ranks have L MB each (<source>); <remedy>". Collective.
  void require_memory(double estimated_MB_per_rank, const std::string &what,
                      const std::string &remedy, MPI_Comm comm);
} // namespace radiotwin
