#include "physics/plasma_input.h"
#include "physics/base/csv_table.h"

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace radiotwin
{
  using namespace dealii;

  void PlasmaInput::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Plasma input");
    prm.declare_entry("Type", "bi-exponential", Patterns::Selection("bi-exponential|table"),
                      "Source of the free ligand concentration in plasma: a bi-exponential in "
                      "time, or a CSV table 'time_h, hot_nM, cold_nM' (linear interpolation).");
    prm.declare_entry("Hot curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]", "8, 1.2, 0.8, 0.03",
                      Patterns::List(Patterns::Double(0), 4, 4),
                      "Bi-exponential of the radiolabelled ligand, c(t) = A1 exp(-a1 t) + A2 "
                      "exp(-a2 t). Units: nmol/L and 1/h; all >= 0. The default is a placeholder "
                      "of the right order for 7.4 GBq (about 3 L of plasma); the whole-body "
                      "model will supply the real curve.");
    prm.declare_entry("Cold curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]", "37, 1.2, 3.7, 0.03",
                      Patterns::List(Patterns::Double(0), 4, 4),
                      "Bi-exponential of the unlabelled (and decayed) ligand. Units: nmol/L and "
                      "1/h; all >= 0.");
    prm.declare_entry("Table file", "", Patterns::Anything(),
                      "CSV file for 'Type = table': optional header, then rows 'time [h], hot "
                      "[nmol L^-1], cold [nmol L^-1]' with strictly increasing times. Relative paths "
                      "are taken from the directory of the parameter file.");
    prm.leave_subsection();
  }

  std::unique_ptr<PlasmaInput> PlasmaInput::create(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Plasma input");
    const std::string type  = prm.get("Type");
    const auto        hot   = Utilities::string_to_double(Utilities::split_string_list(
      prm.get("Hot curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]")));
    const auto        cold  = Utilities::string_to_double(Utilities::split_string_list(
      prm.get("Cold curve A1 [nM], a1 [h^-1], A2 [nM], a2 [h^-1]")));
    std::string       table = prm.get("Table file");
    prm.leave_subsection();

    if (type == "bi-exponential")
      return std::make_unique<BiExponentialPlasmaInput>(
        BiExponentialPlasmaInput::Curve{hot[0], hot[1], hot[2], hot[3]},
        BiExponentialPlasmaInput::Curve{cold[0], cold[1], cold[2], cold[3]});

    const std::string path = "Plasma input/Table file";
    if (table.empty())
      file.fail(path, "'Type = table' needs a table file");
    table = file.resolve_path(table);
    return std::make_unique<TablePlasmaInput>(table, file.locate(path).describe());
  }

  BiExponentialPlasmaInput::BiExponentialPlasmaInput(const Curve &hot, const Curve &cold)
    : hot(hot)
    , cold(cold)
  {}

  std::array<double, 2> BiExponentialPlasmaInput::concentration_nM(const double t_h) const
  {
    const auto eval = [t_h](const Curve &c) {
      return c.A1 * std::exp(-c.a1 * t_h) + c.A2 * std::exp(-c.a2 * t_h);
    };
    return {{eval(hot), eval(cold)}};
  }

  TablePlasmaInput::TablePlasmaInput(const std::string &filename, const std::string &where)
  {
    for (const NumericRow &row : read_numeric_table(filename, 3, "time_h, hot_nM, cold_nM",
                                                      "plasma table of " + where))
      {
        const std::string at = filename + ":" + std::to_string(row.line) + ": ";
        const auto &      v  = row.values;
        if (!times.empty() && v[0] <= times.back())
          throw InputError(at + "time " + Utilities::to_string(v[0]) +
                           " h is not after the previous row's " +
                           Utilities::to_string(times.back()) +
                           " h: times must increase strictly (plasma table of " + where + ")");
        if (v[1] < 0 || v[2] < 0)
          throw InputError(at + "negative concentration (plasma table of " + where + ")");
        times.push_back(v[0]);
        hot.push_back(v[1]);
        cold.push_back(v[2]);
      }
    if (times.size() < 2)
      throw InputError(filename + ": a plasma table needs at least two rows (" + where + ")");
  }

  std::array<double, 2> TablePlasmaInput::concentration_nM(const double t_h) const
  {
    if (t_h <= times.front())
      return {{hot.front(), cold.front()}};
    if (t_h >= times.back())
      return {{hot.back(), cold.back()}};
    const std::size_t i = std::upper_bound(times.begin(), times.end(), t_h) - times.begin();
    const double      w = (t_h - times[i - 1]) / (times[i] - times[i - 1]);
    return {{(1 - w) * hot[i - 1] + w * hot[i], (1 - w) * cold[i - 1] + w * cold[i]}};
  }
} // namespace radiotwin
