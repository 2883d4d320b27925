#include "postprocessing/darcy_output.h"

#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/data_postprocessor.h>

#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// Starling exchange fields from the pressure: J_v and J_L [1/s] at output points.
    class StarlingFluxes : public DataPostprocessor<3>
    {
    public:
      explicit StarlingFluxes(const TissueProperties &tissue)
        : tissue(tissue)
      {}

      void evaluate_scalar_field(const DataPostprocessorInputs::Scalar<3> &inputs,
                                 std::vector<Vector<double>> &computed) const override
      {
        const auto   cell  = inputs.template get_cell<3>();
        const auto & coeff = tissue(cell->material_id());
        for (unsigned int q = 0; q < inputs.solution_values.size(); ++q)
          {
            const double p  = inputs.solution_values[q];
            const double sv = tissue.vascular_density_scaling(inputs.evaluation_points[q], coeff);
            computed[q](0)  = physics::transvascular_flux(coeff, p, sv);
            computed[q](1)  = physics::lymphatic_flux(coeff, p);
          }
      }

      std::vector<std::string> get_names() const override
      {
        return {"Jv_transvascular_per_s", "JL_lymphatic_per_s"};
      }

      std::vector<DataComponentInterpretation::DataComponentInterpretation>
      get_data_component_interpretation() const override
      {
        return {DataComponentInterpretation::component_is_scalar,
                DataComponentInterpretation::component_is_scalar};
      }

      UpdateFlags get_needed_update_flags() const override
      {
        return update_values | update_quadrature_points;
      }

    private:
      const TissueProperties &tissue;
    };
  } // namespace

  std::string write_darcy_fields(const DarcySolver &darcy, const TissueProperties &tissue,
                                 const std::string &directory, const std::string &name,
                                 const unsigned int counter, const double time_h,
                                 const std::vector<NodalField> &extra)
  {
    const auto &tria = darcy.dof_handler().get_triangulation();
    const MPI_Comm comm = darcy.dof_handler().get_communicator();

    VectorType ifp_mmHg(darcy.pressure());
    ifp_mmHg *= 1.0 / units::mmHg;
    ifp_mmHg.update_ghost_values();
    VectorType velocity_um_per_s(darcy.velocity());
    velocity_um_per_s *= 1.0 / units::um_per_s;
    velocity_um_per_s.update_ghost_values();

    Vector<float> region(tria.n_active_cells()), rank(tria.n_active_cells());
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          region(cell->active_cell_index()) = cell->material_id();
          rank(cell->active_cell_index()) = tria.locally_owned_subdomain();
        }

    StarlingFluxes fluxes(tissue);
    DataOut<3>     out;
    out.attach_triangulation(tria);
    out.add_data_vector(darcy.dof_handler(), ifp_mmHg, "ifp_mmHg");
    out.add_data_vector(darcy.dof_handler(), darcy.pressure(), fluxes);
    out.add_data_vector(darcy.velocity_dof_handler(), velocity_um_per_s,
                        std::vector<std::string>(3, "velocity_um_per_s"),
                        std::vector<DataComponentInterpretation::DataComponentInterpretation>(
                          3, DataComponentInterpretation::component_is_part_of_vector));
    for (const auto &f : extra)
      out.add_data_vector(*f.dofs, *f.values, f.name);
    out.add_data_vector(region, "region", DataOut<3>::type_cell_data);
    out.add_data_vector(rank, "mpi_rank", DataOut<3>::type_cell_data);
    out.build_patches(darcy.mapping(), darcy.degree(), DataOut<3>::curved_inner_cells);

    DataOutBase::VtkFlags flags(time_h, counter);
    flags.compression_level = DataOutBase::VtkFlags::ZlibCompressionLevel::best_speed;
    flags.write_higher_order_cells = false;
    out.set_flags(flags);
    return out.write_vtu_with_pvtu_record(directory + "/", name, counter, comm, 4);
  }
} // namespace radiotwin
