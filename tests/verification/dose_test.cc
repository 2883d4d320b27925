// Absorbed dose and BED fields (docs/physics.md sections 6-7) against closed forms:
//   - uniform activity decaying in a sphere: the interior dose A0 E/rho (1 - e^-lambda T)/lambda,
//     by local deposition and by the kernel convolution (which must return the local value
//     away from the edges), with the emitted energy deposited to round-off;
//   - the centre of a small uniform sphere under the kernel: A E/rho (1 - (Phi(cut) - Phi(R)));
//   - BED of a mono-exponential dose rate against Lea-Catcheside to 1e-6, and the
//     hypoxia-adjusted BED against its OER closed form;
//   - the kernel table's checks on load.
#define BOOST_TEST_MODULE dose
#include "../test_main.h"

#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/grid/grid_generator.h>

#include <cmath>
#include <fstream>

#include "physics/base/input_error.h"
#include "physics/oxygen.h"
#include "physics/radiobiology.h"
#include "physics/tissue_dosimetry.h"
#include "physics/base/units.h"
#include "solvers/darcy_solver.h"
#include "solvers/dose_calculator.h"
#include "solvers/oxygen_solver.h"
#include "solvers/transport_solver.h"
#include "tests/verification/solver_fixture.h"

using namespace radiotwin;
using namespace dealii;

namespace
{
  using VectorType = LinearAlgebra::distributed::Vector<double>;

  /// A box of tumour tissue [-a, a]^3 with n cells per direction, its Darcy and transport
  /// solvers (for the DoFs and lumped volumes) and a dose calculator.
  struct Setup
  {
    testing::SolverFixture           fixture;
    DarcySolver &                    darcy = *fixture.darcy;
    testing::SolverFixture::Tria &   tria  = fixture.tria;
    std::unique_ptr<TransportSolver> transport;
    std::unique_ptr<DoseCalculator>  dose;
    std::map<types::global_dof_index, Point<3>> support;

    Setup(const double a, const unsigned int n, const std::string &dosimetry = "")
      : fixture("subsection Transport\n set Enabled = true\nend\n"
                "subsection Dosimetry\n" + dosimetry + "end\n",
                [](ParameterHandler &prm) {
                  TissueDosimetry::declare_parameters(prm);
                  TransportSolver::declare_parameters(prm);
                  OxygenSolver::declare_parameters(prm);
                  DoseCalculator::declare_parameters(prm);
                },
                [&](testing::SolverFixture::Tria &t) {
                  GridGenerator::subdivided_hyper_cube(t, n, -a, a);
                  for (const auto &cell : t.active_cell_iterators())
                    cell->set_material_id(material_id(Region::tumour));
                })
    {
      darcy.setup();
      darcy.solve();
      transport = std::make_unique<TransportSolver>(darcy, fixture.tissue, fixture.timer);
      transport->parse_parameters(fixture.prm, fixture.file);
      transport->setup();
      dose = std::make_unique<DoseCalculator>(*transport, fixture.timer);
      dose->parse_parameters(fixture.prm, fixture.file);
      DoFTools::map_dofs_to_support_points(darcy.mapping(), transport->dof_handler(), support);
    }
    /// A per node: f(x) for the owned nodes.
    template <class F>
    VectorType field(const F &f) const
    {
      const auto &dofs = transport->dof_handler();
      VectorType  v(dofs.locally_owned_dofs(), DoFTools::extract_locally_relevant_dofs(dofs),
                   MPI_COMM_WORLD);
      for (const auto i : dofs.locally_owned_dofs())
        v(i) = f(support.at(i));
      v.update_ghost_values();
      return v;
    }
    /// Value of a (ghosted) nodal vector at the node at x (collective; NaN if none).
    double at(const VectorType &v, const Point<3> &x) const
    {
      double value = -1e300;
      for (const auto i : transport->dof_handler().locally_owned_dofs())
        if (support.at(i).distance(x) < 1e-12)
          value = v(i);
      return Utilities::MPI::max(value, MPI_COMM_WORLD);
    }
    double total(const VectorType &v) const // sum V_i v_i over the owned nodes, all ranks
    {
      double s = 0;
      for (const auto i : transport->dof_handler().locally_owned_dofs())
        s += transport->lumped_volume()(i) * v(i);
      return Utilities::MPI::sum(s, MPI_COMM_WORLD);
    }
  };

  constexpr double A0         = 1e12; // [Bq/m^3] = 1 MBq/mL
  constexpr double energy_J   = 147.9 * constants::joule_per_keV;
  constexpr double density    = 1040;
  const double     lambda_per_s = std::log(2.0) / (6.647 * 86400);
} // namespace

