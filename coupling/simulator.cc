#include "coupling/simulator.h"

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/utilities.h>
#include <deal.II/fe/fe_values.h>

#include <filesystem>
#include <optional>
#include <set>
#include <iomanip>
#include <sstream>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/array.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include "coupling/version.h"
#include "postprocessing/darcy_output.h"
#include "postprocessing/line_profile.h"
#include "postprocessing/output_files.h"
#include "postprocessing/transport_output.h"
#include "physics/radionuclide.h"
#include "physics/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// The Baxter-Jain pressure [Pa] as a deal.II function of x [m].
    class BaxterJainPressure : public Function<3>
    {
    public:
      BaxterJainPressure(const physics::BaxterJainSphere &s, const Point<3> &centre)
        : sphere(s)
        , centre(centre)
      {}
      double value(const Point<3> &x, const unsigned int = 0) const override
      {
        return sphere.pressure(x.distance(centre));
      }
      Tensor<1, 3> gradient(const Point<3> &x, const unsigned int = 0) const override
      {
        const Tensor<1, 3> d = x - centre;
        const double       r = d.norm();
        return r > 0 ? sphere.pressure_derivative(r) / r * d : Tensor<1, 3>();
      }

    private:
      physics::BaxterJainSphere sphere;
      Point<3>                  centre;
    };

    std::string stem(const std::string &path)
    {
      return std::filesystem::path(path).stem().string();
    }
  } // namespace

  void Simulator::declare_parameters(ParameterHandler &prm)
  {
    Geometry::declare_parameters(prm);
    TissueProperties::declare_parameters(prm);
    DarcySolver::declare_parameters(prm);
    VesselCoupling::declare_parameters(prm);
    TransportSolver::declare_parameters(prm);
    OxygenSolver::declare_parameters(prm);
    DoseCalculator::declare_parameters(prm);
    PlasmaInput::declare_parameters(prm);
    TumourBodyCoupling::declare_parameters(prm);
    Checkpointer::declare_parameters(prm);
    prm.enter_subsection("Output");
    prm.declare_entry("Directory", "", Patterns::Anything(),
                      "Folder for this run's results (created if missing; relative to the "
                      "working directory). Empty: results/<name of the parameter file>.");
    prm.declare_entry("Write VTU", "true", Patterns::Bool(),
                      "Write the fields as .pvtu/.vtu with a .pvd record for ParaView.");
    prm.declare_entry("Plot DVH", "true", Patterns::Bool(),
                      "After a transport run, draw dvh.png from the DVH tables with "
                      "postprocessing/plot_dvh.py (python3 with matplotlib; skipped with a "
                      "notice when missing).");
    prm.declare_entry("Profile points", "201", Patterns::Integer(2, 100000),
                      "Number of sample points of the line profile radial_profile.csv, from the "
                      "tumour centre outwards. Range: 2-100000.");
    prm.declare_entry("Profile direction", "1, 0, 0", Patterns::List(Patterns::Double(), 3, 3),
                      "Direction of the line profile (normalised internally). Unit: none.");
    prm.declare_entry("Profile length [mm]", "0", Patterns::Double(0, 1e4),
                      "Length of the line profile; 0 means from the centre to the outer "
                      "boundary of the generated geometry (twice the tumour radius for Gmsh "
                      "meshes). Unit: mm. Range: 0-10000.");
    prm.leave_subsection();
    prm.enter_subsection("Verification");
    prm.declare_entry("Compare with Baxter-Jain sphere", "false", Patterns::Bool(),
                      "Compare the IFP and the rim velocity with the closed form of a uniformly "
                      "perfused isolated sphere (physics-reference section 2) and report the "
                      "errors in summary.json. Needs 'Geometry/Type = isolated sphere' without "
                      "necrotic core, no lymphatics, uniform vessels and a Dirichlet boundary.");
    prm.leave_subsection();
  }

  Simulator::Simulator(MPI_Comm comm, ParameterHandler &prm, const ParameterFile &file)
    : comm(comm)
    , pcout(std::cout, Utilities::MPI::this_mpi_process(comm) == 0)
    , file(file)
    , triangulation(comm, Triangulation<3>::limit_level_difference_at_vertices)
  {
    geometry_.parse_parameters(prm, file);
    tissue.parse_parameters(prm, file);

    prm.enter_subsection("Output");
    directory = prm.get("Directory");
    if (directory.empty())
      directory = "results/" + stem(file.filename());
    write_vtu      = prm.get_bool("Write VTU");
    plot_dvh       = prm.get_bool("Plot DVH");
    profile_points = prm.get_integer("Profile points");
    const auto dir = Utilities::string_to_double(Utilities::split_string_list(prm.get("Profile direction")));
    for (unsigned int d = 0; d < 3; ++d)
      profile_direction[d] = dir[d];
    if (profile_direction.norm() == 0)
      file.fail("Output/Profile direction", "the direction must not be the zero vector");
    profile_direction /= profile_direction.norm();
    profile_length_m = prm.get_double("Profile length [mm]") * units::mm;
    prm.leave_subsection();

    prm.enter_subsection("Verification");
    verify_baxter_jain = prm.get_bool("Compare with Baxter-Jain sphere");
    prm.leave_subsection();
    if (verify_baxter_jain &&
        (geometry_.type() != Geometry::Type::isolated_sphere ||
         geometry_.necrotic_core_radius() > 0 ||
         tissue(Region::tumour).lymphatic_coefficient != 0))
      file.fail("Verification/Compare with Baxter-Jain sphere",
                "the closed form holds for 'Geometry/Type = isolated sphere' without necrotic "
                "core and without tumour lymphatics");

    coupling.parse_parameters(prm, file);
    vessels_.parse_parameters(prm, file);
    checkpointer.parse_parameters(prm, file);

    std::ostringstream os;
    prm.print_parameters(os, ParameterHandler::ShortPRM);
    parameters_text = os.str();

    // Created last: a TimerOutput destroyed while an exception is in flight prints a
    // warning, which would spoil the one-line message of bad input.
    timer = std::make_unique<TimerOutput>(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
    try
      {
        darcy_ = std::make_unique<DarcySolver>(triangulation, tissue, *timer);
        vessels_.attach_timer(*timer);
        darcy_->parse_parameters(prm, file);
        oxygen_ = std::make_unique<OxygenSolver>(*darcy_, tissue, *timer);
        oxygen_->parse_parameters(prm, file);
        prm.enter_subsection("Transport");
        transport_enabled = prm.get_bool("Enabled");
        prm.leave_subsection();
        if (transport_enabled)
          {
            if (!coupling.enabled())
              plasma = PlasmaInput::create(prm, file);
            transport_ = std::make_unique<TransportSolver>(*darcy_, tissue, *timer);
            transport_->parse_parameters(prm, file);
            dose_ = std::make_unique<DoseCalculator>(*transport_, *timer);
            dose_->parse_parameters(prm, file);
          }
      }
    catch (...)
      {
        // A part rejected its parameters: drop the timer here, where the exception is
        // caught, so that it cannot print its in-flight warning over the one-line message.
        timer.reset();
        throw;
      }
  }

  void Simulator::prepare_output_directory() const
  {
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        std::error_code ec;
        std::filesystem::create_directories(directory, ec);
        if (ec || !std::filesystem::is_directory(directory))
          throw InputError(file.locate("Output/Directory").describe() +
                           ": cannot create the output directory '" + directory + "'");
        // A summary left by an earlier run would make this one look complete while it runs.
        std::filesystem::remove(directory + "/summary.json", ec);
        // An earlier run's checkpoints do not belong to a fresh run.
        if (!resuming)
          Checkpointer::remove_all(directory);
        write_file_atomically(directory + "/parameters.prm", parameters_text);
      }
    MPI_Barrier(comm);
  }

  void Simulator::resume_from(const std::string &output_directory)
  {
    directory = output_directory;
    resuming  = true;
  }

  Simulator::Outcome Simulator::run()
  {
    Timer wall(comm, true);
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    pcout << "RadioTwin " << version_string() << " | " << n_ranks << " MPI rank"
          << (n_ranks > 1 ? "s" : "") << " | " << file.filename() << std::endl;
    // From now on SIGTERM/SIGUSR1 ask for a checkpoint at the end of the next time step
    // (steady runs have no state worth saving: they keep the default action).
    if (transport_enabled)
      install_checkpoint_signal_handlers();
    if (resuming)
      {
        if (!transport_enabled)
          throw InputError("--resume " + directory + ": only transport runs (Transport/"
                           "Enabled = true) write checkpoints; a steady run simply runs again");
        resume_point = Checkpointer::find_for_resume(directory, parameters_text, comm);
        pcout << "  resuming from " << resume_point->folder << " (step " << resume_point->step
              << ", t = " << resume_point->time_h << " h, written on " << resume_point->ranks
              << " rank" << (resume_point->ranks > 1 ? "s" : "") << ")" << std::endl;
      }
    {
      TimerOutput::Scope scope(*timer, "Mesh");
      geometry_.create(triangulation);
    }
    pcout << "  mesh: " << triangulation.n_global_active_cells() << " cells, "
          << triangulation.n_global_levels() << " levels" << std::endl;
    if (resume_point)
      Checkpointer::check_mesh(*resume_point, triangulation.n_global_active_cells());
    darcy_->setup();
    if (vessels_.uses_network())
      {
        vessels_.create_network(geometry_);
        vessels_.setup(darcy_->dof_handler(), darcy_->mapping(), tissue);
        const auto &net = vessels_.network();
        pcout << "  vessel network: " << net.n_nodes() << " nodes, " << net.n_segments()
              << " segments, " << net.total_length() / units::mm << " mm, "
              << vessels_.n_sample_points() << " exchange points ("
              << (vessels_.representation() == VesselCoupling::Representation::line_sources ?
                    "line sources" :
                    "homogenised")
              << ")" << std::endl;
      }
    // The mesh and the fields on it are checked now: bad input never leaves a folder.
    prepare_output_directory();

    pcout << "  Darcy: " << darcy_->n_dofs() << " DoFs (Q" << darcy_->degree() << "), "
          << (darcy_->backend() == DarcySolver::Backend::petsc ? "PETSc BoomerAMG" :
                                                                  "Trilinos ML")
          << std::endl;
    vessels_.solve(*darcy_);
    pcout << "  Darcy: converged in " << darcy_->n_iterations() << " CG iterations"
          << (vessels_.diagnostics().iterations > 1 ?
                " (the last sweep's solve, started from the sweep before)" :
                "")
          << std::endl;
    if (vessels_.representation() == VesselCoupling::Representation::line_sources)
      pcout << "  network-tissue flow: converged in " << vessels_.diagnostics().iterations
            << " sweeps (relative change " << vessels_.diagnostics().final_change << ")"
            << std::endl;
    diagnostics = darcy_->diagnostics();

    Json darcy_summary, verification;
    darcy_summary.set("linear_algebra",
                      darcy_->backend() == DarcySolver::Backend::petsc ? "PETSc" : "Trilinos");
    darcy_summary.set("fe_degree", darcy_->degree());
    darcy_summary.set("dofs", static_cast<unsigned long long>(darcy_->n_dofs()));
    darcy_summary.set("cg_iterations", darcy_->n_iterations());
    write_profile_and_verification(darcy_summary, verification);

    Json regions;
    for (const Region r : geometry_.regions())
      {
        const unsigned int i = region_index(material_id(r));
        Json region;
        region.set("volume_mL", diagnostics.volume[i] / units::mL);
        region.set("ifp_mean_mmHg", diagnostics.mean_pressure[i] / units::mmHg);
        region.set("ifp_max_mmHg", diagnostics.max_pressure[i] / units::mmHg);
        region.set("ifp_min_mmHg", diagnostics.min_pressure[i] / units::mmHg);
        regions.set(region_key(r), region);
      }
    darcy_summary.set("regions", regions);
    darcy_summary.set("rim_velocity_max_um_per_s", diagnostics.rim_velocity_max / units::um_per_s);
    darcy_summary.set("rim_velocity_mean_outward_um_per_s",
                      diagnostics.rim_velocity_mean / units::um_per_s);
    darcy_summary.set("fluid_leakage_from_vessels_uL_per_min",
                      diagnostics.vessel_leakage / units::uL_per_min);
    darcy_summary.set("fluid_drained_by_lymphatics_uL_per_min",
                      diagnostics.lymphatic_drainage / units::uL_per_min);
    darcy_summary.set("outer_boundary_outflow_uL_per_min",
                      diagnostics.outflow_consistent / units::uL_per_min);
    darcy_summary.set("outer_boundary_outflow_from_gradient_uL_per_min",
                      diagnostics.outflow_gradient / units::uL_per_min);
    darcy_summary.set("fluid_balance_relative_defect", diagnostics.balance_defect());

    Json oxygen_summary;
    if (oxygen_->enabled())
      oxygen_summary = run_oxygen();

    if (write_vtu)
      {
        TimerOutput::Scope scope(*timer, "Output: VTU");
        PvdRecord record(directory, "radiotwin");
        std::vector<NodalField> extra;
        OxygenSolver::VectorType hypoxic;
        if (oxygen_->enabled())
          {
            hypoxic = oxygen_->hypoxic_indicator();
            extra   = {{&oxygen_->dof_handler(), &oxygen_->po2_mmHg(), "pO2_mmHg"},
                       {&oxygen_->dof_handler(), &hypoxic, "hypoxic"}};
          }
        const std::string pvtu = write_darcy_fields(*darcy_, tissue, directory, "darcy", 0, 0.0, extra);
        record.add(0.0, pvtu, comm);
      }

    Json network_summary;
    if (vessels_.uses_network())
      network_summary = vessel_network_summary();

    Json transport_summary, whole_body_summary;
    if (transport_enabled)
      {
        std::optional<Json> finished = run_transport();
        if (!finished)
          {
            pcout << "Stopped by a signal after writing a checkpoint (" << wall.wall_time()
                  << " s). Continue with:\n  radiotwin " << file.filename() << " --resume "
                  << directory << std::endl;
            return Outcome::checkpointed_and_stopped;
          }
        transport_summary = std::move(*finished);
      }
    if (coupling.enabled())
      {
        TimerOutput::Scope scope(*timer, "Output: whole body");
        whole_body_summary = coupling.write_outputs(directory,
                                                    Utilities::MPI::this_mpi_process(comm) == 0);
      }

    Utilities::System::MemoryStats memory;
    Utilities::System::get_memory_stats(memory);
    const double peak_MB = Utilities::MPI::max(memory.VmHWM / 1024.0, comm);

    Json times;
    for (const auto &[section, seconds] :
         timer->get_summary_data(TimerOutput::total_wall_time))
      times.set(section, seconds);
    times.set("total", wall.wall_time());

    summary_ = Json();
    summary_.set("radiotwin_version", version_string());
    summary_.set("status", "complete");
    summary_.set("parameter_file", file.filename());
    summary_.set("mpi_ranks", n_ranks);
    summary_.set("cells", static_cast<unsigned long long>(triangulation.n_global_active_cells()));
    summary_.set("darcy", darcy_summary);
    if (vessels_.uses_network())
      summary_.set("vessel_network", network_summary);
    if (oxygen_->enabled())
      summary_.set("oxygen", oxygen_summary);
    if (verify_baxter_jain)
      summary_.set("verification", verification);
    if (transport_enabled)
      summary_.set("transport", transport_summary);
    if (coupling.enabled())
      summary_.set("whole_body", whole_body_summary);
    summary_.set("wall_time_s", times);
    summary_.set("peak_memory_MB_per_rank_max", peak_MB);
    if (checkpointer.n_written() > 0 || resume_point)
      {
        Json c;
        c.set("written", checkpointer.n_written());
        c.set("write_wall_s", checkpointer.write_seconds());
        if (resume_point)
          {
            c.set("resumed_from", resume_point->folder);
            c.set("resumed_at_step", resume_point->step);
            c.set("resumed_at_time_h", resume_point->time_h);
            c.set("checkpoint_written_on_ranks", resume_point->ranks);
          }
        summary_.set("checkpoints", c);
      }

    if (Utilities::MPI::this_mpi_process(comm) == 0)
      write_file_atomically(directory + "/summary.json", summary_.dump() + "\n");

    const auto &d = diagnostics;
    pcout << std::setprecision(4) << "  IFP tumour mean "
          << d.mean_pressure[region_index(material_id(Region::tumour))] / units::mmHg
          << " mmHg, max " << d.max_pressure[region_index(material_id(Region::tumour))] / units::mmHg
          << " mmHg; rim velocity max " << d.rim_velocity_max / units::um_per_s << " um/s"
          << "\n  fluid: vessels " << d.vessel_leakage / units::uL_per_min << " uL/min, lymphatics "
          << d.lymphatic_drainage / units::uL_per_min << " uL/min, boundary outflow "
          << d.outflow_consistent / units::uL_per_min << " uL/min (balance defect "
          << d.balance_defect() << ")\n"
          << "  wall time " << wall.wall_time() << " s, peak memory " << peak_MB
          << " MB/rank" << std::endl;
    timer->print_summary();
    pcout << "Results: " << directory << "/ (radiotwin.pvd for ParaView, summary.json, "
          << "radial_profile.csv)" << std::endl;
    return Outcome::complete;
  }

  Json Simulator::run_oxygen()
  {
    const bool lines = vessels_.representation() == VesselCoupling::Representation::line_sources;
    if (lines)
      vessels_.solve_oxygen(*oxygen_, oxygen_->blood_inlet_po2(), oxygen_->blood_falls_along_flow(),
                            oxygen_->blood_capacity_per_mmHg());
    else
      {
        oxygen_->setup();
        oxygen_->solve();
      }
    const OxygenDiagnostics d = oxygen_->diagnostics();
    const auto             &thresholds = oxygen_->hypoxia_thresholds_mmHg();
    const unsigned int      tumour     = region_index(material_id(Region::tumour));
    pcout << "  oxygen: " << oxygen_->n_dofs() << " DoFs, " << d.newton_iterations
          << " Newton steps (" << d.linear_iterations << " CG)";
    if (lines && oxygen_->blood_falls_along_flow())
      pcout << ", " << vessels_.oxygen_iterations() << " network-tissue sweeps";
    pcout << "; tumour pO2 mean " << d.mean[tumour] << " mmHg, hypoxic (< " << thresholds[0]
          << " mmHg) " << 100 * d.hypoxic_fraction[tumour][0] << " %" << std::endl;

    Json j;
    j.set("dofs", static_cast<unsigned long long>(oxygen_->n_dofs()));
    j.set("newton_iterations", d.newton_iterations);
    j.set("cg_iterations_total", d.linear_iterations);
    j.set("newton_final_relative_residual", d.final_residual);
    j.set("hypoxia_threshold_mmHg", thresholds[0]);
    j.set("severe_hypoxia_threshold_mmHg", thresholds[1]);
    // Oxygen volumes per time: mmHg m^3/s times the solubility -> mL O2/min.
    const double to_uL_O2_per_min = oxygen_->solubility() / (units::uL / units::min);
    j.set("vessel_supply_uL_O2_per_min", d.supply * to_uL_O2_per_min);
    j.set("consumption_uL_O2_per_min", d.consumption * to_uL_O2_per_min);
    j.set("boundary_inflow_uL_O2_per_min", d.boundary_inflow * to_uL_O2_per_min);
    j.set("oxygen_balance_relative_defect", d.balance_defect());
    if (lines)
      {
        const auto &blood = vessels_.blood_po2();
        j.set("blood_pO2_min_mmHg", *std::min_element(blood.begin(), blood.end()));
        j.set("blood_pO2_max_mmHg", *std::max_element(blood.begin(), blood.end()));
        j.set("network_tissue_sweeps", vessels_.oxygen_iterations());
      }
    Json regions;
    for (const Region r : geometry_.regions())
      {
        const unsigned int i = region_index(material_id(r));
        Json               jr;
        jr.set("pO2_mean_mmHg", d.mean[i]);
        jr.set("pO2_min_mmHg", d.min[i]);
        jr.set("pO2_max_mmHg", d.max[i]);
        jr.set("hypoxic_fraction", d.hypoxic_fraction[i][0]);
        jr.set("severely_hypoxic_fraction", d.hypoxic_fraction[i][1]);
        regions.set(region_key(r), jr);
      }
    j.set("regions", regions);
    return j;
  }

  std::optional<Json> Simulator::run_transport()
  {
    if (oxygen_->receptor_factor_of_po2())
      transport_->set_receptor_po2_factor(oxygen_->dof_handler(), oxygen_->po2_mmHg(),
                                          oxygen_->receptor_factor_of_po2());
    transport_->setup();
    const bool   coupled    = coupling.enabled();
    const double a_per_nmol = activity_MBq_per_nmol(transport_->decay_constant_per_s() * 60.0);
    const unsigned int tumour = region_index(material_id(Region::tumour)),
                       core   = region_index(material_id(Region::necrotic_core));
    if (coupled)
      {
        const double meshed_L = (diagnostics.volume[tumour] + diagnostics.volume[core]) * 1e3;
        coupling.initialise(meshed_L, transport_->decay_constant_per_s());
        coupling.apply_boluses(0.0);
        pcout << "  coupled to the whole-body model (" << coupling.model().network().n_pools()
              << " pools): lesion '" << coupling.lesion() << "' represents "
              << coupling.represented_volume_L() * 1e3 << " mL = " << coupling.scale()
              << " x the meshed tumour; " << coupling.model().injected_hot_nmol() *
                                               coupling.model().activity_MBq_per_nmol()
              << " MBq injected" << std::endl;
      }
    if (oxygen_->enabled())
      dose_->set_oxygen(oxygen_->dof_handler(), oxygen_->po2_mmHg(),
                        oxygen_->hypoxia_thresholds_mmHg()[0]);
    dose_->setup(darcy_->mapping(), a_per_nmol);
    if (dose_->uses_kernel())
      pcout << "  dose-point kernel: " << dose_->n_kernel_weights() << " neighbour weights"
            << std::endl;
    OxygenSolver::VectorType hypoxic;
    if (oxygen_->enabled())
      hypoxic = oxygen_->hypoxic_indicator();
    PvdRecord    record(directory, "transport");
    PvdRecord    network_record(directory, "vessel_network");
    std::ostringstream csv;
    csv << std::setprecision(10) << "time_h";
    for (const Region r : geometry_.regions())
      for (const char *pool : {"free", "bound", "internalised"})
        for (const char *sp : {"hot", "cold"})
          csv << "," << region_key(r) << "_" << pool << "_" << sp << "_nmol";
    for (const Region r : geometry_.regions())
      csv << "," << region_key(r) << "_activity_MBq";
    csv << "\n";
    auto hot_activity = [&](const auto &content, const unsigned int r) {
      return (content[r][0][0] + content[r][1][0] + content[r][2][0]) * a_per_nmol;
    };
    auto write_row = [&](const double t_s, const auto &content) {
      csv << t_s / units::h;
      for (const Region r : geometry_.regions())
        for (unsigned int pool = 0; pool < 3; ++pool)
          for (unsigned int sp = 0; sp < 2; ++sp)
            csv << "," << content[region_index(material_id(r))][pool][sp];
      for (const Region r : geometry_.regions())
        csv << "," << hot_activity(content, region_index(material_id(r)));
      csv << "\n";
    };

    const double end = transport_->end_time_s();
    // Steps land on output times and, when coupled, on injection starts and infusion ends.
    std::vector<double> breaks = transport_->output_times_s();
    if (coupled)
      for (const double e : coupling.event_times_s())
        breaks.push_back(e);
    breaks.push_back(end);
    std::sort(breaks.begin(), breaks.end());
    const std::set<double> outputs(transport_->output_times_s().begin(),
                                   transport_->output_times_s().end());

    double t = 0, dt = transport_->initial_step_s();
    unsigned int steps = 0, counter = 0;
    std::array<double, 3> tia{}; // MBq h per region
    std::array<double, 2> in{}, lymph{}, out{}, released{};
    // The loop's state in a checkpoint, in one function for both directions (Boost
    // archives: '&' saves or loads); then the coupling's.
    const auto serialize_state = [&](auto &archive) {
      std::string csv_text = csv.str();
      auto        pvd = record.entries_so_far(), network_pvd = network_record.entries_so_far();
      archive &t &dt &steps &counter &tia &in &lymph &out &released &worst_transport_defect &csv_text
        &pvd &network_pvd;
      if (coupled)
        archive &coupling;
      if constexpr (std::decay_t<decltype(archive)>::is_loading::value)
        {
          csv.str("");
          csv << csv_text;
          record.restore(pvd, comm);
          network_record.restore(network_pvd, comm);
        }
    };
    // The nodal state: the transport fields and the accumulated dose.
    const auto state_vectors = [&]() {
      std::vector<Checkpointer::VectorType *> v;
      for (auto &f : transport_->fields_for_restart())
        v.push_back(&f);
      for (auto *d : dose_->state_for_restart())
        v.push_back(d);
      return v;
    };
    if (resume_point)
      {
        TimerOutput::Scope scope(*timer, "Checkpoint: restart");
        Checkpointer::load_vectors(
          *resume_point, transport_->dof_handler(),
          [this](parallel::distributed::Triangulation<3> &t) { geometry_.create_coarse(t); },
          state_vectors());
        std::istringstream              bytes(Checkpointer::load_state(*resume_point, comm));
        boost::archive::binary_iarchive archive(bytes);
        serialize_state(archive);
        checkpointer.resumed_at(t);
      }
    auto content = transport_->region_content();
    if (!resume_point)
      {
        write_row(0.0, content);
        if (coupled)
          coupling.record(0.0, content);
      }
    Timer wall(comm, true);
    double last_progress_s = 0, wall_per_step = 0;
    while (t < end * (1 - 1e-12))
      {
        double step = std::min(dt, end - t);
        const auto next_break = std::upper_bound(breaks.begin(), breaks.end(), t * (1 + 1e-12) + 1e-9);
        if (next_break != breaks.end())
          step = std::min(step, *next_break - t);
        const double wall_before = wall.wall_time();
        const auto b = coupled ? coupling.step(*transport_, t, step) : transport_->step(t, step, *plasma);
        worst_transport_defect = std::max(worst_transport_defect, b.defect());
        for (unsigned int s = 0; s < 2; ++s)
          {
            in[s] += b.transvascular_net[s];
            lymph[s] += b.lymphatic[s];
            out[s] += b.boundary_outflow[s];
            released[s] += b.released[s];
          }
        dose_->advance(step);
        const auto new_content = transport_->region_content();
        for (unsigned int r = 0; r < 3; ++r) // trapezoidal time integral of activity
          tia[r] += 0.5 * (hot_activity(content, r) + hot_activity(new_content, r)) * step / units::h;
        content = new_content;
        t += step;
        ++steps;
        if (coupled)
          {
            coupling.apply_boluses(t);
            coupling.record(t, content);
          }
        // Progress: at output times and at least every 10 s of wall time.
        const double wall_now = wall.wall_time();
        wall_per_step = steps == 1 ? wall_now - wall_before :
                                     0.8 * wall_per_step + 0.2 * (wall_now - wall_before);
        const auto   output_here = outputs.lower_bound(t * (1 - 1e-12) - 1e-9);
        const bool   is_output   = output_here != outputs.end() && std::abs(*output_here - t) <= 1e-9 * t + 1e-9;
        if (is_output)
          {
            TimerOutput::Scope scope(*timer, "Output: VTU");
            write_row(t, content);
            const auto dose_rate = dose_->dose_rate_Gy_per_h();
            const auto dose = dose_->dose_Gy();
            const auto bed = dose_->bed_Gy(), bed_h = dose_->bed_hypoxia_adjusted_Gy();
            const auto &tdofs = transport_->dof_handler();
            std::vector<NodalField> extra = {{&tdofs, &dose_rate, "dose_rate_Gy_per_h"},
                                             {&tdofs, &dose, "dose_Gy"},
                                             {&tdofs, &bed, "bed_Gy"},
                                             {&tdofs, &bed_h, "bed_hypoxia_adjusted_Gy"}};
            if (oxygen_->enabled())
              {
                extra.push_back({&oxygen_->dof_handler(), &oxygen_->po2_mmHg(), "pO2_mmHg"});
                extra.push_back({&oxygen_->dof_handler(), &hypoxic, "hypoxic"});
              }
            const std::string pvtu = write_transport_fields(*transport_, darcy_->mapping(), a_per_nmol,
                                                            directory, counter++, t / units::h, extra);
            record.add(t / units::h, pvtu, comm);
            if (vessels_.representation() == VesselCoupling::Representation::line_sources)
              {
                // The ligand crossing each vessel wall now, beside the tissue fields.
                const auto   c_p  = coupled ? coupling.last_mean_plasma_nM() :
                                              plasma->concentration_nM(t / units::h);
                const auto  &y    = transport_->fields();
                auto         flux = vessels_.segment_ligand_flux(transport_->dof_handler(),
                                                                 {&y[0], &y[1]}, c_p[0] + c_p[1],
                                                                 transport_->line_source_ligand_coefficients());
                for (auto &f : flux)
                  f *= 1e3 * units::min; // nmol/s -> pmol/min
                const std::string name =
                  "vessel_network_" + Utilities::int_to_string(counter - 1, 4) + ".vtp";
                vessels_.write_vtp(directory + "/" + name,
                                   {NetworkField{"ligand_flux_pmol_per_min", flux}});
                network_record.add(t / units::h, name, comm);
              }
          }
        if (is_output || wall_now - last_progress_s > 10 || t >= end * (1 - 1e-12))
          {
            last_progress_s = wall_now;
            const double next_dt = step == dt ? transport_->next_step(dt) : dt;
            // Steps still to go at the step size reached (it only grows), times the recent
            // wall time per step.
            const double eta = (end - t) / std::max(next_dt, 1e-300) * wall_per_step;
            pcout << "  t = " << std::setw(7) << std::fixed << std::setprecision(2) << t / units::h
                  << " h  step " << std::setw(5) << steps << "  dt " << std::setprecision(2)
                  << step / units::min << " min  tumour "
                  << std::setprecision(4) << std::defaultfloat
                  << hot_activity(content, tumour) + hot_activity(content, core) << " MBq";
            if (coupled)
              pcout << "  lesion plasma " << coupling.last_mean_plasma_nM()[0] +
                                              coupling.last_mean_plasma_nM()[1]
                    << " nM";
            pcout << "  wall " << std::fixed << std::setprecision(1) << wall_now << " s  left ~"
                  << eta << " s" << std::defaultfloat << std::endl;
          }
        if (step == dt)
          dt = transport_->next_step(dt);

        const auto action = checkpointer.after_step(steps, t, comm);
        if (action != Checkpointer::Action::none)
          {
            TimerOutput::Scope scope(*timer, "Checkpoint: write");
            const double       before = checkpointer.write_seconds();
            std::ostringstream bytes;
            {
              boost::archive::binary_oarchive archive(bytes);
              serialize_state(archive);
            }
            const auto vectors = state_vectors();
            checkpointer.write(directory, steps, t / units::h, triangulation, transport_->dof_handler(),
                               {vectors.begin(), vectors.end()}, bytes.str(), parameters_text, comm);
            pcout << std::setprecision(6) << "  checkpoint: step " << steps << ", t = " << t / units::h
                  << " h (" << std::setprecision(3) << checkpointer.write_seconds() - before
                  << " s)" << std::endl;
            if (action == Checkpointer::Action::write_and_stop)
              {
                return std::nullopt;
              }
          }
      }
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      write_file_atomically(directory + "/region_totals.csv", csv.str());

    Json j;
    j.set("dofs_per_field", static_cast<unsigned long long>(transport_->dof_handler().n_dofs()));
    j.set("steps", steps);
    j.set("end_time_h", t / units::h);
    j.set("time_loop_wall_s", wall.wall_time());
    j.set("max_step_balance_relative_defect", worst_transport_defect);
    j.set("last_gmres_iterations", transport_->n_iterations());
    if (coupled)
      j.set("coupling_newton_iterations_per_step", coupling.mean_iterations());
    Json regions;
    for (const Region r : geometry_.regions())
      {
        Json jr;
        jr.set("time_integrated_activity_MBq_h", tia[region_index(material_id(r))]);
        jr.set("activity_at_end_MBq", hot_activity(content, region_index(material_id(r))));
        regions.set(region_key(r), jr);
      }
    j.set("regions", regions);
    j.set("dosimetry", dosimetry_summary(tia));
    j.set("transvascular_net_uptake_nmol", in[0] + in[1]);
    j.set("lymphatic_loss_nmol", lymph[0] + lymph[1]);
    j.set("boundary_outflow_nmol", out[0] + out[1]);
    j.set("released_nmol", released[0] + released[1]);
    return j;
  }

  Json Simulator::dosimetry_summary(const std::array<double, 3> &tia_MBq_h)
  {
    const auto report = dose_->report(geometry_);
    Json       j;
    j.set("energy_deposition", dose_->uses_kernel() ? "dose point kernel" : "local");
    // Energy check: the dose fields against the time-integrated activity of the region
    // totals (both trapezoidal in time; exact for local deposition and for the kernel).
    const double emitted_J = (tia_MBq_h[0] + tia_MBq_h[1] + tia_MBq_h[2]) * 1e6 * units::h *
                             dose_->electron_energy_J();
    j.set("energy_emitted_J", emitted_J);
    j.set("energy_deposited_J", report.energy_deposited_J);
    j.set("energy_balance_relative_defect",
          emitted_J > 0 ? std::abs(report.energy_deposited_J - emitted_J) / emitted_J : 0.0);
    j.set("target_bed_Gy", dose_->target_bed());
    j.set("sets", report.sets);
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        write_file_atomically(directory + "/dvh.csv", report.dvh_dose_csv);
        write_file_atomically(directory + "/dvh_bed_hypoxia_adjusted.csv", report.dvh_bed_csv);
        if (plot_dvh)
          {
            // The plot is a convenience: a missing python3/matplotlib is a notice, not an error.
            const std::string command = RADIOTWIN_PYTHON " " RADIOTWIN_SOURCE_DIR
                                        "/postprocessing/plot_dvh.py '" + directory +
                                        "' > '" + directory + "/plot_dvh.log' 2>&1";
            if (std::system(command.c_str()) != 0)
              std::cout << "  notice: dvh.png not drawn (see " << directory
                        << "/plot_dvh.log; python3 with matplotlib is needed)" << std::endl;
          }
      }
    j.set("dvh_files", "dvh.csv, dvh_bed_hypoxia_adjusted.csv");
    return j;
  }

  Json Simulator::vessel_network_summary()
  {
    const auto &net = vessels_.network();
    const auto &b   = vessels_.diagnostics();
    Json        j;
    j.set("representation",
          vessels_.representation() == VesselCoupling::Representation::line_sources ?
            "line sources" :
            "homogenised network");
    j.set("source", net.source);
    j.set("nodes", net.n_nodes());
    j.set("segments", net.n_segments());
    j.set("total_length_mm", net.total_length() / units::mm);
    j.set("wall_surface_mm2", net.total_surface() / (units::mm * units::mm));
    j.set("exchange_points", vessels_.n_sample_points());
    const auto density = vessels_.density_report();
    Json regions;
    for (const Region r : geometry_.regions())
      {
        const unsigned int i = region_index(material_id(r));
        Json region;
        region.set("length_density_mm_per_mm3", density.length_density_per_m2[i] * units::mm * units::mm);
        region.set("surface_density_per_cm", density.surface_density_per_m[i] * units::cm);
        regions.set(region_key(r), region);
      }
    j.set("density", regions);
    j.set("blood_pressure_min_mmHg", b.min_pressure / units::mmHg);
    j.set("blood_pressure_max_mmHg", b.max_pressure / units::mmHg);
    j.set("inflow_nL_per_min", b.inflow / units::nL_per_min);
    j.set("outflow_nL_per_min", b.outflow / units::nL_per_min);
    j.set("wall_leakage_nL_per_min", b.network_leakage / units::nL_per_min);
    j.set("tissue_line_source_nL_per_min", b.tissue_source / units::nL_per_min);
    j.set("network_balance_relative_defect", b.network_defect());
    j.set("exchange_balance_relative_defect", b.exchange_defect());
    j.set("coupling_iterations", b.iterations);
    j.set("coupling_final_relative_change", b.final_change);
    {
      TimerOutput::Scope scope(*timer, "Output: vessel network");
      std::vector<NetworkField> extra;
      if (oxygen_->enabled() &&
          vessels_.representation() == VesselCoupling::Representation::line_sources)
        {
          // Blood pO2 (segment mean over its points) and the oxygen each segment gives.
          const auto  tissue_po2 = vessels_.replicate(oxygen_->line_source_po2());
          const auto  g          = vessels_.replicate(oxygen_->line_source_oxygen_conductance());
          const auto &blood      = vessels_.blood_po2();
          std::vector<double> supply(blood.size()), ones(blood.size(), 1.0);
          for (std::size_t k = 0; k < blood.size(); ++k)
            supply[k] = g[k] * (blood[k] - tissue_po2[k]) / (units::nL_per_min);
          auto       mean  = vessels_.per_segment(blood);
          const auto count = vessels_.per_segment(ones);
          for (std::size_t s = 0; s < mean.size(); ++s)
            mean[s] = count[s] > 0 ? mean[s] / count[s] : std::nan("");
          extra = {{"blood_pO2_mmHg", mean},
                   {"oxygen_supply_nL_O2_per_min", vessels_.per_segment(supply)}};
        }
      vessels_.write_vtp(directory + "/vessel_network.vtp", extra);
      j.set("file", "vessel_network.vtp");
    }
    return j;
  }

  void Simulator::write_profile_and_verification(Json &darcy_summary, Json &verification)
  {
    TimerOutput::Scope scope(*timer, "Output: profile and verification");
    const Point<3> &centre = geometry_.centre();
    const double    length = profile_length_m > 0 ? profile_length_m : geometry_.outer_extent();
    std::vector<Point<3>> points(profile_points);
    for (unsigned int i = 0; i < profile_points; ++i)
      points[i] = centre + (length * i / (profile_points - 1)) * profile_direction;
    // Nudge the last point inside: the discrete boundary of curved cells lies within.
    points.back() = centre + (length * (1 - 1e-3 / profile_points)) * profile_direction;

    const auto samples = sample_field(darcy_->mapping(), darcy_->dof_handler(),
                                      darcy_->pressure(), points);
    darcy_summary.set("ifp_centre_mmHg",
                      samples[0].found ? samples[0].value / units::mmHg : std::nan(""));

    std::optional<physics::BaxterJainSphere> closed_form;
    if (verify_baxter_jain)
      closed_form.emplace(tissue(Region::tumour), geometry_.tumour_radius(), 0.0);

    std::ostringstream csv;
    csv << "r_mm,x_mm,y_mm,z_mm,region,ifp_mmHg,radial_velocity_um_per_s"
        << (closed_form ? ",ifp_closed_form_mmHg" : "") << "\n";
    csv << std::setprecision(12);
    for (const auto &s : samples)
      {
        if (!s.found)
          continue;
        const double K = tissue(s.material).hydraulic_conductivity;
        const double r = s.x.distance(centre);
        csv << r / units::mm << "," << s.x[0] / units::mm << "," << s.x[1] / units::mm << ","
            << s.x[2] / units::mm << "," << int(s.material) << "," << s.value / units::mmHg
            << "," << (-K * s.gradient * profile_direction) / units::um_per_s;
        if (closed_form)
          csv << "," << closed_form->pressure(r) / units::mmHg;
        csv << "\n";
      }
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      write_file_atomically(directory + "/radial_profile.csv", csv.str());

    if (closed_form)
      {
        // The outer boundary condition of the closed form is the solver's.
        const BaxterJainPressure exact(*closed_form, centre);
        const auto [l2, h1] = darcy_->errors(exact);
        double norm2 = 0; // ||p_exact||^2 with the error's quadrature
        {
          const QGauss<3> quadrature(darcy_->degree() + 3); // as DarcySolver::errors
          FEValues<3> fev(darcy_->mapping(), darcy_->dof_handler().get_fe(), quadrature,
                          update_quadrature_points | update_JxW_values);
          for (const auto &cell : darcy_->dof_handler().active_cell_iterators())
            if (cell->is_locally_owned())
              {
                fev.reinit(cell);
                for (const unsigned int q : fev.quadrature_point_indices())
                  norm2 += std::pow(exact.value(fev.quadrature_point(q)), 2) * fev.JxW(q);
              }
          norm2 = Utilities::MPI::sum(norm2, comm);
        }
        const double u_exact = closed_form->rim_velocity();
        verification.set("alpha", closed_form->alpha);
        verification.set("ifp_centre_closed_form_mmHg", closed_form->pressure(0) / units::mmHg);
        verification.set("ifp_relative_L2_error", l2 / std::sqrt(norm2));
        verification.set("ifp_H1_seminorm_error_Pa_per_m", h1);
        verification.set("rim_velocity_closed_form_um_per_s", u_exact / units::um_per_s);
        verification.set("rim_velocity_mean_relative_error",
                         std::abs(diagnostics.rim_velocity_mean - u_exact) / u_exact);
        verification.set("rim_velocity_from_consistent_flux_relative_error",
                         std::abs(diagnostics.outflow_consistent / diagnostics.rim_area - u_exact) /
                           u_exact);
      }
  }
} // namespace radiotwin
