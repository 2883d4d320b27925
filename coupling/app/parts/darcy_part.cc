#include "coupling/app/parts/darcy_part.h"

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/distributed/grid_refinement.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/error_estimator.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "coupling/app/parts/vessel_part.h"
#include "physics/base/atomic_file.h"
#include "physics/base/units.h"
#include "postprocessing/line_profile.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// A radially symmetric closed-form pressure [Pa] (Baxter-Jain isolated or embedded
    /// sphere) as a deal.II function of x [m].
    template <class ClosedForm>
    class RadialPressure : public Function<3>
    {
    public:
      RadialPressure(const ClosedForm &s, const Point<3> &centre)
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
      ClosedForm sphere;
      Point<3>   centre;
    };

    /// ||f||_L2 with the quadrature of DarcySolver::errors (collective).
    double l2_norm(const DarcySolver &darcy, const Function<3> &f, MPI_Comm comm)
    {
      double          norm2 = 0;
      const QGauss<3> quadrature(darcy.degree() + 3);
      FEValues<3>     fev(darcy.mapping(), darcy.dof_handler().get_fe(), quadrature,
                      update_quadrature_points | update_JxW_values);
      for (const auto &cell : darcy.dof_handler().active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fev.reinit(cell);
            for (const unsigned int q : fev.quadrature_point_indices())
              norm2 += std::pow(f.value(fev.quadrature_point(q)), 2) * fev.JxW(q);
          }
      return std::sqrt(Utilities::MPI::sum(norm2, comm));
    }
  } // namespace

  void DarcyPart::declare_parameters(ParameterHandler &prm)
  {
    DarcySolver::declare_parameters(prm);
    prm.enter_subsection("Output");
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
                      "Compare the IFP with its closed form and report the errors in "
                      "summary.json (docs/physics.md section 2): for 'Geometry/Type = isolated "
                      "sphere' (no tumour lymphatics) the Baxter-Jain sphere, with its rim "
                      "velocity; for 'sphere in sphere' the tumour embedded in the host sphere, "
                      "each region with its own exchange and lymphatics. Needs no necrotic "
                      "core, uniform vessels and a Dirichlet boundary.");
    prm.leave_subsection();
    prm.enter_subsection("Darcy");
    prm.enter_subsection("Adaptive refinement");
    prm.declare_entry("Cycles", "0", Patterns::Integer(0, 30),
                      "Solve-estimate-refine cycles before the final solve (0: the mesh of "
                      "'Geometry' as it is). Each cycle estimates the error of the pressure per "
                      "cell (Kelly: the jump of its gradient across the faces) and refines the "
                      "cells chosen by 'Marking'. Steady runs only (no transport). Range: 0-30.");
    prm.declare_entry("Marking", "cell fraction", Patterns::Selection("cell fraction|error fraction"),
                      "Which cells a cycle refines: 'cell fraction': the 'Refine fraction' of "
                      "the cells with the largest indicators (fixed number); 'error fraction': "
                      "the cells with the largest indicators that together carry 'Refine "
                      "fraction' of the total (Doerfler); likewise for coarsening.");
    prm.declare_entry("Refine fraction", "0.1", Patterns::Double(0, 1),
                      "Fraction of the cells (or of the estimated error) refined in a cycle; "
                      "see 'Marking'. Unit: none. Range: 0-1.");
    prm.declare_entry("Coarsen fraction", "0", Patterns::Double(0, 1),
                      "Fraction of the cells (or of the estimated error) coarsened in a cycle, "
                      "those with the smallest indicators. Unit: none. Range: 0-1.");
    prm.declare_entry("Maximum cells", "2000000", Patterns::Integer(1, 2000000000),
                      "Stop the cycles before the mesh would exceed this many cells. Range: "
                      "1-2e9.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  std::unique_ptr<ModelPart> DarcyPart::create(RunContext &context, ParameterHandler &prm)
  {
    return std::make_unique<DarcyPart>(context, prm);
  }

  DarcyPart::DarcyPart(RunContext &context, ParameterHandler &prm)
    : context(context)
  {
    const ParameterFile &file = context.file;
    prm.enter_subsection("Output");
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
    const Geometry &geometry = context.geometry;
    const bool      isolated = geometry.type() == Geometry::Type::isolated_sphere;
    if (verify_baxter_jain &&
        ((!isolated && geometry.type() != Geometry::Type::sphere_in_sphere) ||
         geometry.necrotic_core_radius() > 0 ||
         (isolated && context.tissue(Region::tumour).lymphatic_coefficient != 0)))
      file.fail("Verification/Compare with Baxter-Jain sphere",
                "the closed forms hold for 'Geometry/Type = isolated sphere' (without tumour "
                "lymphatics) or 'sphere in sphere', both without necrotic core");

    prm.enter_subsection("Darcy");
    prm.enter_subsection("Adaptive refinement");
    adaptive_cycles        = prm.get_integer("Cycles");
    mark_by_error_fraction = prm.get("Marking") == "error fraction";
    refine_fraction        = prm.get_double("Refine fraction");
    coarsen_fraction       = prm.get_double("Coarsen fraction");
    maximum_adaptive_cells = prm.get_integer("Maximum cells");
    prm.leave_subsection();
    prm.leave_subsection();
    if (refine_fraction + coarsen_fraction > 1)
      file.fail("Darcy/Adaptive refinement/Coarsen fraction",
                "'Refine fraction' + 'Coarsen fraction' must not exceed 1");

    darcy = std::make_unique<DarcySolver>(context.triangulation, context.tissue, context.timer);
    darcy->parse_parameters(prm, file);
    if (verify_baxter_jain && !darcy->outer_boundary_is_dirichlet())
      file.fail("Verification/Compare with Baxter-Jain sphere",
                "the closed forms need a Dirichlet outer boundary ('Darcy/Outer boundary "
                "condition = Dirichlet')");
  }

  void DarcyPart::setup()
  {
    vessels = context.find<VesselPart>();
    if (adaptive_cycles > 0 && std::any_of(context.parts->begin(), context.parts->end(),
                                           [](const auto &p) { return p->is_time_dependent(); }))
      context.file.fail("Darcy/Adaptive refinement/Cycles",
                        "adaptive refinement is for steady runs: switch off the transport "
                        "(the time-dependent parts keep the mesh of 'Geometry')");
    if (adaptive_cycles > 0 && vessels)
      context.file.fail("Darcy/Adaptive refinement/Cycles",
                        "adaptive refinement does not yet work with a vessel network");
    darcy->setup();
    adapt_mesh();
  }

  void DarcyPart::adapt_mesh()
  {
    auto &tria = context.triangulation;
    for (unsigned int cycle = 1; cycle <= adaptive_cycles; ++cycle)
      {
        {
          TimerOutput::Scope scope(context.timer, "Darcy: adaptive refinement (solves)");
          darcy->solve_pressure();
        }
        TimerOutput::Scope scope(context.timer, "Darcy: adaptive refinement (estimate, refine)");
        Vector<float> indicators(tria.n_active_cells());
        KellyErrorEstimator<3>::estimate(darcy->mapping(), darcy->dof_handler(),
                                         QGauss<2>(darcy->degree() + 1), {}, darcy->pressure(),
                                         indicators);
        if (mark_by_error_fraction)
          parallel::distributed::GridRefinement::refine_and_coarsen_fixed_fraction(
            tria, indicators, refine_fraction, coarsen_fraction);
        else
          parallel::distributed::GridRefinement::refine_and_coarsen_fixed_number(
            tria, indicators, refine_fraction, coarsen_fraction);
        const double cells_after = Geometry::cells_after_flagged_refinement(tria);
        if (cells_after > maximum_adaptive_cells)
          {
            context.pcout << "  Darcy: adaptive refinement stops before cycle " << cycle << ": "
                          << "it would exceed 'Maximum cells' = " << maximum_adaptive_cells << std::endl;
            for (const auto &cell : tria.active_cell_iterators())
              cell->clear_refine_flag(), cell->clear_coarsen_flag();
            break;
          }
        context.geometry.require_memory_for(
          tria, cells_after, context.file.locate("Darcy/Adaptive refinement/Maximum cells").describe(),
          "lower 'Darcy/Adaptive refinement/Maximum cells' or use more ranks (nodes)");
        tria.execute_coarsening_and_refinement();
        darcy->setup();
        context.pcout << "  Darcy: adaptive cycle " << cycle << ": " << tria.n_global_active_cells()
                      << " cells, " << darcy->n_dofs() << " DoFs" << std::endl;
      }
  }

  void DarcyPart::solve_steady()
  {
    auto &pcout = context.pcout;
    pcout << "  Darcy: " << darcy->n_dofs() << " DoFs (Q" << darcy->degree() << "), "
          << (darcy->backend() == DarcySolver::Backend::petsc ? "PETSc BoomerAMG" : "Trilinos ML")
          << std::endl;
    // With a vessel network the network and the tissue flow are solved together.
    const unsigned int sweeps = vessels ? vessels->solve_flow(*darcy) : (darcy->solve(), 1u);
    pcout << "  Darcy: converged in " << darcy->n_iterations() << " CG iterations"
          << (sweeps > 1 ? " (the last sweep's solve, started from the sweep before)" : "")
          << std::endl;
    diagnostics_ = darcy->diagnostics();

    summary_                   = Json();
    summary_["linear_algebra"] = darcy->backend() == DarcySolver::Backend::petsc ? "PETSc" : "Trilinos";
    summary_["fe_degree"]      = darcy->degree();
    summary_["dofs"]           = static_cast<unsigned long long>(darcy->n_dofs());
    summary_["cg_iterations"]  = darcy->n_iterations();
    write_profile_and_verification();

    const auto &d = diagnostics_;
    summary_["regions"] = context.per_region([&](const unsigned int i) {
      return Json{{"volume_mL", d.volume[i] / units::mL},
                  {"ifp_mean_mmHg", d.mean_pressure[i] / units::mmHg},
                  {"ifp_max_mmHg", d.max_pressure[i] / units::mmHg},
                  {"ifp_min_mmHg", d.min_pressure[i] / units::mmHg}};
    });
    summary_["rim_velocity_max_um_per_s"]              = d.rim_velocity_max / units::um_per_s;
    summary_["rim_velocity_mean_outward_um_per_s"]     = d.rim_velocity_mean / units::um_per_s;
    summary_["fluid_leakage_from_vessels_uL_per_min"]  = d.vessel_leakage / units::uL_per_min;
    summary_["fluid_drained_by_lymphatics_uL_per_min"] = d.lymphatic_drainage / units::uL_per_min;
    summary_["outer_boundary_outflow_uL_per_min"]      = d.outflow_consistent / units::uL_per_min;
    summary_["outer_boundary_outflow_from_gradient_uL_per_min"] = d.outflow_gradient / units::uL_per_min;
    summary_["fluid_balance_relative_defect"]          = d.balance_defect();
  }

  void DarcyPart::finish()
  {
    // The flow's numbers close the run's log.
    const auto &       d      = diagnostics_;
    const unsigned int tumour = region_index(material_id(Region::tumour));
    context.pcout << std::setprecision(4) << "  IFP tumour mean " << d.mean_pressure[tumour] / units::mmHg
          << " mmHg, max " << d.max_pressure[tumour] / units::mmHg << " mmHg; rim velocity max "
          << d.rim_velocity_max / units::um_per_s << " um/s"
          << "\n  fluid: vessels " << d.vessel_leakage / units::uL_per_min << " uL/min, lymphatics "
          << d.lymphatic_drainage / units::uL_per_min << " uL/min, boundary outflow "
          << d.outflow_consistent / units::uL_per_min << " uL/min (balance defect "
          << d.balance_defect() << ")" << std::defaultfloat << std::setprecision(6) << std::endl;
  }

  std::string DarcyPart::write_stream(const OutputStream stream, const std::vector<NodalField> &extra,
                                      double, unsigned int) const
  {
    if (stream != OutputStream::steady)
      return "";
    return write_darcy_fields(*darcy, context.tissue, context.output_directory, "darcy", 0, 0.0, extra);
  }

  void DarcyPart::add_summary(Json &summary)
  {
    summary["darcy"] = summary_;
    if (verify_baxter_jain)
      summary["verification"] = verification;
  }

  void DarcyPart::write_profile_and_verification()
  {
    TimerOutput::Scope    scope(context.timer, "Output: profile and verification");
    const Geometry &      geometry = context.geometry;
    const Point<3> &      centre   = geometry.centre();
    const double          length   = profile_length_m > 0 ? profile_length_m : geometry.outer_extent();
    std::vector<Point<3>> points(profile_points);
    for (unsigned int i = 0; i < profile_points; ++i)
      points[i] = centre + (length * i / (profile_points - 1)) * profile_direction;
    // Nudge the last point inside: the discrete boundary of curved cells lies within.
    points.back() = centre + (length * (1 - 1e-3 / profile_points)) * profile_direction;

    const auto samples = sample_field(darcy->mapping(), darcy->dof_handler(), darcy->pressure(), points);
    summary_["ifp_centre_mmHg"] = samples[0].found ? samples[0].value / units::mmHg : std::nan("");

    std::optional<physics::BaxterJainSphere> closed_form;
    std::optional<physics::EmbeddedSphere>   embedded;
    if (verify_baxter_jain && geometry.type() == Geometry::Type::isolated_sphere)
      closed_form.emplace(context.tissue(Region::tumour), geometry.tumour_radius(),
                          darcy->outer_boundary_pressure());
    else if (verify_baxter_jain)
      embedded.emplace(context.tissue(Region::tumour), context.tissue(Region::host),
                       geometry.tumour_radius(), geometry.outer_extent(),
                       darcy->outer_boundary_pressure());
    const auto exact_pressure = [&](const double r) {
      return closed_form ? closed_form->pressure(r) : embedded->pressure(r);
    };

    std::ostringstream csv;
    csv << "r_mm,x_mm,y_mm,z_mm,region,ifp_mmHg,radial_velocity_um_per_s"
        << (verify_baxter_jain ? ",ifp_closed_form_mmHg" : "") << "\n";
    csv << std::setprecision(12);
    for (const auto &s : samples)
      {
        if (!s.found)
          continue;
        const double K = context.tissue(s.material).hydraulic_conductivity;
        const double r = s.x.distance(centre);
        csv << r / units::mm << "," << s.x[0] / units::mm << "," << s.x[1] / units::mm << ","
            << s.x[2] / units::mm << "," << int(s.material) << "," << s.value / units::mmHg << ","
            << (-K * s.gradient * profile_direction) / units::um_per_s;
        if (verify_baxter_jain)
          csv << "," << exact_pressure(r) / units::mmHg;
        csv << "\n";
      }
    if (context.root())
      write_file_atomically(context.output_directory + "/radial_profile.csv", csv.str());

    if (embedded)
      {
        const RadialPressure<physics::EmbeddedSphere> exact(*embedded, centre);
        const auto [l2, h1] = darcy->errors(exact);
        verification                                = Json();
        verification["closed_form"]                 = "tumour sphere embedded in a host sphere";
        verification["host_boundary_layer_mm"]      = 1 / embedded->k_host / units::mm;
        verification["ifp_centre_closed_form_mmHg"] = embedded->pressure(0) / units::mmHg;
        verification["ifp_relative_L2_error"]       = l2 / l2_norm(*darcy, exact, context.comm);
        verification["ifp_H1_seminorm_error_Pa_per_m"] = h1;
      }
    if (closed_form)
      {
        // The outer boundary condition of the closed form is the solver's.
        const RadialPressure<physics::BaxterJainSphere> exact(*closed_form, centre);
        const auto [l2, h1]  = darcy->errors(exact);
        const double u_exact = closed_form->rim_velocity();
        const auto & d       = diagnostics_;
        verification                                = Json();
        verification["alpha"]                       = closed_form->alpha;
        verification["ifp_centre_closed_form_mmHg"] = closed_form->pressure(0) / units::mmHg;
        verification["ifp_relative_L2_error"]       = l2 / l2_norm(*darcy, exact, context.comm);
        verification["ifp_H1_seminorm_error_Pa_per_m"]    = h1;
        verification["rim_velocity_closed_form_um_per_s"] = u_exact / units::um_per_s;
        verification["rim_velocity_mean_relative_error"] = std::abs(d.rim_velocity_mean - u_exact) / u_exact;
        verification["rim_velocity_from_consistent_flux_relative_error"] =
          std::abs(d.outflow_consistent / d.rim_area - u_exact) / u_exact;
      }
  }
} // namespace radiotwin
