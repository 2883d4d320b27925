// RadioTwin: the whole-body model's parameters in deal.II's ParameterHandler (coupled runs
// and the full program's pbrpk); the declarations themselves are deal.II-free.
#include "coupling/whole_body_model.h"

namespace radiotwin
{
  void WholeBodyModel::declare_parameters(dealii::ParameterHandler &prm)
  {
    ParameterSchema schema;
    declare_parameters(schema);
    declare_schema(prm, schema);
  }

  void WholeBodyModel::parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file)
  {
    DealiiParameterReader reader(prm);
    parse_parameters(reader, file);
  }
} // namespace radiotwin
