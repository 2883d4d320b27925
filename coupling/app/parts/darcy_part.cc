#include "coupling/app/parts/darcy_part.h"

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

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
                      "Compare the IFP and the rim velocity with the closed form of a uniformly "
                      "perfused isolated sphere (docs/physics.md section 2) and report the "
                      "errors in summary.json. Needs 'Geometry/Type = isolated sphere' without "
                      "necrotic core, no lymphatics, uniform vessels and a Dirichlet boundary.");
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
    if (verify_baxter_jain &&
        (geometry.type() != Geometry::Type::isolated_sphere || geometry.necrotic_core_radius() > 0 ||
         context.tissue(Region::tumour).lymphatic_coefficient != 0))
      file.fail("Verification/Compare with Baxter-Jain sphere",
                "the closed form holds for 'Geometry/Type = isolated sphere' without necrotic "
                "core and without tumour lymphatics");

    darcy = std::make_unique<DarcySolver>(context.triangulation, context.tissue, context.timer);
    darcy->parse_parameters(prm, file);
  }

  void DarcyPart::setup()
  {
    darcy->setup();
    vessels = context.find<VesselPart>();
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
    if (verify_baxter_jain)
      closed_form.emplace(context.tissue(Region::tumour), geometry.tumour_radius(), 0.0);

    std::ostringstream csv;
    csv << "r_mm,x_mm,y_mm,z_mm,region,ifp_mmHg,radial_velocity_um_per_s"
        << (closed_form ? ",ifp_closed_form_mmHg" : "") << "\n";
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
        if (closed_form)
          csv << "," << closed_form->pressure(r) / units::mmHg;
        csv << "\n";
      }
    if (context.root())
      write_file_atomically(context.output_directory + "/radial_profile.csv", csv.str());

    if (closed_form)
      {
        // The outer boundary condition of the closed form is the solver's.
        const BaxterJainPressure exact(*closed_form, centre);
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
