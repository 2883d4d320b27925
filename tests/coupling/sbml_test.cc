// SBML import (docs/sbml.md): a hand-written two-compartment model against its closed form,
// with RadioTwin's added decay and time-integrated activity; a file in another tool's
// conventions (species as concentrations, a rate rule, a function definition, an assignment
// rule, a timed event, hours as the time unit) against the same closed form; malformed and
// unsupported files give one error naming the element. The export round trip of the native
// model is tested on the command line (tests/cli/sbml_roundtrip_test.py).
#define BOOST_TEST_MODULE sbml
#include "../test_main.h"

#include "coupling/app/pbrpk.h"
#include "coupling/sbml_model.h"
#include "coupling/whole_body_model.h"
#include "physics/base/input_error.h"
#include "physics/base/parameter_file.h"

#include <cmath>
#include <fstream>

using namespace radiotwin;

namespace
{
  constexpr double k12 = 0.05, k21 = 0.02, ke = 0.01; // [1/min]
  constexpr double dose_nmol = 10, second_dose_nmol = 4, second_dose_h = 10;

  std::string write(const std::string &name, const std::string &text)
  {
    std::ofstream(name) << text;
    return name;
  }

  /// A document of SBML Level 3 Version 1, or of Level 2 Version 4 (@p level2).
  std::string sbml_file(const std::string &body, const bool level2 = false)
  {
    return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") +
           (level2 ? "<sbml xmlns=\"http://www.sbml.org/sbml/level2/version4\" level=\"2\" version=\"4\">\n" :
                     "<sbml xmlns=\"http://www.sbml.org/sbml/level3/version1/core\" level=\"3\" version=\"1\">\n") +
           "<model id=\"test\">\n" + body + "</model>\n</sbml>\n";
  }

  std::string math(const std::string &mathml)
  {
    return "<math xmlns=\"http://www.w3.org/1998/Math/MathML\">" + mathml + "</math>";
  }

  std::string law(const std::string &id, const std::string &from, const std::string &to, const std::string &mathml,
                  const bool level2 = false)
  {
    const std::string reference_end = level2 ? "\"/>" : "\" stoichiometry=\"1\" constant=\"true\"/>";
    std::string r = "<reaction id=\"" + id + "\" reversible=\"false\"" + (level2 ? "" : " fast=\"false\"") +
                    ">\n<listOfReactants><speciesReference species=\"" + from + reference_end + "</listOfReactants>\n";
    if (!to.empty())
      r += "<listOfProducts><speciesReference species=\"" + to + reference_end + "</listOfProducts>\n";
    return r + "<kineticLaw>" + math(mathml) + "</kineticLaw></reaction>\n";
  }

  /// Amount-based, minutes: A1 <-> A2, A1 -> urine.
  std::string two_compartment_amounts()
  {
    return sbml_file(
      "<listOfCompartments><compartment id=\"V1\" size=\"2\" constant=\"true\"/>"
      "<compartment id=\"V2\" size=\"3\" constant=\"true\"/></listOfCompartments>\n"
      "<listOfSpecies>"
      "<species id=\"A1\" compartment=\"V1\" initialAmount=\"0\" hasOnlySubstanceUnits=\"true\" boundaryCondition=\"false\" constant=\"false\"/>"
      "<species id=\"A2\" compartment=\"V2\" initialAmount=\"0\" hasOnlySubstanceUnits=\"true\" boundaryCondition=\"false\" constant=\"false\"/>"
      "<species id=\"U\" compartment=\"V1\" initialAmount=\"0\" hasOnlySubstanceUnits=\"true\" boundaryCondition=\"false\" constant=\"false\"/>"
      "</listOfSpecies>\n"
      "<listOfParameters><parameter id=\"k12\" value=\"0.05\" constant=\"true\"/>"
      "<parameter id=\"k21\" value=\"0.02\" constant=\"true\"/><parameter id=\"ke\" value=\"0.01\" constant=\"true\"/></listOfParameters>\n"
      "<listOfReactions>" +
      law("r12", "A1", "A2", "<apply><times/><ci>k12</ci><ci>A1</ci></apply>") +
      law("r21", "A2", "A1", "<apply><times/><ci>k21</ci><ci>A2</ci></apply>") +
      law("re", "A1", "U", "<apply><times/><ci>ke</ci><ci>A1</ci></apply>") + "</listOfReactions>\n");
  }

