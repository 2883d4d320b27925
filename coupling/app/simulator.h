// RadioTwin: the Simulator builds the mesh and the model parts the parameters switch on
// (coupling/app/model_part.h), and runs them: steady solves, then the time loop with output
// times and checkpoints, then the summary. The physics lives in the parts. All parameters are
// parsed and checked in the constructor, before anything is written.
#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coupling/app/checkpoint.h"
#include "coupling/app/model_part.h"
#include "meshes/geometry.h"
#include "physics/base/json.h"
#include "physics/base/parameter_file.h"
#include "physics/tissue_properties.h"

namespace radiotwin
{
  class Simulator
  {
  public:
    /// The Simulator's own sections (Geometry, Tissue, Output, Checkpoint) and every
    /// registered part's.
    static void declare_parameters(dealii::ParameterHandler &prm);

    Simulator(MPI_Comm comm, dealii::ParameterHandler &prm, const ParameterFile &file);
    ~Simulator();

    /// Continue the run whose output folder is @p output_directory from its newest valid
    /// checkpoint (call before run(); the results go on in that folder).
    void resume_from(const std::string &output_directory);

    enum class Outcome
    {
      complete,
      checkpointed_and_stopped ///< SIGTERM/SIGUSR1: a checkpoint was written, resume it
    };
    /// Build the mesh, run the parts, write every output; summary.json is written last, so a
    /// folder without it is an incomplete run.
    Outcome run();

    const std::string &output_directory() const { return context->output_directory; }
    const Geometry &   geometry() const { return geometry_; }
    const Json &       summary() const { return summary_; }
    /// The part of type P of this run, or nullptr when the parameters left it off.
    template <class P>
    const P *part() const
    {
      return context->find<P>();
    }

  private:
    void prepare_output_directory() const;
    /// The time loop; false when a signal stopped it after a checkpoint.
    bool run_time_loop();
    /// The parts' nodal state for a checkpoint, in the parts' order, and its DoFs.
    std::vector<ModelPart::VectorType *> nodal_state(const dealii::DoFHandler<3> *&dofs) const;
    void write_checkpoint(unsigned int step, double t_s, double dt_s, unsigned int output_index,
                          const std::vector<std::pair<double, std::string>> &pvd);

    MPI_Comm                             comm;
    dealii::ConditionalOStream           pcout;
    std::unique_ptr<dealii::TimerOutput> timer; ///< created after validation (see constructor)
    const ParameterFile &                file;
    std::string                          parameters_text; ///< all values, for reproducibility
    std::map<std::string, std::string>   parameters_flat; ///< the same, "Section/Name" -> value

    Geometry         geometry_;
    TissueProperties tissue;
    bool             write_vtu = true;
    bool             draw_plots = true; ///< Output/Plots

    dealii::parallel::distributed::Triangulation<3> triangulation;
    std::unique_ptr<RunContext>                     context;
    std::vector<std::unique_ptr<ModelPart>>         parts;
    Checkpointer                                    checkpointer;
    bool                                            resuming = false; ///< --resume directory
    std::optional<Checkpointer::Found>              resume_point;
    Json                                            summary_;
  };
} // namespace radiotwin
