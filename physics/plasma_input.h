// RadioTwin: the free ligand concentration in plasma, hot and cold, as a function of time:
// the input of the tissue transport equations (docs/physics.md section 3, c_p). One
// interface, three sources: a bi-exponential, a CSV table, and (later) the whole-body model.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "physics/base/parameter_file.h"

namespace radiotwin
{
  class PlasmaInput
  {
  public:
    virtual ~PlasmaInput() = default;
    /// Free ligand in plasma at time t [h] after injection: {hot, cold} [nmol L^-1].
    virtual std::array<double, 2> concentration_nM(double t_h) const = 0;

    static void declare_parameters(dealii::ParameterHandler &prm);
    /// The source the "Plasma input" section describes. Throws InputError on bad input.
    static std::unique_ptr<PlasmaInput> create(dealii::ParameterHandler &prm,
                                               const ParameterFile &file);
  };

  /// c(t) = A1 exp(-a1 t) + A2 exp(-a2 t), separately for hot and cold ligand.
  class BiExponentialPlasmaInput : public PlasmaInput
  {
  public:
    struct Curve
    {
      double A1, a1, A2, a2; ///< [nmol L^-1], [1/h], [nmol L^-1], [1/h]
    };
    BiExponentialPlasmaInput(const Curve &hot, const Curve &cold);
    std::array<double, 2> concentration_nM(double t_h) const override;

  private:
    Curve hot, cold;
  };

  /// A table of (time [h], hot [nmol L^-1], cold [nmol L^-1]) rows, linearly interpolated, held
  /// constant before the first and after the last row.
  class TablePlasmaInput : public PlasmaInput
  {
  public:
    /// Read a CSV file: an optional header line, then rows "time_h, hot_nM, cold_nM" with
    /// strictly increasing times and non-negative concentrations; '#' starts a comment.
    /// @p where names the parameter that gave the file, for messages.
    TablePlasmaInput(const std::string &filename, const std::string &where);
    std::array<double, 2> concentration_nM(double t_h) const override;

  private:
    std::vector<double> times, hot, cold;
  };
} // namespace radiotwin
