// Manufactured solution for the transport step (issue 3, 7a): in an isolated sphere without
// flow, c(r, t) = c0 (1 + cos(pi r / R)) exp(-t / tau) solves
//   phi dc/dt - div(phi D grad c) + PS c = PS c_p + f
// with no diffusive flux through r = R (dc/dr = 0 there). Q1 with lumped mass and
// Crank-Nicolson: L2 error ~ h^2 in space and ~ dt^2 in time, both asserted.
#define BOOST_TEST_MODULE transport_mms
#include "../test_main.h"

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

#include "physics/base/parameter_file.h"
#include "physics/plasma_input.h"
#include "physics/tissue_dosimetry.h"
#include "meshes/geometry.h"
#include "physics/base/units.h"
#include "solvers/transport_solver.h"
#include "tests/verification/solver_fixture.h"

using namespace radiotwin;
using namespace dealii;

namespace
{
  constexpr double R = 2e-3, tau = 3600, c0 = 4.0, cp = 5.0; // m, s, nmol/L, nmol/L
  constexpr double phi = 0.38, D = 1.5e-10, PS = 4e-3;         // -, m^2/s, 1/s
  const double     k   = M_PI / R;

  class Exact : public Function<3>
  {
  public:
    double value(const Point<3> &x, const unsigned int = 0) const override
    {
      return c0 * (1 + std::cos(k * x.norm())) * std::exp(-get_time() / tau);
    }
  };

  class Source : public Function<3>
  {
  public:
    double value(const Point<3> &x, const unsigned int = 0) const override
    {
      const double r = x.norm(), e = std::exp(-get_time() / tau);
      const double c = c0 * (1 + std::cos(k * r)) * e;
      const double lap = r > 1e-12 ? c0 * e * (-k * k * std::cos(k * r) - 2 * k * std::sin(k * r) / r) :
                                     -3 * k * k * c0 * e;
      return -phi * c / tau - phi * D * lap + PS * c - PS * cp;
    }
  };

  /// Relative L2 error against the exact solution after 900 s with steps dt, and the final
  /// free-ligand vector (for temporal convergence on a fixed mesh).
  std::pair<double, VectorType> solve(const unsigned int level, const double dt)
  {
    const std::string text =
      "subsection Geometry\n set Type = isolated sphere\n set Tumour radius [mm] = 2\n"
      " set Global refinements = " + std::to_string(level) + "\nend\n"
      "subsection Tissue\n subsection Tumour\n"
      "  set Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1] = 0\n end\nend\n"
      "subsection Transport\n subsection Tumour\n  set Receptor density R0 [nmol L^-1] = 0\n"
      "  set Interstitial fraction phi [-] = 0.38\n  set Diffusivity D [cm^2 s^-1] = 1.5e-6\n"
      "  set Vessel permeability P [cm s^-1] = 2e-5\n end\n"
      " subsection Time stepping\n  set Theta [-] = 0.5\n end\nend\n"
      "subsection Radionuclide\n set Half-life [d] = 1e6\nend\n"
      "subsection Plasma input\n"
      " set Hot curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1] = 5, 0, 0, 0\n"
      " set Cold curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1] = 5, 0, 0, 0\nend\n";
    testing::SolverFixture f(text, [](ParameterHandler &prm) {
      TissueDosimetry::declare_parameters(prm);
      TransportSolver::declare_parameters(prm);
      PlasmaInput::declare_parameters(prm);
    });
    DarcySolver &darcy = *f.darcy;
    darcy.setup();
    darcy.solve(); // p = 0, u = 0: Lp = 0 and no lymphatics
    TransportSolver transport(darcy, f.tissue, f.timer);
    transport.parse_parameters(f.prm, f.file);
    const auto plasma = PlasmaInput::create(f.prm, f.file);
    transport.setup();
    Exact exact;
    transport.set_initial_free(exact);
    transport.set_extra_source(std::make_shared<Source>());

    const double end = 900; // s
    for (double t = 0; t < end - 1e-9; t += dt)
      transport.step(t, dt, *plasma);
    exact.set_time(end);

    const QGauss<3> quadrature(3);
    FEValues<3> fev(darcy.mapping(), transport.dof_handler().get_fe(), quadrature,
                    update_values | update_quadrature_points | update_JxW_values);
    std::vector<double> c(quadrature.size());
    double err2 = 0, norm2 = 0;
    for (const auto &cell : transport.dof_handler().active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fev.reinit(cell);
          fev.get_function_values(transport.fields()[1], c);
          for (const auto q : fev.quadrature_point_indices())
            {
              const double e = exact.value(fev.quadrature_point(q));
              err2 += std::pow(c[q] - e, 2) * fev.JxW(q);
              norm2 += e * e * fev.JxW(q);
            }
        }
    return {std::sqrt(Utilities::MPI::sum(err2, MPI_COMM_WORLD) /
                      Utilities::MPI::sum(norm2, MPI_COMM_WORLD)),
            transport.fields()[1]};
  }
} // namespace

BOOST_AUTO_TEST_CASE(second_order_in_space)
{
  double previous = 0;
  for (const unsigned int level : {1u, 2u, 3u})
    {
      const double e = solve(level, 10.0).first; // time error ~ (dt/tau)^2 << space error
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "level " << level << ": relative L2 error " << e
                  << (previous > 0 ? ", rate " + std::to_string(std::log2(previous / e)) : "") << std::endl;
      if (level == 3)
        BOOST_TEST(std::log2(previous / e) > 1.8);
      previous = e;
    }
}

BOOST_AUTO_TEST_CASE(second_order_in_time)
{
  // Same mesh, Crank-Nicolson transport in Strang splitting: the difference to a run with
  // 16x smaller steps falls as dt^2. (tau = 1 h and 900 s: the time error is well resolved.)
  const VectorType reference = solve(2, 3.75).second;
  double previous = 0;
  for (const double dt : {150.0, 75.0, 37.5})
    {
      VectorType difference = solve(2, dt).second;
      difference -= reference;
      const double e = difference.l2_norm() / reference.l2_norm();
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "dt " << dt << " s: relative difference " << e
                  << (previous > 0 ? ", rate " + std::to_string(std::log2(previous / e)) : "") << std::endl;
      if (previous > 0)
        BOOST_TEST(std::log2(previous / e) > 1.8);
      previous = e;
    }
}
