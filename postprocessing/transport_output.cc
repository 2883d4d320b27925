#include "postprocessing/transport_output.h"

#include <deal.II/numerics/data_out.h>

namespace radiotwin
{
  using namespace dealii;

  std::string write_transport_fields(const TransportSolver &transport, const Mapping<3> &mapping,
                                     const double activity_MBq_per_nmol,
                                     const std::string &directory, const unsigned int counter,
                                     const double time_h, const std::vector<NodalField> &extra)
  {
    const auto &y   = transport.fields();
    const auto &phi = transport.nodal_porosity();
    const auto &R0  = transport.nodal_receptors();
    VectorType activity(y[0]), occupancy(y[0]);
    for (const auto i : transport.dof_handler().locally_owned_dofs())
      {
        // hot ligand per tissue volume [nmol L^-1] -> MBq/mL
        activity(i) = (phi(i) * y[0](i) + y[2](i) + y[4](i)) * activity_MBq_per_nmol / 1000.0;
        occupancy(i) = R0(i) > 0 ? (y[2](i) + y[3](i)) / R0(i) : 0.0;
      }
    transport.distribute_constraints(activity);
    transport.distribute_constraints(occupancy);

    DataOut<3> out;
    out.attach_dof_handler(transport.dof_handler());
    for (unsigned int k = 0; k < y.size(); ++k)
      out.add_data_vector(y[k], TransportSolver::field_names()[k]);
    out.add_data_vector(activity, "activity_MBq_per_mL");
    out.add_data_vector(occupancy, "receptor_occupancy");
    for (const auto &f : extra)
      out.add_data_vector(*f.dofs, *f.values, f.name);
    out.build_patches(mapping, 1);
    DataOutBase::VtkFlags flags(time_h, counter);
    flags.compression_level = DataOutBase::VtkFlags::ZlibCompressionLevel::best_speed;
    out.set_flags(flags);
    return out.write_vtu_with_pvtu_record(directory + "/", "transport", counter,
                                          transport.dof_handler().get_communicator(), 4);
  }
} // namespace radiotwin
