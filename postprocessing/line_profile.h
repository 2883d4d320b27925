// RadioTwin: sampling a finite-element field along a line, in parallel, with a choice of
// cell at shared faces that does not depend on the partition (so 1- and N-rank runs write
// identical profiles).
#pragma once

#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/mapping.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <vector>

namespace radiotwin
{
  struct FieldSample
  {
    dealii::Point<3>           x;
    bool                       found    = false;
    dealii::types::material_id material = 0;
    double                     value    = 0;
    dealii::Tensor<1, 3>       gradient;
  };

  /// Value and gradient of the scalar field @p u at each point; points outside the mesh come
  /// back with found = false. Collective; every rank gets all samples.
  std::vector<FieldSample>
  sample_field(const dealii::Mapping<3> &mapping, const dealii::DoFHandler<3> &dofs,
               const dealii::LinearAlgebra::distributed::Vector<double> &u,
               const std::vector<dealii::Point<3>> &points);
} // namespace radiotwin
