// RadioTwin: the model parts a Simulator runs, and their registry.
//
// A run is a list of parts (Darcy, vessel flow, oxygen, transport, tumour-body coupling,
// dose, ...), built in the order they were registered from the ones the parameters switch on.
// The Simulator owns the mesh, the output folder, the time loop and the checkpoints, and calls
// every part in turn:
//
//   constructor            declare_parameters() was called for the registry; the part parses
//                          and checks its own section here (bad input: InputError), before
//                          anything is written
//   setup()                after the mesh: DoFs, vectors, networks
//   solve_steady()         after the output folder exists: steady fields (flow, oxygen)
//   add_output_fields()    nodal fields for the steady file (darcy_0000.pvtu) and for the
//                          time series (transport_NNNN.pvtu)
//   write_steady_output()  files of its own after the steady solves
//   prepare_time_loop()    time-dependent parts: state at t = 0
//   advance(t, dt)         the step [t, t + dt]; end_step(t + dt) after every part advanced
//   write_output(t, k)     files of its own at output time number k
//   finish()               the files written once, after the last step
//   add_summary()          its entries of summary.json
//   save()/load()          its serial state in a checkpoint, behind state_version(): a
//                          checkpoint holding another version of a part's state is refused
//   checkpoint_vectors()   its nodal state (on the transport DoFs), saved with the mesh
//
// Parts read each other through RunContext::find<Part>() and the found part's narrow const
// accessors; a part never changes another part's state.
//
// Adding a part: a file pair with a class derived from ModelPart (a static
// declare_parameters(ParameterHandler &) and a static create(RunContext &, ParameterHandler &)
// that returns nullptr when the parameters leave it off), and one line that registers it:
// PartRegistry::add<MyPart>("name") (the shipped parts: coupling/app/parts/registry.cc).
#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meshes/geometry.h"
#include "physics/base/json.h"
#include "physics/base/parameter_file.h"
#include "physics/tissue_properties.h"
#include "postprocessing/darcy_output.h"

namespace radiotwin
{
  class ModelPart;

  /// What the parts of one run share: the communicator, the timers, the parameter file, the
  /// geometry and tissue, the mesh, the output folder; and the other parts.
  class RunContext
  {
  public:
    MPI_Comm                                          comm;
    dealii::ConditionalOStream &                      pcout;
    dealii::TimerOutput &                             timer;
    const ParameterFile &                             file;
    const Geometry &                                  geometry;
    TissueProperties &                                tissue; ///< a vessel network sets its S/V at setup
    dealii::parallel::distributed::Triangulation<3> &triangulation;
    std::string                                       output_directory;

    bool root() const { return dealii::Utilities::MPI::this_mpi_process(comm) == 0; }

    /// A summary object with one entry per region of the geometry ("tumour", ...): the
    /// object @p entry(i) gives for region index i.
    template <class F>
    Json per_region(const F &entry) const
    {
      Json regions;
      for (const Region r : geometry.regions())
        regions[region_key(r)] = entry(region_index(material_id(r)));
      return regions;
    }

    /// The part of type P of this run, or nullptr (parts built so far, in order).
    template <class P>
    P *find() const
    {
      for (const auto &p : *parts)
        if (auto *found = dynamic_cast<P *>(p.get()))
          return found;
      return nullptr;
    }

    const std::vector<std::unique_ptr<ModelPart>> *parts = nullptr;
  };

  /// The two streams of nodal fields: the steady one (darcy_0000.pvtu in radiotwin.pvd) and
  /// the time series (transport_NNNN.pvtu in transport.pvd).
  enum class OutputStream
  {
    steady,
    time_series
  };

  /// The clock of a time-dependent run, given by the part that owns its time stepping.
  struct TimeSchedule
  {
    double                        end_s = 0, initial_step_s = 0;
    std::vector<double>           output_times_s;
    std::function<double(double)> next_step_s; ///< step size after a full step of this size
  };

  class ModelPart
  {
  public:
    using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

    virtual ~ModelPart() = default;
    /// The part's name: its record in checkpoints.
    virtual std::string name() const = 0;

    virtual void setup() {}
    virtual void solve_steady() {}
    /// Nodal fields for @p stream; the fields (and the vectors they point to) must live until
    /// the file is written, so a part keeps the vectors it adds.
    virtual void add_output_fields(OutputStream /*stream*/, std::vector<NodalField> & /*fields*/) {}
    virtual void write_steady_output() {}
    /// The part that writes a stream's file (Darcy: steady, transport: time series) writes
    /// its fields with the others' @p extra ones and returns the .pvtu name; others: "".
    virtual std::string write_stream(OutputStream /*stream*/, const std::vector<NodalField> & /*extra*/,
                                     double /*t_s*/, unsigned int /*index*/) const
    {
      return "";
    }

    /// Time-dependent parts take part in the time loop.
    virtual bool is_time_dependent() const { return false; }
    /// The part that sets the time steps of the run returns them (one part per run).
    virtual std::optional<TimeSchedule> time_schedule() const { return std::nullopt; }
    virtual void prepare_time_loop() {}
    /// Times [s] the steps must land on (injection starts, infusion ends).
    virtual std::vector<double> step_breaks_s() const { return {}; }
    virtual void advance(double /*t_s*/, double /*dt_s*/) {}
    virtual void end_step(double /*t_s*/) {}
    virtual void write_output(double /*t_s*/, unsigned int /*index*/) {}
    /// A few words for the progress line (for example "tumour 1.2 MBq"), or empty.
    virtual std::string progress() const { return ""; }
    virtual void finish() {}

    virtual void add_summary(Json & /*summary*/) {}

    /// Version of the layout of save()'s state; 0: the part has no state to checkpoint.
    virtual unsigned int state_version() const { return 0; }
    virtual void save(boost::archive::binary_oarchive & /*archive*/) const {}
    virtual void load(boost::archive::binary_iarchive & /*archive*/) {}
    virtual std::vector<VectorType *> checkpoint_vectors() { return {}; }
    /// The DoFs of checkpoint_vectors() (all parts' vectors live on the same DoFs).
    virtual const dealii::DoFHandler<3> *checkpoint_dofs() const { return nullptr; }
  };

  /// The part types a Simulator can build, in the order they run.
  class PartRegistry
  {
  public:
    struct Type
    {
      std::string name;
      std::function<void(dealii::ParameterHandler &)>                                    declare;
      std::function<std::unique_ptr<ModelPart>(RunContext &, dealii::ParameterHandler &)> create;
    };

    /// Register part P (after the ones registered before). Registering a type twice keeps
    /// the first.
    template <class P>
    static void add(const std::string &name)
    {
      for (const auto &t : types())
        if (t.name == name)
          return;
      types().push_back({name, &P::declare_parameters, &P::create});
    }

    /// The shipped parts (registry.cc), then any added since.
    static const std::vector<Type> &all();

  private:
    static std::vector<Type> &types();
  };
} // namespace radiotwin