BOOST_AUTO_TEST_CASE(uniform_sphere_interior_dose)
{
  // Sphere of radius 1 mm in a 3 mm box, h = 0.125 mm; the kernel's cut-off (0.5 mm) keeps
  // the centre's neighbours inside the sphere.
  const double R = 1e-3;
  double       energy[2], centre[2];
  for (const bool kernel : {false, true})
    {
      Setup s(1.5e-3, 24,
              kernel ? " set Energy deposition = dose point kernel\n"
                       " set Kernel file = " + source_path("configs/data/lu177_dose_point_kernel.csv") +
                         "\n set Kernel cut-off radius [mm] = 0.5\n" :
                       "");
      const VectorType unit = s.field([&](const Point<3> &x) { return x.norm() < R ? 1.0 : 0.0; });
      VectorType       A(unit);
      A *= A0;
      // The dose rate at the start comes from the transport fields (zero); begin with A0.
      s.dose->setup(s.darcy.mapping(), 1.0);
      // Steps of 6 h: the dose is trapezoidal in time, so the closed form it must match to
      // round-off is the trapezoidal sum of the decaying rate (within (lambda dt)^2/12 =
      // 7e-5 of the exact integral, also checked).
      const double dt = 6 * units::h, T = 7 * 24 * units::h;
      VectorType   A_t(A);
      s.dose->advance(0.0, A); // the rate at t = 0
      double trapezoid = 0;    // int_0^T e^(-lambda t) dt, trapezoidal
      for (double t = 0; t < T - 1e-6; t += dt)
        {
          A_t = A;
          A_t *= std::exp(-lambda_per_s * (t + dt));
          s.dose->advance(dt, A_t);
          trapezoid += 0.5 * dt * (std::exp(-lambda_per_s * t) + std::exp(-lambda_per_s * (t + dt)));
        }
      const double closed = A0 * energy_J / density * trapezoid;
      const double exact  = A0 * energy_J / density * (1 - std::exp(-lambda_per_s * T)) / lambda_per_s;
      centre[kernel] = s.at(s.dose->dose_Gy(), Point<3>());
      energy[kernel] = density * s.total(s.dose->dose_Gy());
      const std::size_t n_weights = s.dose->n_kernel_weights(); // collective
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << std::setprecision(12) << (kernel ? "kernel" : "local") << ": centre dose "
                  << centre[kernel] << " Gy, closed form " << closed << " Gy (exact integral "
                  << exact << "); energy " << energy[kernel] << " J"
                  << (kernel ? ", " + std::to_string(n_weights) + " weights" : "")
                  << std::endl;
      BOOST_TEST(std::abs(centre[kernel] - closed) / closed < 1e-12);
      BOOST_TEST(std::abs(closed - exact) / exact < 1e-4);
      // Energy deposited = energy emitted.
      const double emitted = A0 * energy_J * s.total(unit) * trapezoid;
      BOOST_TEST(std::abs(energy[kernel] - emitted) / emitted < 1e-12);
    }
  BOOST_TEST(std::abs(centre[1] - centre[0]) / centre[0] < 1e-12);
}

BOOST_AUTO_TEST_CASE(small_sphere_centre_under_the_kernel)
{
  // A sphere of radius 0.3 mm, about the mean beta range, with constant activity: its centre
  // receives the fraction of the kernel inside the sphere (Phi(R)) plus, by the difference
  // form, what lies beyond the cut-off (1 - Phi(cut)).
  const double     Rs = 0.3e-3, cut = 0.6e-3;
  const std::string file = source_path("configs/data/lu177_dose_point_kernel.csv");
  const DosePointKernel k = DosePointKernel::read(file, 0.02);
  const double expected = 1 - (k.fraction_within(cut) - k.fraction_within(Rs));
  std::vector<double> error;
  for (const unsigned int n : {12u, 24u})
    {
      Setup s(0.9e-3, n,
              " set Energy deposition = dose point kernel\n set Kernel file = " + file +
                "\n set Kernel cut-off radius [mm] = 0.6\n");
      s.dose->setup(s.darcy.mapping(), 1.0);
      const VectorType A = s.field([&](const Point<3> &x) { return x.norm() <= Rs ? A0 : 0.0; });
      VectorType       rate(A);
      s.dose->dose_rate(A, rate);
      const double ratio = s.at(rate, Point<3>()) / (A0 * energy_J / density);
      error.push_back(std::abs(ratio - expected));
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "small sphere, " << n << " cells across: centre dose rate / local "
                  << ratio << ", closed form " << expected << std::endl;
    }
  BOOST_TEST(expected < 0.8); // the test sees the convolution: local deposition gives 1
  BOOST_TEST(error[1] < error[0]);
  BOOST_TEST(error[1] < 0.03);
}