  /// Another tool's conventions (SBML Level 2 Version 4): concentrations C1, C2 [nmol/L],
  /// time in hours, rates by a
  /// function definition, the elimination counted by a rate rule, the total by an assignment
  /// rule, and a second dose into C2 by an event at 10 h.
  std::string two_compartment_other_tool()
  {
    const auto rate = [&](const std::string &k, const std::string &c, const std::string &v) {
      return "<apply><ci>first_order</ci><apply><times/><cn>60</cn><ci>" + k + "</ci></apply><ci>" + c + "</ci><ci>" + v +
             "</ci></apply>";
    };
    return sbml_file(
      "<listOfFunctionDefinitions><functionDefinition id=\"first_order\">" +
      math("<lambda><bvar><ci>k</ci></bvar><bvar><ci>c</ci></bvar><bvar><ci>v</ci></bvar>"
           "<apply><times/><ci>k</ci><ci>c</ci><ci>v</ci></apply></lambda>") +
      "</functionDefinition></listOfFunctionDefinitions>\n"
      "<listOfCompartments><compartment id=\"V1\" size=\"2\" constant=\"true\"/>"
      "<compartment id=\"V2\" size=\"3\" constant=\"true\"/></listOfCompartments>\n"
      "<listOfSpecies>"
      "<species id=\"C1\" compartment=\"V1\" initialConcentration=\"0\" hasOnlySubstanceUnits=\"false\" boundaryCondition=\"false\" constant=\"false\"/>"
      "<species id=\"C2\" compartment=\"V2\" initialConcentration=\"0\" hasOnlySubstanceUnits=\"false\" boundaryCondition=\"false\" constant=\"false\"/>"
      "</listOfSpecies>\n"
      "<listOfParameters><parameter id=\"k12\" value=\"0.05\" constant=\"true\"/>"
      "<parameter id=\"k21\" value=\"0.02\" constant=\"true\"/><parameter id=\"ke\" value=\"0.01\" constant=\"true\"/>"
      "<parameter id=\"eliminated\" value=\"0\" constant=\"false\"/><parameter id=\"total\" constant=\"false\"/>"
      "<parameter id=\"t_second\" value=\"10\" constant=\"true\"/><parameter id=\"second_dose\" value=\"4\" constant=\"true\"/>"
      "</listOfParameters>\n"
      "<listOfRules><rateRule variable=\"eliminated\">" + math(rate("ke", "C1", "V1")) + "</rateRule>"
      "<assignmentRule variable=\"total\">" +
      math("<apply><plus/><apply><times/><ci>C1</ci><ci>V1</ci></apply><apply><times/><ci>C2</ci><ci>V2</ci></apply>"
           "<ci>eliminated</ci></apply>") +
      "</assignmentRule></listOfRules>\n"
      "<listOfReactions>" +
      law("r12", "C1", "C2", rate("k12", "C1", "V1"), true) + law("r21", "C2", "C1", rate("k21", "C2", "V2"), true) +
      law("re", "C1", "", rate("ke", "C1", "V1"), true) + "</listOfReactions>\n"
      "<listOfEvents><event id=\"second_injection\" useValuesFromTriggerTime=\"true\"><trigger>" +
      math("<apply><geq/><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\">time</csymbol><ci>t_second</ci></apply>") +
      "</trigger><listOfEventAssignments><eventAssignment variable=\"C2\">" +
      math("<apply><plus/><ci>C2</ci><apply><divide/><ci>second_dose</ci><ci>V2</ci></apply></apply>") +
      "</eventAssignment></listOfEventAssignments></event></listOfEvents>\n",
      true);
  }

  /// exp(M t) x0 for M = [[-(k12+ke+lambda), k21], [k12, -k21 - lambda]] (closed form).
  std::array<double, 2> closed_form(const double t_min, const std::array<double, 2> &x0, const double lambda)
  {
    const double a = -(k12 + ke) - lambda, b = k21, c = k12, d = -k21 - lambda;
    const double tr = a + d, det = a * d - b * c, disc = std::sqrt(tr * tr / 4 - det);
    const double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
    const double e1 = std::exp(l1 * t_min), e2 = std::exp(l2 * t_min);
    // exp(Mt) = (e1 (M - l2 I) - e2 (M - l1 I)) / (l1 - l2)
    const auto entry = [&](double m, bool diagonal) {
      return (e1 * (m - (diagonal ? l2 : 0)) - e2 * (m - (diagonal ? l1 : 0))) / (l1 - l2);
    };
    return {{entry(a, true) * x0[0] + entry(b, false) * x0[1], entry(c, false) * x0[0] + entry(d, true) * x0[1]}};
  }

