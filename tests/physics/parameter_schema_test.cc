// Unit tests of physics/base/parameter_schema: the lean pbrpk path's deal.II-free parameter
// reader must give the values, and the parameters.prm text, that deal.II's ParameterHandler
// gives, and refuse (NeedsFullParameterHandler) what it does not vouch for.
#define BOOST_TEST_MODULE parameter_schema
#include "../test_main.h"

#include <deal.II/base/parameter_handler.h>

#include <fstream>
#include <sstream>

#include "coupling/app/pbrpk.h"
#include "physics/base/parameter_file.h"
#include "physics/base/parameter_schema.h"

using namespace radiotwin;

namespace
{
  std::string write(const std::string &name, const std::string &text)
  {
    std::ofstream(name) << text;
    return name;
  }

  /// The ShortPRM texts of deal.II's handler and of the lean values, after reading @p file.
  std::pair<std::string, std::string> both_texts(const std::string &file,
                                                 const std::vector<std::string> &overrides)
  {
    dealii::ParameterHandler prm;
    declare_pbrpk_parameters(prm);
    ParameterFile full;
    full.read(prm, file, overrides);
    std::ostringstream a;
    prm.print_parameters(a, dealii::ParameterHandler::ShortPRM);

    ParameterSchema schema;
    declare_pbrpk_parameters(schema);
    ParameterValues values(schema);
    ParameterFile   lean;
    lean.read(values, file, overrides);
    std::ostringstream b;
    values.print_short_prm(b);
    return {a.str(), b.str()};
  }

  bool refused(const std::string &file, const std::vector<std::string> &overrides = {})
  {
    ParameterSchema schema;
    declare_pbrpk_parameters(schema);
    ParameterValues values(schema);
    ParameterFile   lean;
    try
      {
        lean.read(values, file, overrides);
      }
    catch (const NeedsFullParameterHandler &)
      {
        return true;
      }
    return false;
  }
} // namespace

