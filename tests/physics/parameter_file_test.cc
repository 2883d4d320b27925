// Unit tests of coupling/parameter_file: overrides, locations of parameters, and the
// messages of bad input.
#define BOOST_TEST_MODULE parameter_file
#include "../test_main.h"

#include "physics/base/parameter_file.h"
#include "coupling/app/simulator.h"

#include <fstream>

using namespace radiotwin;

namespace
{
  std::string write(const std::string &name, const std::string &text)
  {
    std::ofstream(name) << text;
    return name;
  }

  std::string error_of(const std::function<void()> &f)
  {
    try
      {
        f();
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "";
  }
} // namespace

BOOST_AUTO_TEST_CASE(overrides_and_locations)
{
  dealii::ParameterHandler prm;
  Simulator::declare_parameters(prm);
  const std::string f = write("pf_good.prm", "# comment\n"
                                             "subsection Geometry\n"
                                             "  set Tumour radius [mm] = 4 # inline\n"
                                             "end\n");
  ParameterFile file;
  file.read(prm, f, {"Geometry/Host size [mm]=12", "Darcy/Linear solver/Linear algebra = Trilinos",
                     "Tissue/Tumour/Vessel surface density S/V [cm^-1]=150"});
  prm.enter_subsection("Tissue");
  prm.enter_subsection("Tumour");
  BOOST_TEST(prm.get_double("Vessel surface density S/V [cm^-1]") == 150.0); // '/' in a name
  prm.leave_subsection();
  prm.leave_subsection();
  prm.enter_subsection("Geometry");
  BOOST_TEST(prm.get_double("Tumour radius [mm]") == 4.0);
  BOOST_TEST(prm.get_double("Host size [mm]") == 12.0);
  prm.leave_subsection();
  prm.enter_subsection("Darcy");
  prm.enter_subsection("Linear solver");
  BOOST_TEST(prm.get("Linear algebra") == "Trilinos");
  prm.leave_subsection();
  prm.leave_subsection();

  BOOST_TEST(file.locate("Geometry/Tumour radius [mm]").describe() ==
             "pf_good.prm:3: parameter 'Geometry/Tumour radius [mm]'");
  BOOST_TEST(file.locate("Geometry/Host size [mm]").describe().find("--set") == 0u);
  BOOST_TEST(file.locate("Geometry/Type").describe().find("(default value)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_messages)
{
  auto read = [](const std::string &name, const std::string &text,
                 const std::vector<std::string> &overrides = {}) {
    return error_of([&]() {
      dealii::ParameterHandler prm;
      Simulator::declare_parameters(prm);
      ParameterFile file;
      file.read(prm, write(name, text), overrides);
      Simulator simulator(MPI_COMM_WORLD, prm, file);
    });
  };
  std::string e = read("pf_unknown.prm", "subsection Geometry\n  set Tumor radius [mm] = 4\nend\n");
  BOOST_TEST(e.find("pf_unknown.prm:2: parameter 'Geometry/Tumor radius [mm]': No entry") == 0u);

  e = read("pf_range.prm", "subsection Geometry\n\n  set Tumour radius [mm] = -4\nend\n");
  BOOST_TEST(e.find("pf_range.prm:3: parameter 'Geometry/Tumour radius [mm]': The entry value -4") == 0u);

  e = read("pf_cross.prm", "subsection Geometry\n  set Tumour radius [mm] = 4\n"
                           "  set Necrotic core radius [mm] = 5\nend\n");
  BOOST_TEST(e.find("pf_cross.prm:3: parameter 'Geometry/Necrotic core radius [mm]'") == 0u);

  e = read("pf_set.prm", "", {"Geometry/No such thing=1"});
  BOOST_TEST(e.find("--set") == 0u);
  BOOST_TEST(e.find("No such thing") != std::string::npos);

  e = read("pf_set2.prm", "", {"Nowhere/Tumour radius [mm]=1"});
  BOOST_TEST(e.find("no subsection 'Nowhere'") != std::string::npos);

  e = error_of([]() {
    dealii::ParameterHandler prm;
    Simulator::declare_parameters(prm);
    ParameterFile().read(prm, "does_not_exist.prm");
  });
  BOOST_TEST(e.find("does_not_exist.prm: cannot open") == 0u);
}