BOOST_AUTO_TEST_CASE(bed_of_a_monoexponential_dose_rate)
{
  // Uniform activity decaying mono-exponentially, delivered to completion (30 half-lives).
  Setup s(0.5e-3, 4);
  const double P = 5; // [mmHg] uniform pO2, for the hypoxia-adjusted BED
  FE_Q<3>      fe(1);
  DoFHandler<3> o2_dofs(s.tria);
  o2_dofs.distribute_dofs(fe);
  VectorType po2(o2_dofs.locally_owned_dofs(), DoFTools::extract_locally_relevant_dofs(o2_dofs),
                 MPI_COMM_WORLD);
  po2 = P;
  s.dose->set_oxygen(o2_dofs, po2, 10.0);
  s.dose->setup(s.darcy.mapping(), 1.0);
  const VectorType A = s.field([](const Point<3> &) { return A0; });
  s.dose->advance(0.0, A);
  const double dt = 0.25 * units::h, T = 30 * 6.647 * 86400;
  VectorType   A_t(A);
  for (double t = 0; t < T - 1e-6; t += dt)
    {
      A_t = A;
      A_t *= std::exp(-lambda_per_s * (t + dt));
      s.dose->advance(dt, A_t);
    }
  const double rate0_Gy_per_h = A0 * energy_J / density * units::h;
  const double lambda_h       = lambda_per_s * units::h;
  const double bed = physics::bed_monoexponential(rate0_Gy_per_h, lambda_h, 1.9, 1.5);
  const double D   = rate0_Gy_per_h / lambda_h;
  const double bed_h_closed = D / physics::oxygen_enhancement_ratio(P, 2.5) +
                              (bed - D) / std::pow(physics::oxygen_enhancement_ratio(P, 3.0), 2);
  const double bed_field   = s.at(s.dose->bed_Gy(), Point<3>(0.5e-3, 0.5e-3, 0.5e-3));
  const double bed_h_field = s.at(s.dose->bed_hypoxia_adjusted_Gy(), Point<3>(0.5e-3, 0.5e-3, 0.5e-3));
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << std::setprecision(12) << "BED field " << bed_field << " Gy, Lea-Catcheside "
              << bed << " Gy (D " << D << " Gy); hypoxia-adjusted " << bed_h_field
              << " Gy, closed form " << bed_h_closed << " Gy" << std::endl;
  BOOST_TEST(std::abs(bed_field - bed) / bed < 1e-6);
  BOOST_TEST(std::abs(bed_h_field - bed_h_closed) / bed_h_closed < 1e-6);
  BOOST_TEST(bed_h_field < 0.8 * bed_field); // 5 mmHg: OER_alpha 1.31, markedly less effective
}

BOOST_AUTO_TEST_CASE(kernel_table_checks)
{
  const auto write = [](const std::string &name, const std::string &text) {
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::ofstream(name) << text;
    MPI_Barrier(MPI_COMM_WORLD);
    return name;
  };
  const auto message = [](const std::string &file) {
    try
      {
        DosePointKernel::read(file, 0.02);
      }
    catch (const InputError &e)
      {
        return std::string(e.what());
      }
    return std::string("no error");
  };
  std::string e = message(write("dpk_half.csv", "r_mm,energy_fraction_per_mm\n0,1\n0.5,1\n"));
  BOOST_TEST(e.find("dpk_half.csv: the kernel's energy fractions integrate to 0.5") == 0u, e);
  e = message(write("dpk_bad.csv", "r_mm,energy_fraction_per_mm\n0,1\n0.5,x\n"));
  BOOST_TEST(e.find("dpk_bad.csv:3: expected two numbers") == 0u, e);
  e = message(write("dpk_order.csv", "0,1\n0.5,1\n0.4,1\n"));
  BOOST_TEST(e.find("dpk_order.csv:3: radii must increase") == 0u, e);
  e = message(write("dpk_negative.csv", "0,1\n0.5,-1\n"));
  BOOST_TEST(e.find("dpk_negative.csv:2: negative") == 0u, e);
  e = message("no_such_kernel.csv");
  BOOST_TEST(e.find("cannot open 'no_such_kernel.csv'") != std::string::npos, e);
  const DosePointKernel k = DosePointKernel::read(source_path("configs/data/lu177_dose_point_kernel.csv"), 0.02);
  BOOST_TEST(std::abs(k.integral() - 1) < 2e-4);
}
