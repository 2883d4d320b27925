#include "coupling/app/checkpoint.h"

#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>
#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/dofs/dof_tools.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <unistd.h>

#include <boost/crc.hpp>

#include "physics/base/input_error.h"
#include "physics/base/version.h"
#include "physics/base/atomic_file.h"
#include "physics/base/json.h"

namespace radiotwin
{
  using namespace dealii;
  namespace fs = std::filesystem;

  namespace
  {
    volatile std::sig_atomic_t stop_signal = 0;

    extern "C" void note_stop_signal(int signal)
    {
      stop_signal = signal;
    }

    double wall_clock_s()
    {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    /// Size and CRC-32 (Boost.CRC) of a file's bytes. Throws if unreadable.
    std::pair<std::uint64_t, std::uint32_t> size_and_crc(const fs::path &path)
    {
      std::ifstream in(path, std::ios::binary);
      if (!in)
        throw std::runtime_error("cannot read '" + path.string() + "'");
      boost::crc_32_type crc;
      std::uint64_t      size = 0;
      std::vector<char>  buffer(1 << 20);
      while (in)
        {
          in.read(buffer.data(), buffer.size());
          crc.process_bytes(buffer.data(), in.gcount());
          size += in.gcount();
        }
      return {size, crc.checksum()};
    }

    /// Flush a file to the storage, so a crash right after the rename finds it whole.
    void sync_file(const fs::path &path)
    {
      const int fd = ::open(path.c_str(), O_RDONLY);
      if (fd >= 0)
        {
          ::fsync(fd);
          ::close(fd);
        }
    }

    std::string step_name(const unsigned int step)
    {
      std::ostringstream os;
      os << "step_" << std::setw(8) << std::setfill('0') << step;
      return os.str();
    }

    bool ignored_on_resume(const std::string &key)
    {
      return key.rfind("Checkpoint/", 0) == 0 || key == "Output/Directory";
    }

    /// The format this version writes and reads: a checkpoint of another format is refused
    /// (its state would be read with the wrong layout).
    const char *const checkpoint_format = "radiotwin checkpoint 2";

    struct Manifest
    {
      unsigned int  step = 0, ranks = 0, vectors = 0;
      std::uint64_t active_cells = 0;
      double        time_h = 0;
      Json          parts; ///< part name -> state version
      bool          foreign_format = false; ///< written by a RadioTwin of another format
      struct File
      {
        std::string   name;
        std::uint64_t bytes;
        std::uint32_t crc32;
      };
      std::vector<File> files;
    };

    /// Reads and checks a checkpoint folder; returns an empty string if it is whole, else
    /// what is wrong.
    std::string check_checkpoint(const fs::path &folder, Manifest &manifest)
    {
      const fs::path path = folder / "checkpoint.json";
      std::ifstream  in(path);
      if (!in)
        return "no manifest checkpoint.json (the write did not finish)";
      try
        {
          const Json j = Json::parse(in);
          const std::string format = j.value("format", std::string("(none)"));
          manifest.foreign_format = format != checkpoint_format;
          if (manifest.foreign_format)
            return "it was written in the format '" + format + "' (RadioTwin " +
                   j.value("radiotwin_version", std::string("unknown")) + "); this RadioTwin reads '" +
                   checkpoint_format + "' only: rerun from the start, or resume with that version";
          manifest.step         = j.at("step").get<unsigned int>();
          manifest.time_h       = j.at("time_h").get<double>();
          manifest.ranks        = j.at("mpi_ranks").get<unsigned int>();
          manifest.vectors      = j.at("vectors").get<unsigned int>();
          manifest.active_cells = j.at("active_cells").get<std::uint64_t>();
          manifest.parts        = j.at("parts");
          if (!manifest.parts.is_object())
            return "checkpoint.json is incomplete or malformed";
          for (const auto &f : j.at("files"))
            manifest.files.push_back({f.at("name").get<std::string>(), f.at("bytes").get<std::uint64_t>(),
                                      f.at("crc32").get<std::uint32_t>()});
        }
      catch (const Json::exception &)
        {
          return "checkpoint.json is incomplete or malformed";
        }
      if (manifest.files.empty())
        return "checkpoint.json is incomplete or malformed";
      for (const auto &f : manifest.files)
        {
          if (!fs::exists(folder / f.name))
            return "file '" + f.name + "' is missing";
          const auto [bytes, crc] = size_and_crc(folder / f.name);
          if (bytes != f.bytes)
            return "file '" + f.name + "' has " + std::to_string(bytes) + " bytes, the manifest says " +
                   std::to_string(f.bytes) + " (truncated?)";
          if (crc != f.crc32)
            return "file '" + f.name + "' fails its checksum (CRC-32 " + std::to_string(crc) +
                   ", manifest " + std::to_string(f.crc32) + ")";
        }
      return "";
    }

    std::string read_whole(const fs::path &path)
    {
      std::ifstream      in(path, std::ios::binary);
      std::ostringstream os;
      os << in.rdbuf();
      if (!in)
        throw std::runtime_error("cannot read '" + path.string() + "'");
      return os.str();
    }

    /// The checkpoint folders step_NNNNNNNN under `base`, oldest first.
    std::vector<fs::path> checkpoint_folders(const fs::path &base)
    {
      static const std::regex name("step_[0-9]{8}");
      std::vector<fs::path>   folders;
      if (fs::is_directory(base))
        for (const auto &entry : fs::directory_iterator(base))
          if (entry.is_directory() && std::regex_match(entry.path().filename().string(), name))
            folders.push_back(entry.path());
      std::sort(folders.begin(), folders.end());
      return folders;
    }
  } // namespace

