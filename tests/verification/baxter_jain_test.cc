// The shipped verification case configs/verification/baxter_jain_sphere.prm against the
// Baxter-Jain closed form (docs/physics.md section 2): IFP relative L2 error below 1% at
// the shipped refinement and decreasing under refinement; rim velocity; fluid balance.
#define BOOST_TEST_MODULE baxter_jain
#include "../test_main.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

#include "physics/base/parameter_file.h"
#include "coupling/app/simulator.h"
#include "coupling/app/parts/body_coupling_part.h"
#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/dose_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "coupling/app/parts/transport_part.h"
#include "coupling/app/parts/vessel_part.h"
#include "physics/base/units.h"

using namespace radiotwin;
using namespace dealii;

namespace
{
  struct Result
  {
    double ifp_error, rim_velocity_error_flux, rim_velocity_error_gradient, balance;
  };

  Result run(const unsigned int rim_refinements)
  {
    ParameterHandler prm;
    Simulator::declare_parameters(prm);
    ParameterFile file;
    file.read(prm, source_path("configs/verification/baxter_jain_sphere.prm"),
              {"Geometry/Rim refinements=" + std::to_string(rim_refinements),
               "Output/Directory=baxter_jain_rim" + std::to_string(rim_refinements),
               "Output/Write VTU=false"});
    Simulator sim(MPI_COMM_WORLD, prm, file);
    sim.run();

    // The closed form from the tumour's parameters as the file sets them.
    TissueProperties tissue;
    tissue.parse_parameters(prm, file);
    const physics::StarlingCoefficients &c = tissue(Region::tumour);
    const physics::BaxterJainSphere exact(c, sim.geometry().tumour_radius(), 0.0);
    BOOST_TEST(exact.alpha > 36.7);
    BOOST_TEST(exact.alpha < 36.9);

    // ||p_h - p|| / ||p|| with a 5-point Gauss rule per direction.
    const auto &darcy = sim.part<DarcyPart>()->solver();
    FEValues<3> fev(darcy.mapping(), darcy.dof_handler().get_fe(), QGauss<3>(5),
                    update_values | update_quadrature_points | update_JxW_values);
    std::vector<double> p(fev.n_quadrature_points);
    double err2 = 0, norm2 = 0;
    for (const auto &cell : darcy.dof_handler().active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fev.reinit(cell);
          fev.get_function_values(darcy.pressure(), p);
          for (const auto q : fev.quadrature_point_indices())
            {
              const double pe = exact.pressure(fev.quadrature_point(q).norm());
              err2 += std::pow(p[q] - pe, 2) * fev.JxW(q);
              norm2 += pe * pe * fev.JxW(q);
            }
        }
    err2  = Utilities::MPI::sum(err2, MPI_COMM_WORLD);
    norm2 = Utilities::MPI::sum(norm2, MPI_COMM_WORLD);

    const auto &d = sim.part<DarcyPart>()->diagnostics();
    const double u = exact.rim_velocity();
    Result r;
    r.ifp_error                   = std::sqrt(err2 / norm2);
    r.rim_velocity_error_flux     = std::abs(d.outflow_consistent / d.rim_area - u) / u;
    r.rim_velocity_error_gradient = std::abs(d.rim_velocity_mean - u) / u;
    r.balance                     = d.balance_defect();
    std::cout << "rim refinements " << rim_refinements << ": DoFs " << darcy.n_dofs()
              << ", IFP relative L2 error " << r.ifp_error
              << ", rim velocity error (consistent flux) " << r.rim_velocity_error_flux
              << ", (gradient) " << r.rim_velocity_error_gradient << ", balance defect "
              << r.balance << std::endl;
    return r;
  }
} // namespace

BOOST_AUTO_TEST_CASE(closed_form_and_convergence)
{
  const Result coarse  = run(1);
  const Result shipped = run(2); // the value in the shipped config
  BOOST_TEST(shipped.ifp_error < 0.01);
  BOOST_TEST(shipped.ifp_error < coarse.ifp_error / 3);
  BOOST_TEST(shipped.rim_velocity_error_flux < 0.01);
  BOOST_TEST(shipped.rim_velocity_error_flux < coarse.rim_velocity_error_flux / 3);
  BOOST_TEST(shipped.rim_velocity_error_gradient < coarse.rim_velocity_error_gradient);
  // Fluid balance (issue point 7d): leakage - drainage = boundary outflow.
  BOOST_TEST(coarse.balance < 1e-6);
  BOOST_TEST(shipped.balance < 1e-6);
}
