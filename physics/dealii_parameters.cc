// RadioTwin: the physics layer's parameters in deal.II's ParameterHandler: the schema copied
// in, the values read through DealiiParameterReader (the declarations themselves are
// deal.II-free, for the lean pbrpk executable).
#include "physics/radionuclide.h"
#include "physics/tissue_dosimetry.h"

namespace radiotwin
{
  void Radionuclide::declare_parameters(dealii::ParameterHandler &prm)
  {
    ParameterSchema schema;
    declare_parameters(schema);
    declare_schema(prm, schema);
  }

  void Radionuclide::parse_parameters(dealii::ParameterHandler &prm)
  {
    DealiiParameterReader reader(prm);
    parse_parameters(reader);
  }

  void TissueDosimetry::declare_parameters(dealii::ParameterHandler &prm)
  {
    ParameterSchema schema;
    declare_parameters(schema);
    declare_schema(prm, schema);
  }

  void TissueDosimetry::parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file)
  {
    DealiiParameterReader reader(prm);
    parse_parameters(reader, file);
  }
} // namespace radiotwin
