// RadioTwin: checkpoint and restart (docs/checkpointing.md).
//
// A checkpoint is a folder <output>/checkpoints/step_NNNNNNNN/ holding
//   mesh, mesh.info, mesh_fixed.data  the p4est forest (refinement and partition) with the
//                                     nodal state vectors attached (SolutionTransfer), so a
//                                     run can continue on another number of ranks;
//   state.bin                         the serial state (time-step controller, whole-body ODE
//                                     state and records, accumulators, output bookkeeping),
//                                     a Boost binary archive written by rank 0;
//   parameters.json                   the run's parameters, "Section/Name" -> value (a resume
//                                     must use the same);
//   checkpoint.json                   the manifest, written last: format, step, time, ranks,
//                                     the state version of every model part, and the size
//                                     and CRC-32 (Boost.CRC) of every file.
// At restart the mesh is built from the parameters as in a fresh run (same cells, partition
// and cell order, so the same DoF numbering and bit-identical solves) and the saved forest's
// vectors are copied onto it cell by cell; on another number of ranks p4est repartitions.
// It is written under step_NNNNNNNN.tmp and renamed when complete, so a folder without the
// .tmp suffix is whole; the 'Keep' newest are kept. On resume the newest folder whose files
// match their manifest is used; a damaged one is reported and the previous one taken.
// The steady fields (Darcy pressure, vessel flow, pO2) are not stored: they are recomputed
// from the parameters at restart, which takes seconds and cannot go stale.
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "physics/base/json.h"
#include "physics/base/parameter_file.h"

namespace radiotwin
{
  /// Exit status of a run that wrote a checkpoint on SIGTERM/SIGUSR1 and stopped
  /// (EX_TEMPFAIL: "try again", i.e. resume).
  constexpr int exit_status_checkpointed = 75;

  /// Install handlers that note SIGTERM and SIGUSR1 (what batch schedulers send before the
  /// time limit); the run writes a checkpoint at the end of its current step and stops.
  void install_checkpoint_signal_handlers();

  class Checkpointer
  {
  public:
    using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    /// What to do after time step @p step, which ended at @p t_s [s]; collective (one
    /// allreduce of two flags).
    enum class Action
    {
      none,
      write,
      write_and_stop
    };
    Action after_step(unsigned int step, double t_s, MPI_Comm comm);

    /// Write a checkpoint of step @p step at time @p t_h into @p output_directory/checkpoints
    /// (collective): the mesh with @p vectors (nodal fields on @p dofs), the serial state
    /// (rank 0's @p state bytes), the @p parameters and the parts' state versions.
    void write(const std::string &output_directory, unsigned int step, double t_h,
               const dealii::parallel::distributed::Triangulation<3> &tria,
               const dealii::DoFHandler<3> &dofs, const std::vector<const VectorType *> &vectors,
               const std::string &state, const std::map<std::string, std::string> &parameters,
               const Json &part_versions, MPI_Comm comm);

    /// The checkpoint a resume of @p output_directory uses: the newest whose files match
    /// their manifest (damaged ones are reported on rank 0 and skipped). Throws InputError
    /// when there is none, or when its parameters differ from @p parameters in
    /// anything but the Checkpoint section and the output directory. Collective.
    struct Found
    {
      std::string folder;
      unsigned int step = 0;
      double       time_h = 0;
      unsigned int ranks = 0;
      unsigned int vectors = 0; ///< nodal vectors attached to the mesh
      std::uint64_t active_cells = 0; ///< of the saved mesh (0: not recorded)
      Json          parts;            ///< part name -> state version
    };
    static Found find_for_resume(const std::string &output_directory,
                                 const std::map<std::string, std::string> &parameters,
                                 MPI_Comm comm);

    /// Throws InputError unless the run's mesh (just built from the parameters) has as many
    /// active cells as the checkpoint's: called before any solve, so that a mesh file changed
    /// since the checkpoint is reported at once.
    static void check_mesh(const Found &found, dealii::types::global_cell_index n_active_cells);

    /// Restart: the nodal vectors of the checkpoint, into @p targets (owned entries, then
    /// ghosts where they have them), vectors of the solver's @p dofs. The run has built its
    /// mesh from the parameters as a fresh run does (same cells, same partition, same order,
    /// hence bit-identical steady solves on as many ranks). The saved forest is loaded on a
    /// mesh of its own (@p create_coarse gives its coarse mesh), partitioned like the run's
    /// (also for another number of ranks) and copied cell by cell. Throws InputError if the
    /// meshes differ.
    static void
    load_vectors(const Found &found, const dealii::DoFHandler<3> &dofs,
                 const std::function<void(dealii::parallel::distributed::Triangulation<3> &)> &create_coarse,
                 const std::vector<VectorType *> &targets);
    /// Restart: the serial state (read by rank 0, broadcast).
    static std::string load_state(const Found &found, MPI_Comm comm);

    /// Remove the checkpoints of an earlier run in a fresh run's folder (rank 0).
    static void remove_all(const std::string &output_directory);

    /// The run is at @p t_s: the checkpoint times reached are done (true if any was).
    bool resumed_at(double t_s);

    double      write_seconds() const { return seconds_writing; }
    unsigned int n_written() const { return written; }

  private:
    unsigned int every_steps = 0;
    double       every_minutes = 0;
    unsigned int keep = 2;
    std::vector<double> at_times_s; ///< still to come, increasing
    double       last_write_wall = -1; ///< rank 0's wall clock [s] at the last write
    double       seconds_writing = 0;
    unsigned int written = 0;
  };
} // namespace radiotwin