  void install_checkpoint_signal_handlers()
  {
    struct sigaction action = {};
    action.sa_handler       = note_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGUSR1, &action, nullptr);
  }

  void Checkpointer::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Checkpoint");
    prm.declare_entry("Every N steps", "0", Patterns::Integer(0),
                      "Write a checkpoint of the transport run every N time steps (0: not by "
                      "step count). Unit: steps. Range: >= 0. SIGTERM and SIGUSR1 always "
                      "write one at the end of the current step and stop the run (exit status "
                      "75); resume with 'radiotwin FILE.prm --resume DIR'.");
    prm.declare_entry("Every T minutes [min]", "0", Patterns::Double(0),
                      "Write a checkpoint when this much wall time has passed since the last "
                      "one (0: not by wall time). Unit: min. Range: >= 0.");
    prm.declare_entry("At times [h]", "", Patterns::List(Patterns::Double(0)),
                      "Also write a checkpoint at the end of the first step reaching each of "
                      "these simulation times (comma-separated; empty: none). Unit: h. "
                      "Range: >= 0.");
    prm.declare_entry("Keep", "2", Patterns::Integer(1, 1000),
                      "Number of newest checkpoints kept in <output>/checkpoints; older ones "
                      "are deleted once a newer one is complete. Range: 1-1000.");
    prm.leave_subsection();
  }

  void Checkpointer::parse_parameters(ParameterHandler &prm, const ParameterFile &)
  {
    prm.enter_subsection("Checkpoint");
    every_steps   = prm.get_integer("Every N steps");
    every_minutes = prm.get_double("Every T minutes [min]");
    keep          = prm.get_integer("Keep");
    at_times_s.clear();
    for (const double t_h : Utilities::string_to_double(Utilities::split_string_list(prm.get("At times [h]"))))
      at_times_s.push_back(t_h * 3600.0);
    std::sort(at_times_s.begin(), at_times_s.end());
    prm.leave_subsection();
  }

  bool Checkpointer::resumed_at(const double t_s)
  {
    bool dropped = false;
    while (!at_times_s.empty() && at_times_s.front() <= t_s * (1 + 1e-12) + 1e-9)
      {
        dropped = true;
        at_times_s.erase(at_times_s.begin());
      }
    return dropped;
  }

  Checkpointer::Action Checkpointer::after_step(const unsigned int step, const double t_s,
                                                MPI_Comm comm)
  {
    // Simulation times reached (identical on every rank); a resumed run skips those behind it.
    const bool at_time = resumed_at(t_s);
    const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
    if (root && last_write_wall < 0)
      last_write_wall = wall_clock_s();
    // The signal may reach some ranks only, and only rank 0's clock counts: agree on both.
    int flags[2] = {stop_signal != 0 ? 1 : 0,
                    root && every_minutes > 0 &&
                        wall_clock_s() - last_write_wall >= every_minutes * 60.0 ?
                      1 :
                      0};
    MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm);
    if (flags[0])
      return Action::write_and_stop;
    if (flags[1] || at_time || (every_steps > 0 && step % every_steps == 0))
      return Action::write;
    return Action::none;
  }

  void Checkpointer::write(const std::string &output_directory, const unsigned int step,
                           const double t_h, const parallel::distributed::Triangulation<3> &tria,
                           const DoFHandler<3> &dofs, const std::vector<const VectorType *> &vectors,
                           const std::string &state, const std::map<std::string, std::string> &parameters,
                           const Json &part_versions, MPI_Comm comm)
  {
    const double   start  = wall_clock_s();
    const bool     root   = Utilities::MPI::this_mpi_process(comm) == 0;
    const fs::path base   = fs::path(output_directory) / "checkpoints";
    const fs::path folder = base / step_name(step);
    const fs::path tmp    = base / (step_name(step) + ".tmp");
    if (root)
      {
        fs::create_directories(base);
        fs::remove_all(tmp); // a write an earlier kill interrupted
        fs::create_directories(tmp);
      }
    MPI_Barrier(comm);

    // The transfer reads the entries of each owned cell, ghosts included: the solvers' vectors
    // carry the locally relevant ghost layer, which is brought up to date in place.
    const IndexSet relevant = DoFTools::extract_locally_relevant_dofs(dofs);
    for (const VectorType *v : vectors)
      {
        if (v->locally_owned_elements() != dofs.locally_owned_dofs() ||
            v->get_partitioner()->ghost_indices().n_elements() + dofs.n_locally_owned_dofs() !=
              relevant.n_elements())
          throw std::logic_error("checkpoint: a state vector lacks the ghost layer of its DoFs");
        v->update_ghost_values();
      }
    parallel::distributed::SolutionTransfer<3, VectorType> transfer(dofs);
    transfer.prepare_for_serialization(vectors);
    tria.save((tmp / "mesh").string());

    if (root)
      {
        {
          std::ofstream out(tmp / "state.bin", std::ios::binary);
          out.write(state.data(), state.size());
          std::ofstream prm(tmp / "parameters.json");
          prm << dump_json(Json(parameters));
          if (!out || !prm)
            throw std::runtime_error("cannot write the checkpoint in '" + tmp.string() + "'");
        }
        std::vector<std::string> names;
        for (const auto &entry : fs::directory_iterator(tmp))
          names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        Json manifest;
        manifest["format"]            = checkpoint_format;
        manifest["radiotwin_version"] = version_string();
        manifest["step"]              = step;
        manifest["time_h"]            = t_h;
        manifest["mpi_ranks"]         = Utilities::MPI::n_mpi_processes(comm);
        manifest["vectors"]           = vectors.size();
        manifest["active_cells"]      = tria.n_global_active_cells();
        manifest["parts"]             = part_versions;
        manifest["files"]             = Json::array();
        for (const auto &name : names)
          {
            const auto [bytes, crc] = size_and_crc(tmp / name);
            sync_file(tmp / name);
            manifest["files"].push_back({{"name", name}, {"bytes", bytes}, {"crc32", crc}});
          }
        write_file_atomically((tmp / "checkpoint.json").string(), dump_json(manifest));
        sync_file(tmp / "checkpoint.json");
        fs::remove_all(folder);
        fs::rename(tmp, folder);

        // Keep the newest 'keep' whole checkpoints.
        const std::vector<fs::path> whole = checkpoint_folders(base);
        for (std::size_t i = 0; i + keep < whole.size(); ++i)
          fs::remove_all(whole[i]);
        last_write_wall = wall_clock_s();
      }
    MPI_Barrier(comm);
    ++written;
    seconds_writing += wall_clock_s() - start;
  }

  Checkpointer::Found Checkpointer::find_for_resume(const std::string &output_directory,
                                                    const std::map<std::string, std::string> &parameters,
                                                    MPI_Comm comm)
  {
    // Rank 0 checks; the verdict (or the error) is broadcast, so every rank throws alike.
    std::string error;
    Found       found;
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        const fs::path base = fs::path(output_directory) / "checkpoints";
        std::vector<fs::path> candidates = checkpoint_folders(base);
        std::reverse(candidates.begin(), candidates.end()); // newest first
        std::string reasons;
        for (const auto &c : candidates)
          {
            Manifest          m;
            const std::string problem = check_checkpoint(c, m);
            if (problem.empty())
              {
                found = {c.string(), m.step, m.time_h, m.ranks, m.vectors, m.active_cells, m.parts};
                break;
              }
            if (m.foreign_format)
              {
                // Not damaged: the whole run was written by another RadioTwin.
                error = "--resume " + output_directory + ": the checkpoint " + c.string() + " " + problem;
                break;
              }
            std::cerr << "radiotwin: warning: checkpoint " << c.string() << " is damaged: " << problem
                      << "; trying the previous one" << std::endl;
            reasons += "; " + c.filename().string() + ": " + problem;
          }
        if (error.empty() && found.folder.empty())
          error = "--resume " + output_directory + ": no usable checkpoint in " + base.string() +
                  (candidates.empty() ? " (none written)" : reasons);
        else if (error.empty())
          {
            // Same parameters (but where checkpoints go, and how often), or the restart
            // would continue another run.
            const auto then = Json::parse(read_whole(fs::path(found.folder) / "parameters.json"))
                                .get<std::map<std::string, std::string>>();
            for (const auto &[key, value] : parameters)
              {
                if (ignored_on_resume(key))
                  continue;
                const auto it = then.find(key);
                if (it == then.end() || it->second != value)
                  {
                    error = "--resume " + output_directory + ": parameter '" + key + "' is '" +
                            value + "' but the checkpoint " + found.folder + " was written with '" +
                            (it == then.end() ? std::string("(not declared)") : it->second) +
                            "'; a resumed run must use the parameters it started with";
                    break;
                  }
              }
          }
      }
    error = Utilities::MPI::broadcast(comm, error, 0);
    if (!error.empty())
      throw InputError(error);
    found.folder = Utilities::MPI::broadcast(comm, found.folder, 0);
    found.step   = Utilities::MPI::broadcast(comm, found.step, 0);
    found.time_h = Utilities::MPI::broadcast(comm, found.time_h, 0);
    found.ranks  = Utilities::MPI::broadcast(comm, found.ranks, 0);
    found.vectors = Utilities::MPI::broadcast(comm, found.vectors, 0);
    found.active_cells = Utilities::MPI::broadcast(comm, found.active_cells, 0);
    found.parts = Json::parse(Utilities::MPI::broadcast(comm, found.parts.dump(), 0));
    return found;
  }

  namespace
  {
    InputError mesh_mismatch(const std::string &folder, const std::uint64_t saved,
                             const std::uint64_t now)
    {
      return InputError("--resume: the checkpoint " + folder + " holds a mesh of " +
                        std::to_string(saved) + " cells, the parameters give " +
                        std::to_string(now) + " (was the mesh file changed?)");
    }
  } // namespace

  void Checkpointer::check_mesh(const Found &found, const types::global_cell_index n_active_cells)
  {
    if (found.active_cells != 0 && found.active_cells != n_active_cells)
      throw mesh_mismatch(found.folder, found.active_cells, n_active_cells);
  }

  void Checkpointer::load_vectors(
    const Found &found, const DoFHandler<3> &dofs,
    const std::function<void(parallel::distributed::Triangulation<3> &)> &create_coarse,
    const std::vector<VectorType *> &targets)
  {
    const auto &tria = dynamic_cast<const parallel::distributed::Triangulation<3> &>(
      dofs.get_triangulation());
    const FiniteElement<3> &fe   = dofs.get_fe();
    const MPI_Comm          comm = tria.get_communicator();
    if (targets.size() != found.vectors)
      throw std::logic_error("checkpoint: " + std::to_string(found.vectors) + " vectors saved, " +
                             std::to_string(targets.size()) + " expected");
    // The saved forest with its data, on a mesh of its own: p4est partitions it evenly.
    parallel::distributed::Triangulation<3> saved(comm, tria.get_mesh_smoothing());
    create_coarse(saved);
    saved.load((fs::path(found.folder) / "mesh").string());
    if (saved.n_global_active_cells() != tria.n_global_active_cells())
      throw mesh_mismatch(found.folder, saved.n_global_active_cells(), tria.n_global_active_cells());
    DoFHandler<3> saved_dofs(saved);
    saved_dofs.distribute_dofs(fe);
    // The transfer writes every DoF of each owned cell: vectors with the ghost layer.
    const auto with_ghosts = [&](std::vector<VectorType> &v) {
      const IndexSet relevant = DoFTools::extract_locally_relevant_dofs(saved_dofs);
      v.resize(found.vectors);
      std::vector<VectorType *> p;
      for (auto &x : v)
        {
          x.reinit(saved_dofs.locally_owned_dofs(), relevant, comm);
          p.push_back(&x);
        }
      return p;
    };
    std::vector<VectorType> loaded, moved;
    {
      auto pointers = with_ghosts(loaded);
      parallel::distributed::SolutionTransfer<3, VectorType> transfer(saved_dofs);
      transfer.deserialize(pointers);
    }
    // Partitioned as a refinement leaves a mesh (sibling families kept on one rank): as the
    // run's own mesh, so each rank finds its cells here.
    for (auto &v : loaded)
      v.update_ghost_values();
    std::vector<const VectorType *> sources;
    for (const auto &v : loaded)
      sources.push_back(&v);
    parallel::distributed::SolutionTransfer<3, VectorType> transfer(saved_dofs);
    transfer.prepare_for_coarsening_and_refinement(sources);
    saved.repartition();
    saved_dofs.distribute_dofs(fe);
    {
      auto pointers = with_ghosts(moved);
      transfer.interpolate(pointers);
    }

    // Cell by cell (by CellId) into the solver's vectors.
    for (VectorType *v : targets)
      v->zero_out_ghost_values();
    const IndexSet &owned = dofs.locally_owned_dofs();
    Vector<double>  values(fe.n_dofs_per_cell());
    std::vector<types::global_dof_index> indices(fe.n_dofs_per_cell());
    int missing = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto source_cell = saved.create_cell_iterator(cell->id());
          if (!source_cell->is_active() || !source_cell->is_locally_owned())
            {
              ++missing;
              continue;
            }
          const typename DoFHandler<3>::active_cell_iterator source(&saved, source_cell->level(),
                                                                    source_cell->index(), &saved_dofs);
          cell->get_dof_indices(indices);
          for (std::size_t v = 0; v < targets.size(); ++v)
            {
              source->get_dof_values(moved[v], values);
              for (unsigned int i = 0; i < indices.size(); ++i)
                if (owned.is_element(indices[i]))
                  (*targets[v])(indices[i]) = values(i);
            }
        }
    const auto n_missing = Utilities::MPI::sum(missing, comm);
    if (n_missing > 0)
      throw InputError("--resume: the mesh of the checkpoint " + found.folder +
                       " is not the one the parameters give (" + std::to_string(n_missing) +
                       " cells differ)");
    for (VectorType *v : targets)
      if (v->has_ghost_elements())
        v->update_ghost_values();
  }

  std::string Checkpointer::load_state(const Found &found, MPI_Comm comm)
  {
    std::string state;
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      state = read_whole(fs::path(found.folder) / "state.bin");
    return Utilities::MPI::broadcast(comm, state, 0);
  }

  void Checkpointer::remove_all(const std::string &output_directory)
  {
    std::error_code ec;
    fs::remove_all(fs::path(output_directory) / "checkpoints", ec);
  }
} // namespace radiotwin
