// coupling/plasma_input: bi-exponential and CSV table sources, and their input errors.
#define BOOST_TEST_MODULE plasma_input
#include "../test_main.h"

#include "physics/plasma_input.h"

#include <cmath>
#include <fstream>

using namespace radiotwin;
namespace tt = boost::test_tools;

namespace
{
  std::unique_ptr<PlasmaInput> make(const std::string &text)
  {
    std::ofstream("plasma.prm") << text;
    dealii::ParameterHandler prm;
    PlasmaInput::declare_parameters(prm);
    ParameterFile file;
    file.read(prm, "plasma.prm");
    return PlasmaInput::create(prm, file);
  }

  std::string error_of(const std::string &table_text)
  {
    std::ofstream("table.csv") << table_text;
    try
      {
        make("subsection Plasma input\n set Type = table\n set Table file = table.csv\nend\n");
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "";
  }
} // namespace

BOOST_AUTO_TEST_CASE(bi_exponential)
{
  const auto p = make("subsection Plasma input\n"
                      " set Hot curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1] = 8, 1.2, 0.8, 0.03\n"
                      " set Cold curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1] = 1, 0, 0, 0\nend\n");
  BOOST_TEST(p->concentration_nM(0)[0] == 8.8, tt::tolerance(1e-14));
  BOOST_TEST(p->concentration_nM(2)[0] == 8 * std::exp(-2.4) + 0.8 * std::exp(-0.06), tt::tolerance(1e-14));
  BOOST_TEST(p->concentration_nM(100)[1] == 1.0);
}

BOOST_AUTO_TEST_CASE(table_interpolates_and_holds_ends)
{
  std::ofstream("table.csv") << "time_h,hot_nM,cold_nM\n0, 10, 40\n# comment\n1, 6, 24\n\n4, 0, 0\n";
  const auto p = make("subsection Plasma input\n set Type = table\n set Table file = table.csv\nend\n");
  BOOST_TEST(p->concentration_nM(0.5)[0] == 8.0, tt::tolerance(1e-14));
  BOOST_TEST(p->concentration_nM(0.5)[1] == 32.0, tt::tolerance(1e-14));
  BOOST_TEST(p->concentration_nM(2.5)[0] == 3.0, tt::tolerance(1e-14));
  BOOST_TEST(p->concentration_nM(-1)[0] == 10.0);
  BOOST_TEST(p->concentration_nM(9)[1] == 0.0);
}

BOOST_AUTO_TEST_CASE(malformed_tables_are_clear_errors)
{
  std::string e = error_of("time_h,hot_nM,cold_nM\n0, 10, 40\n2, 5, 20\n1, 1, 1\n");
  BOOST_TEST(e.find("table.csv:4: time 1 h is not after the previous row's 2 h") == 0u, e);
  BOOST_TEST(e.find("plasma.prm:3: parameter 'Plasma input/Table file'") != std::string::npos, e);
  e = error_of("0, 10, 40\n1, x, 3\n");
  BOOST_TEST(e.find("table.csv:2: expected three numbers") == 0u, e);
  e = error_of("0, 10\n1, 2\n");
  BOOST_TEST(e.find("table.csv:1: expected three numbers 'time_h, hot_nM, cold_nM', got 2") == 0u, e);
  e = error_of("0, 10, -1\n1, 2, 3\n");
  BOOST_TEST(e.find("table.csv:1: negative concentration") == 0u, e);
  e = error_of("0, 10, 1\n");
  BOOST_TEST(e.find("at least two rows") != std::string::npos, e);
  e = error_of("0, 10, 1\n1, nan, 2\n");
  BOOST_TEST(e.find("table.csv:2:") == 0u, e);
  std::remove("table.csv");
  e = error_of(""); // re-created empty: fewer than two rows
  BOOST_TEST(!e.empty());
}