BOOST_AUTO_TEST_CASE(same_values_and_text_as_deal_ii)
{
  for (const auto &config : {"configs/pbrpk/standard_7p4GBq.prm", "configs/pbrpk/four_cycles.prm"})
    {
      const auto [full, lean] = both_texts(source_path(config), {});
      BOOST_TEST(full == lean);
    }
  const auto [full, lean] = both_texts(
    source_path("configs/pbrpk/standard_7p4GBq.prm"),
    {"Whole body/Patient/Body weight [kg]=82.5", "Radiobiology/Tissues=kidney: 2.5, 2.8",
     "Whole body/Integration/Linear solver=dense", "Output/Directory=somewhere else",
     "Whole body/Lesions/Lesions=L1: 0.02, 100, 0.4, 0.5, 1e-4"});
  BOOST_TEST(full == lean);
  BOOST_TEST(lean.find("= 82.5\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(lean_reader_locates_parameters_as_the_full_one)
{
  const std::string f =
    write("ps_located.prm", "# a comment\nsubsection Whole body\n  subsection Patient\n"
                            "    set Body weight [kg] = 90 # heavy\n  end\nend\n");
  ParameterSchema schema;
  declare_pbrpk_parameters(schema);
  ParameterValues values(schema);
  ParameterFile   lean;
  lean.read(values, f, {"Whole body/Patient/Haematocrit [-]=0.45"});
  BOOST_TEST(lean.locate("Whole body/Patient/Body weight [kg]").describe() ==
             "ps_located.prm:4: parameter 'Whole body/Patient/Body weight [kg]'");
  BOOST_TEST(lean.locate("Whole body/Patient/Haematocrit [-]").describe() ==
             "--set \"Whole body/Patient/Haematocrit [-]=0.45\": parameter 'Whole "
             "body/Patient/Haematocrit [-]'");
  values.enter_subsection("Whole body");
  values.enter_subsection("Patient");
  BOOST_TEST(values.get_double("Body weight [kg]") == 90.0);
  BOOST_TEST(values.get_double("Haematocrit [-]") == 0.45);
}

BOOST_AUTO_TEST_CASE(refuses_what_it_does_not_vouch_for)
{
  const std::string head = "subsection Whole body\n  subsection Patient\n";
  const std::string tail = "  end\nend\n";
  BOOST_TEST(!refused(write("ps_ok.prm", head + "    set Body weight [kg] = 80\n" + tail)));
  BOOST_TEST(refused(write("ps_range.prm", head + "    set Body weight [kg] = 400\n" + tail)));
  BOOST_TEST(refused(write("ps_word.prm", head + "    set Body weight [kg] = eighty\n" + tail)));
  BOOST_TEST(refused(write("ps_hex.prm", head + "    set Body weight [kg] = 0x50\n" + tail)));
  BOOST_TEST(refused(write("ps_unknown.prm", head + "    set Weight [kg] = 80\n" + tail)));
  BOOST_TEST(refused(write("ps_section.prm", "subsection Whole bodies\nend\n")));
  BOOST_TEST(refused(write("ps_open.prm", head + "    set Body weight [kg] = 80\n")));
  BOOST_TEST(refused(write("ps_end.prm", "end\n")));
  BOOST_TEST(refused(write("ps_continued.prm", head + "    set Body weight [kg] = \\\n 80\n" + tail)));
  BOOST_TEST(refused(write("ps_include.prm", "include other.prm\n")));
  BOOST_TEST(refused(write("ps.json", "{}")));
  BOOST_TEST(refused("ps_no_such_file.prm"));
  BOOST_TEST(refused(write("ps_ok2.prm", ""), {"Whole body/Injection/Injections=0, 0, 1"}));
  BOOST_TEST(refused(write("ps_ok3.prm", ""), {"Whole body/Integration/Linear solver=klu"}));
  BOOST_TEST(refused(write("ps_ok4.prm", ""), {"Whole body/Patient"}));
  BOOST_TEST(!refused(write("ps_ok5.prm", ""), {"Whole body/Injection/Injections=0, 0, 1, 2; 24, 30, 1, 0"}));
}

BOOST_AUTO_TEST_CASE(patterns_are_no_looser_than_deal_ii)
{
  // Every value the lean patterns accept, deal.II's accept too.
  const std::vector<std::string> texts = {"1", "-1", "+2", "1.5", ".5", "5.", "1e3", "1E-3",
                                          "-0", "1e400", "0x10", "inf", "nan", " 1", "1 ",
                                          "1,2", "", "a", "1e", "--1", "2147483648"};
  for (const auto &t : texts)
    {
      if (patterns::Double(-10, 10).match(t))
        BOOST_TEST(dealii::Patterns::Double(-10, 10).match(t), "Double: " << t);
      if (patterns::Double().match(t))
        BOOST_TEST(dealii::Patterns::Double().match(t), "Double(): " << t);
      if (patterns::Integer(0, 20).match(t))
        BOOST_TEST(dealii::Patterns::Integer(0, 20).match(t), "Integer: " << t);
      if (patterns::Integer().match(t))
        BOOST_TEST(dealii::Patterns::Integer().match(t), "Integer(): " << t);
    }
  const patterns::List         lean_list(patterns::Double(0), 2, 3, ",");
  const dealii::Patterns::List full_list(dealii::Patterns::Double(0), 2, 3, ",");
  for (const auto &t : {"1, 2", "1,2,3", "1", "1,2,3,4", "1,,2", "1, -2", "1,2,"})
    if (lean_list.match(t))
      BOOST_TEST(full_list.match(t), "List: " << t);
  const patterns::Map lean_map(patterns::Anything(), patterns::List(patterns::Double(), 2, 3, ","),
                               1, patterns::Map::max_int_value, ";", ":");
  const dealii::Patterns::Map full_map(dealii::Patterns::Anything(),
                                       dealii::Patterns::List(dealii::Patterns::Double(), 2, 3, ","),
                                       1, dealii::Patterns::Map::max_int_value, ";", ":");
  for (const auto &t : {"a: 1, 2", "a: 1, 2; b: 3, 4, 5", "a: 1", "a 1, 2", ": 1, 2", "a: 1, 2;",
                        "a: 1, 2: 3"})
    if (lean_map.match(t))
      BOOST_TEST(full_map.match(t), "Map: " << t);
  BOOST_TEST(patterns::Selection("sparse|dense").match("dense"));
  BOOST_TEST(!patterns::Selection("sparse|dense").match("den"));
}
