#include "coupling/app/simulator.h"

#include <unistd.h>

#include "physics/base/memory_budget.h"

#include <deal.II/base/utilities.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <set>
#include <sstream>

#include "coupling/app/output_folder.h"
#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"
#include "physics/base/units.h"
#include "physics/base/version.h"
#include "physics/tissue_dosimetry.h"
#include "postprocessing/output_files.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// "[#########-----------]  45%": the share of the simulated time done.
    std::string progress_bar(const double fraction)
    {
      constexpr int width = 20;
      const double  f     = std::clamp(fraction, 0.0, 1.0);
      const int     full  = static_cast<int>(std::floor(f * width + 1e-9));
      std::ostringstream bar;
      bar << "[" << std::string(full, '#') << std::string(width - full, '-') << "] " << std::setw(3)
          << static_cast<int>(std::floor(100 * f + 1e-9)) << "%";
      return bar.str();
    }

    /// Environment variables that change results; recorded with the parameters.
    const char *const result_environment[] = {"RADIOTWIN_ML_OPTIONS"};
  } // namespace

  void Simulator::declare_parameters(ParameterHandler &prm)
  {
    Geometry::declare_parameters(prm);
    TissueProperties::declare_parameters(prm);
    TissueDosimetry::declare_parameters(prm);
    Checkpointer::declare_parameters(prm);
    declare_output_directory(prm);
    prm.enter_subsection("Output");
    prm.declare_entry("Write VTU", "true", Patterns::Bool(),
                      "Write the fields as .pvtu/.vtu with a .pvd record for ParaView.");
    prm.leave_subsection();
    for (const auto &type : PartRegistry::all())
      type.declare(prm);
  }

  Simulator::Simulator(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
    : comm(comm)
    , pcout(std::cout, Utilities::MPI::this_mpi_process(comm) == 0)
    , file(file)
    , triangulation(comm, Triangulation<3>::limit_level_difference_at_vertices)
  {
    geometry_.parse_parameters(prm, file);
    tissue.parse_parameters(prm, file);

    const std::string directory = radiotwin::output_directory(prm, file);
    prm.enter_subsection("Output");
    write_vtu  = prm.get_bool("Write VTU");
    draw_plots = prm.get_bool("Plots");
    prm.leave_subsection();
    checkpointer.parse_parameters(prm, file);

    parameters_text = short_prm(prm);
    parameters_flat = flat_parameters(prm);
    for (const char *name : result_environment)
      if (const char *value = std::getenv(name))
        {
          parameters_text += "# environment: " + std::string(name) + "=" + value + "\n";
          parameters_flat[std::string("environment/") + name] = value;
        }

    // Created last: a TimerOutput destroyed while an exception is in flight prints a
    // warning, which would spoil the one-line message of bad input.
    timer = std::make_unique<TimerOutput>(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
    context = std::make_unique<RunContext>(
      RunContext{comm, pcout, *timer, file, geometry_, tissue, triangulation, directory, &parts});
    try
      {
        for (const auto &type : PartRegistry::all())
          if (auto part = type.create(*context, prm))
            parts.push_back(std::move(part));
      }
    catch (...)
      {
        // A part rejected its parameters: drop the parts and the timer here, where the
        // exception is caught, so that the timer cannot print its in-flight warning over the
        // one-line message.
        parts.clear();
        timer.reset();
        throw;
      }
  }

  Simulator::~Simulator() = default;

  void Simulator::prepare_output_directory() const
  {
    const std::string &directory = context->output_directory;
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        prepare_output_folder(directory, file, parameters_text);
        // An earlier run's checkpoints do not belong to a fresh run.
        if (!resuming)
          Checkpointer::remove_all(directory);
      }
    MPI_Barrier(comm);
  }

  void Simulator::resume_from(const std::string &output_directory)
  {
    context->output_directory = output_directory;
    resuming                  = true;
  }

  Simulator::Outcome Simulator::run()
  {
    Timer              wall(comm, true);
    const std::string &directory = context->output_directory;
    const unsigned int n_ranks   = Utilities::MPI::n_mpi_processes(comm);
    pcout << "RadioTwin " << version_string() << " | " << n_ranks << " MPI rank"
          << (n_ranks > 1 ? "s" : "") << " | " << file.filename() << std::endl;
    const bool time_dependent =
      std::any_of(parts.begin(), parts.end(), [](const auto &p) { return p->is_time_dependent(); });
    // From now on SIGTERM/SIGUSR1 ask for a checkpoint at the end of the next time step
    // (steady runs have no state worth saving: they keep the default action).
    if (time_dependent)
      install_checkpoint_signal_handlers();
    if (resuming)
      {
        if (!time_dependent)
          throw InputError("--resume " + directory + ": only transport runs (Transport/"
                           "Enabled = true) write checkpoints; a steady run simply runs again");
        resume_point = Checkpointer::find_for_resume(directory, parameters_flat, comm);
        for (const auto &p : parts)
          {
            const unsigned int saved = resume_point->parts.value(p->name(), 0u);
            if (saved != p->state_version())
              throw InputError("--resume " + directory + ": the checkpoint " + resume_point->folder +
                               " holds version " + std::to_string(saved) + " of the state of part '" +
                               p->name() + "', this RadioTwin reads version " +
                               std::to_string(p->state_version()) +
                               " (written by another version of RadioTwin): rerun from the start");
          }
        pcout << "  resuming from " << resume_point->folder << " (step " << resume_point->step
              << ", t = " << resume_point->time_h << " h, written on " << resume_point->ranks << " rank"
              << (resume_point->ranks > 1 ? "s" : "") << ")" << std::endl;
      }
    {
      TimerOutput::Scope scope(*timer, "Mesh");
      geometry_.create(triangulation);
    }
    pcout << "  mesh: " << triangulation.n_global_active_cells() << " cells, "
          << triangulation.n_global_levels() << " levels, "
          << static_cast<long>(Utilities::MPI::max(resident_memory_MB(), comm)) << " MB per rank"
          << std::endl;
    if (resume_point)
      Checkpointer::check_mesh(*resume_point, triangulation.n_global_active_cells());
    for (auto &p : parts)
      p->setup();
    // The mesh and the fields on it are checked now: bad input never leaves a folder.
    prepare_output_directory();

    for (auto &p : parts)
      p->solve_steady();
    if (write_vtu)
      {
        TimerOutput::Scope      scope(*timer, "Output: VTU");
        std::vector<NodalField> fields;
        for (auto &p : parts)
          p->add_output_fields(OutputStream::steady, fields);
        PvdRecord record(directory, "radiotwin");
        for (const auto &p : parts)
          {
            const std::string pvtu = p->write_stream(OutputStream::steady, fields, 0.0, 0);
            if (!pvtu.empty())
              record.add(0.0, pvtu, comm);
          }
      }
    for (auto &p : parts)
      p->write_steady_output();

    if (time_dependent && !run_time_loop())
      {
        pcout << "Stopped by a signal after writing a checkpoint (" << wall.wall_time()
              << " s). Continue with:\n  radiotwin " << file.filename() << " --resume " << directory
              << std::endl;
        return Outcome::checkpointed_and_stopped;
      }
    for (auto &p : parts)
      p->finish();

    Utilities::System::MemoryStats memory;
    Utilities::System::get_memory_stats(memory);
    const double peak_MB = Utilities::MPI::max(memory.VmHWM / 1024.0, comm);

    summary_                      = Json();
    summary_["radiotwin_version"] = version_string();
    summary_["status"]            = "complete";
    summary_["parameter_file"]    = file.filename();
    summary_["mpi_ranks"]         = n_ranks;
    summary_["cells"]             = static_cast<unsigned long long>(triangulation.n_global_active_cells());
    for (const char *name : result_environment)
      if (const char *value = std::getenv(name))
        summary_["environment"][name] = value;
    for (auto &p : parts)
      p->add_summary(summary_);
    Json times;
    for (const auto &[section, seconds] : timer->get_summary_data(TimerOutput::total_wall_time))
      times[section] = seconds;
    times["total"]                          = wall.wall_time();
    summary_["wall_time_s"]                 = times;
    summary_["peak_memory_MB_per_rank_max"] = peak_MB;
    if (checkpointer.n_written() > 0 || resume_point)
      {
        Json c;
        c["written"]      = checkpointer.n_written();
        c["write_wall_s"] = checkpointer.write_seconds();
        if (resume_point)
          {
            c["resumed_from"]                = resume_point->folder;
            c["resumed_at_step"]             = resume_point->step;
            c["resumed_at_time_h"]           = resume_point->time_h;
            c["checkpoint_written_on_ranks"] = resume_point->ranks;
          }
        summary_["checkpoints"] = c;
      }
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      write_file_atomically(directory + "/summary.json", dump_json(summary_));

    pcout << std::setprecision(4) << "  wall time " << wall.wall_time() << " s, peak memory " << peak_MB
          << " MB/rank" << std::setprecision(6) << std::endl;
    timer->print_summary();
    pcout << "Results: " << directory << "/ (radiotwin.pvd for ParaView, summary.json, "
          << "radial_profile.csv)" << std::endl;
    if (draw_plots && Utilities::MPI::this_mpi_process(comm) == 0)
      draw_run_plots(directory);
    return Outcome::complete;
  }

  bool Simulator::run_time_loop()
  {
    std::optional<TimeSchedule> clock;
    for (const auto &p : parts)
      if (auto s = p->time_schedule())
        clock = std::move(s);
    AssertThrow(clock, ExcMessage("a time-dependent run needs a part that gives the time steps"));
    for (auto &p : parts)
      p->prepare_time_loop();

    const std::string &directory = context->output_directory;
    PvdRecord          record(directory, "transport");
    const double       end = clock->end_s;
    // Steps land on output times and on the parts' events (injection starts, infusion ends).
    std::vector<double> breaks = clock->output_times_s;
    for (const auto &p : parts)
      for (const double e : p->step_breaks_s())
        breaks.push_back(e);
    breaks.push_back(end);
    std::sort(breaks.begin(), breaks.end());
    const std::set<double> outputs(clock->output_times_s.begin(), clock->output_times_s.end());

    double       t = 0, dt = clock->initial_step_s;
    unsigned int steps = 0, counter = 0;
    if (resume_point)
      {
        TimerOutput::Scope scope(*timer, "Checkpoint: restart");
        const DoFHandler<3> *dofs    = nullptr;
        const auto           vectors = nodal_state(dofs);
        Checkpointer::load_vectors(
          *resume_point, *dofs,
          [this](parallel::distributed::Triangulation<3> &tria) { geometry_.create_coarse(tria); },
          vectors);
        std::istringstream              bytes(Checkpointer::load_state(*resume_point, comm));
        boost::archive::binary_iarchive archive(bytes);
        std::vector<std::pair<double, std::string>> pvd;
        archive >> t >> dt >> steps >> counter >> pvd;
        record.restore(pvd, comm);
        for (auto &p : parts)
          if (p->state_version() > 0)
            p->load(archive);
        checkpointer.resumed_at(t);
      }

    Timer  wall(comm, true);
    double last_progress_s = 0, wall_per_step = 0;
    const double progress_interval_s = isatty(STDOUT_FILENO) ? 2.0 : 10.0;
    while (t < end * (1 - 1e-12))
      {
        double     step       = std::min(dt, end - t);
        const auto next_break = std::upper_bound(breaks.begin(), breaks.end(), t * (1 + 1e-12) + 1e-9);
        if (next_break != breaks.end())
          step = std::min(step, *next_break - t);
        const double wall_before = wall.wall_time();
        for (auto &p : parts)
          p->advance(t, step);
        t += step;
        ++steps;
        for (auto &p : parts)
          p->end_step(t);

        const double wall_now = wall.wall_time();
        wall_per_step = steps == 1 ? wall_now - wall_before : 0.8 * wall_per_step + 0.2 * (wall_now - wall_before);
        const auto output_here = outputs.lower_bound(t * (1 - 1e-12) - 1e-9);
        const bool is_output   = output_here != outputs.end() && std::abs(*output_here - t) <= 1e-9 * t + 1e-9;
        if (is_output)
          {
            TimerOutput::Scope scope(*timer, "Output: VTU");
            for (auto &p : parts)
              p->write_output(t, counter);
            std::vector<NodalField> fields;
            for (auto &p : parts)
              p->add_output_fields(OutputStream::time_series, fields);
            for (const auto &p : parts)
              {
                const std::string pvtu = p->write_stream(OutputStream::time_series, fields, t, counter);
                if (!pvtu.empty())
                  record.add(t / units::h, pvtu, comm);
              }
            ++counter;
          }
        // Progress: at output times and at least every 10 s of wall time (2 s on a terminal).
        if (is_output || wall_now - last_progress_s > progress_interval_s || t >= end * (1 - 1e-12))
          {
            last_progress_s      = wall_now;
            const double next_dt = step == dt ? clock->next_step_s(dt) : dt;
            // Steps still to go at the step size reached (it only grows), times the recent
            // wall time per step.
            const double eta = (end - t) / std::max(next_dt, 1e-300) * wall_per_step;
            pcout << "  " << progress_bar(t / end) << "  t = " << std::setw(7) << std::fixed << std::setprecision(2) << t / units::h
                  << " h  step " << std::setw(5) << steps << "  dt " << std::setprecision(2)
                  << step / units::min << " min" << std::defaultfloat << std::setprecision(6);
            for (const auto &p : parts)
              if (const std::string s = p->progress(); !s.empty())
                pcout << "  " << s;
            pcout << "  wall " << std::fixed << std::setprecision(1) << wall_now << " s  left ~" << eta
                  << " s" << std::defaultfloat << std::setprecision(6) << std::endl;
          }
        if (step == dt)
          dt = clock->next_step_s(dt);

        const auto action = checkpointer.after_step(steps, t, comm);
        if (action != Checkpointer::Action::none)
          {
            write_checkpoint(steps, t, dt, counter, record.entries_so_far());
            if (action == Checkpointer::Action::write_and_stop)
              return false;
          }
      }
    return true;
  }

  std::vector<ModelPart::VectorType *> Simulator::nodal_state(const DoFHandler<3> *&dofs) const
  {
    std::vector<ModelPart::VectorType *> vectors;
    for (const auto &p : parts)
      for (auto *v : p->checkpoint_vectors())
        {
          AssertThrow(dofs == nullptr || dofs == p->checkpoint_dofs(),
                      ExcMessage("checkpoint: all nodal state must live on the same DoFs"));
          dofs = p->checkpoint_dofs();
          vectors.push_back(v);
        }
    AssertThrow(dofs != nullptr, ExcMessage("checkpoint: a time-dependent run without nodal state"));
    return vectors;
  }

  void Simulator::write_checkpoint(const unsigned int step, const double t_s, const double dt_s,
                                   const unsigned int output_index,
                                   const std::vector<std::pair<double, std::string>> &pvd)
  {
    TimerOutput::Scope scope(*timer, "Checkpoint: write");
    const double       before = checkpointer.write_seconds();
    // The serial state: the loop's, then each part's that has one, in the parts' order.
    std::ostringstream bytes;
    Json               versions = Json::object();
    {
      boost::archive::binary_oarchive archive(bytes);
      archive << t_s << dt_s << step << output_index << pvd;
      for (const auto &p : parts)
        if (p->state_version() > 0)
          {
            p->save(archive);
            versions[p->name()] = p->state_version();
          }
    }
    const DoFHandler<3> *                dofs = nullptr;
    const auto                           state = nodal_state(dofs);
    std::vector<const ModelPart::VectorType *> vectors(state.begin(), state.end());
    checkpointer.write(context->output_directory, step, t_s / units::h, triangulation, *dofs, vectors,
                       bytes.str(), parameters_flat, versions, comm);
    pcout << std::setprecision(6) << "  checkpoint: step " << step << ", t = " << t_s / units::h << " h ("
          << std::setprecision(3) << checkpointer.write_seconds() - before << " s)" << std::setprecision(6)
          << std::endl;
  }
} // namespace radiotwin