  struct Run
  {
    WholeBodyModel         body;
    WholeBodyModel::Result result;
    double state(const std::string &id, const std::size_t k) const { return result.states[k][body.sbml_state(id)]; }
    const WholeBodyModel::Tissue &tissue(const std::string &key) const
    {
      for (const auto &t : body.tissues())
        if (t.key == key)
          return t;
      throw std::runtime_error("no tissue " + key);
    }
  };

  std::unique_ptr<Run> run(const std::string &mapping, const std::string &injections = "0, 0, 10, 0")
  {
    dealii::ParameterHandler prm;
    declare_pbrpk_parameters(prm);
    ParameterFile     file;
    const std::string text = "subsection Whole body\n set Model = sbml\n subsection SBML\n" + mapping +
                             " end\n subsection Injection\n  set Injections = " + injections +
                             "\n end\n subsection Integration\n  set Duration [h] = 48\n  set Relative tolerance = 1e-10\n"
                             "  set Absolute tolerance [nmol] = 1e-14\n end\nend\n";
    file.read_from_string(prm, text, "./sbml_case.prm");
    auto r = std::make_unique<Run>();
    r->body.parse_parameters(prm, file);
    r->result = r->body.run();
    return r;
  }

  std::string error_of(const std::string &name, const std::string &text)
  {
    try
      {
        SbmlModel model(write(name, text));
      }
    catch (const SbmlError &e)
      {
        return e.what();
      }
    return "(no error)";
  }
} // namespace

BOOST_AUTO_TEST_CASE(two_compartments_against_the_closed_form_with_added_decay)
{
  write("two_compartments.xml", two_compartment_amounts());
  const auto r = run("  set File = two_compartments.xml\n  set Hot injection species = A1\n"
                     "  set Tissues = central (2 kg): A1; peripheral: A2\n  set Urine species = U\n"
                     "  set Decay = added\n  set Hot cold pairs = A1:, A2:, U:\n");
  const double lambda = r->body.decay_constant_per_min();
  double worst = 0;
  for (std::size_t k = 0; k < r->result.times_h.size(); ++k)
    {
      const auto exact = closed_form(60 * r->result.times_h[k], {{dose_nmol, 0}}, lambda);
      worst = std::max({worst, std::abs(r->state("A1", k) - exact[0]) / dose_nmol,
                        std::abs(r->state("A2", k) - exact[1]) / dose_nmol});
    }
  BOOST_TEST_MESSAGE("two compartments: largest error " << worst << " of the dose");
  BOOST_TEST(worst < 1e-8);
  // Time-integrated activity of the central compartment: int A1 dt by its ODE accumulator
  // against the closed form's integral (trapezoids on a fine grid, 1e-6).
  double integral = 0;
  const double T = 48 * 60, dt = 0.05;
  for (double t = 0; t < T - 1e-9; t += dt)
    integral += 0.5 * dt * (closed_form(t, {{dose_nmol, 0}}, lambda)[0] + closed_form(t + dt, {{dose_nmol, 0}}, lambda)[0]);
  const auto &net   = r->body.network();
  const auto &y_end = r->result.states.back();
  const double tia  = y_end[net.integral(r->tissue("central").integral)];
  BOOST_TEST(std::abs(tia - integral) / integral < 1e-6);
  // Hot ligand decayed + still present = injected; the mass of 'central' gives its dose.
  const std::size_t last = r->result.times_h.size() - 1;
  const double present = r->state("A1", last) + r->state("A2", last) + r->state("U", last);
  BOOST_TEST(std::abs(present + y_end[net.decayed()] - dose_nmol) / dose_nmol < 1e-9);
  const double dose = y_end[net.dose(r->tissue("central").dose_tracker)];
  BOOST_TEST(std::abs(dose - tia * r->body.dose_rate_Gy_kg_per_min_per_nmol() / 2.0) / dose < 1e-9);
  // The network's conservation of ligand: nothing leaves (decayed hot goes nowhere here).
  BOOST_TEST(r->body.conservation_defects(r->result)[1] < 1e-9);
}

