// Method of manufactured solutions for the Darcy/Starling operator on the curved
// sphere-in-sphere mesh: optimal rates, L2 ~ h^(k+1) and H1 ~ h^k for k = 1, 2, asserted.
// Runs on 1 and 2 ranks.
#define BOOST_TEST_MODULE darcy_mms
#include "../test_main.h"

#include <deal.II/base/function.h>
#include <deal.II/base/timer.h>

#include "physics/base/parameter_file.h"
#include "meshes/geometry.h"
#include "physics/base/units.h"
#include "solvers/darcy_solver.h"
#include "tests/verification/solver_fixture.h"

using namespace radiotwin;
using namespace dealii;

namespace
{
  constexpr double L  = 10e-3;            // host radius [m]
  constexpr double P0 = 5 * units::mmHg;  // amplitude [Pa]
  const double     k  = M_PI / L;

  /// p = P0 (2 + sin(k x) cos(k y) exp(z/L)) [Pa]
  class ExactPressure : public Function<3>
  {
  public:
    double value(const Point<3> &x, const unsigned int = 0) const override
    {
      return P0 * (2 + std::sin(k * x[0]) * std::cos(k * x[1]) * std::exp(x[2] / L));
    }
    Tensor<1, 3> gradient(const Point<3> &x, const unsigned int = 0) const override
    {
      const double e = P0 * std::exp(x[2] / L);
      return Tensor<1, 3>({k * std::cos(k * x[0]) * std::cos(k * x[1]) * e,
                           -k * std::sin(k * x[0]) * std::sin(k * x[1]) * e,
                           std::sin(k * x[0]) * std::cos(k * x[1]) * e / L});
    }
  };

  /// f = -K lap p + (a + b) p - (a p_e + b p_L), the source that makes p exact [1/s].
  class Source : public Function<3>
  {
  public:
    Source(const physics::StarlingCoefficients &c)
      : c(c)
    {}
    double value(const Point<3> &x, const unsigned int = 0) const override
    {
      const double s   = std::sin(k * x[0]) * std::cos(k * x[1]) * std::exp(x[2] / L);
      const double lap = P0 * s * (-2 * k * k + 1 / (L * L));
      const double a = c.transvascular_coefficient(), b = c.lymphatic_coefficient;
      const double p = P0 * (2 + s);
      return -c.hydraulic_conductivity * lap + (a + b) * p -
             (a * c.effective_pressure() + b * c.lymphatic_pressure);
    }

  private:
    physics::StarlingCoefficients c;
  };

  std::pair<double, double> solve(const unsigned int degree, const unsigned int refinements,
                                  const std::string &backend)
  {
    // Tumour and host get the same coefficients, so that p is smooth across the interface;
    // the mesh keeps its curved interface and boundary. The exchange coefficients are chosen
    // so that diffusion and reaction balance on the scale of the domain (a decay length of
    // ~3 mm): with the physiological ones (~0.1 mm) the test would see mostly the reaction.
    const std::string region_values =
      "  set Hydraulic conductivity K [cm^2 mmHg^-1 s^-1] = 8.53e-9\n"
      "  set Vessel wall hydraulic conductivity Lp [cm mmHg^-1 s^-1] = 1e-9\n"
      "  set Vessel surface density S/V [cm^-1] = 70\n"
      "  set Oncotic reflection coefficient sigma_T [-] = 0.91\n"
      "  set Interstitial oncotic pressure pi_i [mmHg] = 10\n"
      "  set Lymphatic filtration coefficient LpL SL/V [mmHg^-1 s^-1] = 2e-8\n"
      "  set Lymphatic pressure p_L [mmHg] = 1\n";
    const std::string text =
      "subsection Geometry\n set Type = sphere in sphere\n set Tumour radius [mm] = 5\n"
      " set Host size [mm] = 10\n set Global refinements = " +
      std::to_string(refinements) +
      "\nend\n"
      "subsection Tissue\n subsection Tumour\n" + region_values + " end\n"
      " subsection Host\n" + region_values + " end\nend\n"
      "subsection Darcy\n set Finite element degree = " +
      std::to_string(degree) +
      "\n subsection Linear solver\n  set Relative tolerance = 1e-12\n"
      "  set Linear algebra = " + backend + "\n end\nend\n";
    testing::SolverFixture f(text);
    DarcySolver &darcy = *f.darcy;
    const TissueProperties &tissue = f.tissue;
    auto exact = std::make_shared<ExactPressure>();
    darcy.set_boundary_pressure(exact);
    darcy.set_extra_source(std::make_shared<Source>(tissue(Region::host)));
    darcy.setup();
    darcy.solve();

    // The balance holds for the manufactured source too.
    BOOST_TEST(darcy.diagnostics().balance_defect() < 1e-8);
    return darcy.errors(*exact);
  }

  void check_rates(const unsigned int degree, const std::vector<unsigned int> &levels,
                   const std::string &backend)
  {
    std::vector<std::pair<double, double>> e;
    for (const unsigned int l : levels)
      e.push_back(solve(degree, l, backend));
    for (std::size_t i = 1; i < e.size(); ++i)
      {
        const double rate_l2 = std::log2(e[i - 1].first / e[i].first);
        const double rate_h1 = std::log2(e[i - 1].second / e[i].second);
        if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
          std::cout << backend << " Q" << degree << " level " << levels[i] << ": L2 error "
                    << e[i].first << " (rate " << rate_l2 << "), H1 error " << e[i].second
                    << " (rate " << rate_h1 << ")" << std::endl;
        if (i + 1 == e.size()) // asymptotic: the finest pair
          {
            BOOST_TEST(rate_l2 > degree + 1 - 0.15);
            BOOST_TEST(rate_h1 > degree - 0.1);
          }
      }
  }
} // namespace

BOOST_AUTO_TEST_CASE(q1_petsc)
{
  check_rates(1, {2, 3, 4}, "PETSc");
}

BOOST_AUTO_TEST_CASE(q2_petsc)
{
  check_rates(2, {1, 2, 3}, "PETSc");
}

BOOST_AUTO_TEST_CASE(q1_trilinos)
{
  check_rates(1, {2, 3, 4}, "Trilinos");
}
