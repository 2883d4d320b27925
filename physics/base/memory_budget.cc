#include "physics/base/memory_budget.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>

#include "physics/base/input_error.h"

namespace radiotwin
{
  namespace
  {
    /// A "Name:   value kB" line of a /proc file [MB]; negative if absent.
    double proc_field_MB(const char *file, const std::string &name)
    {
      std::ifstream in(file);
      std::string   line;
      while (std::getline(in, line))
        if (line.compare(0, name.size(), name) == 0 && line.size() > name.size() &&
            line[name.size()] == ':')
          return std::strtod(line.c_str() + name.size() + 1, nullptr) / 1024.0;
      return -1;
    }

    /// The cgroup (v2, else v1) memory limit minus its usage [MB]; infinite if none.
    double cgroup_available_MB()
    {
      const auto read_number = [](const char *file) {
        std::ifstream in(file);
        std::string   s;
        if (!(in >> s) || s == "max")
          return std::numeric_limits<double>::infinity();
        return std::strtod(s.c_str(), nullptr) / (1024.0 * 1024.0);
      };
      double limit = read_number("/sys/fs/cgroup/memory.max");
      double usage = read_number("/sys/fs/cgroup/memory.current");
      if (limit == std::numeric_limits<double>::infinity())
        {
          limit = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
          usage = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
        }
      if (limit > 1e12 || usage == std::numeric_limits<double>::infinity()) // v1's "no limit"
        return std::numeric_limits<double>::infinity();
      return std::max(0.0, limit - usage);
    }

    struct Limit
    {
      double      MB;
      std::string source;
    };

    Limit limit_per_rank(MPI_Comm comm)
    {
      if (const char *set = std::getenv("RADIOTWIN_MEMORY_PER_RANK_MB"))
        {
          char        *end = nullptr;
          const double MB  = std::strtod(set, &end);
          if (end == set || *end != '\0' || !(MB > 0))
            throw InputError("environment variable RADIOTWIN_MEMORY_PER_RANK_MB: '" +
                             std::string(set) + "' is not a positive number of megabytes");
          return {MB, "RADIOTWIN_MEMORY_PER_RANK_MB"};
        }
      MPI_Comm node;
      MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
      int ranks_on_node = 1;
      MPI_Comm_size(node, &ranks_on_node);
      MPI_Comm_free(&node);
      const double available = std::min(proc_field_MB("/proc/meminfo", "MemAvailable"),
                                        cgroup_available_MB());
      std::ostringstream source;
      source << "available memory of the node shared by " << ranks_on_node << " rank"
             << (ranks_on_node > 1 ? "s" : "");
      return {resident_memory_MB() + std::max(0.0, available) / ranks_on_node, source.str()};
    }
  } // namespace

  double resident_memory_MB()
  {
    return std::max(0.0, proc_field_MB("/proc/self/status", "VmRSS"));
  }

  double memory_limit_per_rank_MB(MPI_Comm comm)
  {
    return limit_per_rank(comm).MB;
  }

  void require_memory(const double estimated_MB_per_rank, const std::string &what,
                      const std::string &remedy, MPI_Comm comm)
  {
    const Limit mine = limit_per_rank(comm);
    // The largest estimate against the smallest limit: the rank that runs out first.
    double estimate = estimated_MB_per_rank, limit = mine.MB;
    MPI_Allreduce(MPI_IN_PLACE, &estimate, 1, MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(MPI_IN_PLACE, &limit, 1, MPI_DOUBLE, MPI_MIN, comm);
    if (estimate <= limit)
      return;
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    std::ostringstream message;
    message << std::fixed << std::setprecision(0) << what << " needs about " << estimate
            << " MB per rank, but the " << ranks << " rank" << (ranks > 1 ? "s have " : " has ")
            << limit << " MB" << (ranks > 1 ? " each" : "") << " (" << mine.source << "); "
            << remedy;
    throw InputError(message.str());
  }
} // namespace radiotwin