BOOST_AUTO_TEST_CASE(another_tools_conventions_concentrations_rate_rule_event_hours)
{
  write("two_compartments_other_tool.xml", two_compartment_other_tool());
  const auto r = run("  set File = two_compartments_other_tool.xml\n  set Time unit = h\n  set Amount unit [nmol] = 1\n"
                     "  set Hot injection species = C1\n  set Tissues = central: C1; peripheral: C2\n");
  double worst = 0, worst_balance = 0;
  for (std::size_t k = 0; k < r->result.times_h.size(); ++k)
    {
      const double t_min = 60 * r->result.times_h[k];
      auto exact = closed_form(t_min, {{dose_nmol, 0}}, 0);
      if (r->result.times_h[k] >= second_dose_h)
        {
          const auto second = closed_form(t_min - 60 * second_dose_h, {{0, second_dose_nmol}}, 0);
          exact[0] += second[0];
          exact[1] += second[1];
        }
      const double c1 = r->state("C1", k), c2 = r->state("C2", k);
      worst = std::max({worst, std::abs(c1 - exact[0]) / dose_nmol, std::abs(c2 - exact[1]) / dose_nmol});
      const double given = dose_nmol + (r->result.times_h[k] >= second_dose_h ? second_dose_nmol : 0.0);
      worst_balance = std::max(worst_balance, std::abs(c1 + c2 + r->state("eliminated", k) - given) / given);
    }
  BOOST_TEST_MESSAGE("other tool's conventions: largest error " << worst << ", balance " << worst_balance);
  BOOST_TEST(worst < 1e-8);
  BOOST_TEST(worst_balance < 1e-9);
}

BOOST_AUTO_TEST_CASE(malformed_and_unsupported_files_name_the_element)
{
  const std::string base = two_compartment_amounts();
  const auto        replaced = [&](const std::string &from, const std::string &to) {
    std::string s = base;
    const auto  at = s.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const std::string unknown =
    error_of("bad_unknown.xml", replaced("<ci>k21</ci><ci>A2</ci>", "<ci>k21</ci><ci>A3</ci>"));
  BOOST_TEST_MESSAGE(unknown);
  BOOST_TEST(unknown.find("reaction 'r21'") != std::string::npos);
  BOOST_TEST(unknown.find("'A3'") != std::string::npos);

  const std::string no_compartment =
    error_of("bad_compartment.xml", replaced("id=\"U\" compartment=\"V1\"", "id=\"U\" compartment=\"bladder\""));
  BOOST_TEST_MESSAGE(no_compartment);
  BOOST_TEST(no_compartment.find("species 'U'") != std::string::npos);
  BOOST_TEST(no_compartment.find("'bladder' does not exist") != std::string::npos);

  const std::string algebraic = error_of(
    "bad_algebraic.xml",
    replaced("<listOfReactions>", "<listOfRules><algebraicRule>" + math("<apply><minus/><ci>A1</ci><ci>A2</ci></apply>") +
                                    "</algebraicRule></listOfRules><listOfReactions>"));
  BOOST_TEST_MESSAGE(algebraic);
  BOOST_TEST(algebraic.find("algebraic rule") != std::string::npos);
  BOOST_TEST(algebraic.find("not supported") != std::string::npos);

  const std::string delay = error_of(
    "bad_delay.xml", replaced("<ci>ke</ci><ci>A1</ci>",
                              "<ci>ke</ci><apply><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/"
                              "symbols/delay\">delay</csymbol><ci>A1</ci><cn>1</cn></apply>"));
  BOOST_TEST_MESSAGE(delay);
  BOOST_TEST(delay.find("reaction 're'") != std::string::npos);
  BOOST_TEST(delay.find("delay") != std::string::npos);

  const std::string xml = error_of("bad_xml.xml", base.substr(0, base.size() / 2));
  BOOST_TEST_MESSAGE(xml);
  BOOST_TEST(xml.find("bad_xml.xml:") == 0);

  // A mapping naming a species the model does not have: one InputError naming the parameter.
  write("two_compartments.xml", base);
  try
    {
      run("  set File = two_compartments.xml\n  set Hot injection species = A9\n  set Tissues = central: A1\n");
      BOOST_ERROR("no error for an unknown species in the mapping");
    }
  catch (const InputError &e)
    {
      BOOST_TEST_MESSAGE(e.what());
      BOOST_TEST(std::string(e.what()).find("Hot injection species") != std::string::npos);
      BOOST_TEST(std::string(e.what()).find("'A9'") != std::string::npos);
    }
}
