#include "coupling/app/parts/transport_part.h"

#include <boost/serialization/array.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <iomanip>

#include "coupling/app/parts/body_coupling_part.h"
#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "physics/base/atomic_file.h"
#include "physics/base/units.h"
#include "physics/radionuclide.h"
#include "postprocessing/transport_output.h"

namespace radiotwin
{
  using namespace dealii;

  void TransportPart::declare_parameters(ParameterHandler &prm)
  {
    TransportSolver::declare_parameters(prm);
    PlasmaInput::declare_parameters(prm);
  }

  std::unique_ptr<ModelPart> TransportPart::create(RunContext &context, ParameterHandler &prm)
  {
    prm.enter_subsection("Transport");
    const bool enabled = prm.get_bool("Enabled");
    prm.leave_subsection();
    return enabled ? std::make_unique<TransportPart>(context, prm) : nullptr;
  }

  TransportPart::TransportPart(RunContext &context, ParameterHandler &prm)
    : context(context)
    , wall(context.comm, true)
  {
    wall.stop();
    wall.reset();
    prm.enter_subsection("Coupling");
    const bool coupled = prm.get_bool("Whole-body coupling");
    prm.leave_subsection();
    if (!coupled)
      plasma = PlasmaInput::create(prm, context.file);
    darcy     = context.find<DarcyPart>();
    transport = std::make_unique<TransportSolver>(darcy->solver(), context.tissue, context.timer);
    transport->parse_parameters(prm, context.file);
  }

  std::optional<TimeSchedule> TransportPart::time_schedule() const
  {
    const TransportSolver *t = transport.get();
    return TimeSchedule{t->end_time_s(), t->initial_step_s(), t->output_times_s(),
                        [t](const double dt) { return t->next_step(dt); }};
  }

  double TransportPart::hot_activity(const Content &c, const unsigned int r) const
  {
    double hot_nmol = 0;
    for (const auto &pool : c[r])
      hot_nmol += pool[0];
    return hot_nmol * a_per_nmol;
  }

  void TransportPart::prepare_time_loop()
  {
    coupling = context.find<BodyCouplingPart>();
    if (const auto *o2 = context.find<OxygenPart>(); o2 && o2->solver().receptor_factor_of_po2())
      transport->set_receptor_po2_factor(o2->solver().dof_handler(), o2->solver().po2_mmHg(),
                                         o2->solver().receptor_factor_of_po2());
    transport->setup();
    a_per_nmol = radiotwin::activity_MBq_per_nmol(transport->decay_constant_per_s() * 60.0);

    csv.str("");
    csv << std::setprecision(10) << "time_h";
    for (const Region r : context.geometry.regions())
      for (const std::string &pool : TransportSolver::pool_names())
        for (const char *sp : {"hot", "cold"})
          csv << "," << region_key(r) << "_" << pool << "_" << sp << "_nmol";
    for (const Region r : context.geometry.regions())
      csv << "," << region_key(r) << "_activity_MBq";
    csv << "\n";
    content_ = transport->region_content();
    write_row(0.0); // a restart replaces the table with the checkpoint's
  }

  void TransportPart::write_row(const double t_s)
  {
    csv << t_s / units::h;
    for (const Region r : context.geometry.regions())
      for (const auto &pool : content_[region_index(material_id(r))])
        for (const double amount : pool)
          csv << "," << amount;
    for (const Region r : context.geometry.regions())
      csv << "," << hot_activity(content_, region_index(material_id(r)));
    csv << "\n";
  }

  void TransportPart::advance(const double t_s, const double dt_s)
  {
    if (!loop_started)
      wall.start();
    loop_started = true;
    const auto b = coupling ? coupling->step(*transport, t_s, dt_s) : transport->step(t_s, dt_s, *plasma);
    worst_defect = std::max(worst_defect, b.defect());
    for (unsigned int s = 0; s < 2; ++s)
      {
        in[s] += b.transvascular_net[s];
        lymph[s] += b.lymphatic[s];
        out[s] += b.boundary_outflow[s];
        released[s] += b.released[s];
      }
    // The content after the step (the parts after this one read it) and its trapezoidal
    // time integral.
    const auto new_content = transport->region_content();
    for (unsigned int r = 0; r < tia.size(); ++r)
      tia[r] += 0.5 * (hot_activity(content_, r) + hot_activity(new_content, r)) * dt_s / units::h;
    content_   = new_content;
    end_time_s = t_s + dt_s;
    ++steps;
  }

  std::array<double, 2> TransportPart::plasma_nM(const double t_s) const
  {
    return coupling ? coupling->coupling().last_mean_plasma_nM() : plasma->concentration_nM(t_s / units::h);
  }

  void TransportPart::write_output(const double t_s, unsigned int)
  {
    write_row(t_s);
  }

  std::string TransportPart::write_stream(const OutputStream stream, const std::vector<NodalField> &extra,
                                          const double t_s, const unsigned int index) const
  {
    if (stream != OutputStream::time_series)
      return "";
    return write_transport_fields(*transport, darcy->solver().mapping(), a_per_nmol,
                                  context.output_directory, index, t_s / units::h, extra);
  }

  std::string TransportPart::progress() const
  {
    const unsigned int tumour = region_index(material_id(Region::tumour)),
                       core   = region_index(material_id(Region::necrotic_core));
    std::ostringstream os;
    os << "tumour " << std::setprecision(4) << hot_activity(content_, tumour) + hot_activity(content_, core)
       << " MBq";
    if (transport->last_error_estimate() >= 0)
      os << "  step error " << std::setprecision(2) << transport->last_error_estimate();
    return os.str();
  }

  void TransportPart::finish()
  {
    wall.stop();
    if (context.root())
      write_file_atomically(context.output_directory + "/region_totals.csv", csv.str());
  }

  void TransportPart::add_summary(Json &summary)
  {
    Json &j                              = summary["transport"];
    j["dofs_per_field"]                  = static_cast<unsigned long long>(transport->dof_handler().n_dofs());
    j["steps"]                           = steps;
    j["end_time_h"]                      = end_time_s / units::h;
    j["time_loop_wall_s"]                = wall.wall_time();
    j["max_step_balance_relative_defect"] = worst_defect;
    j["last_gmres_iterations"]           = transport->n_iterations();
    j["step_control"] = transport->step_control().by_error ?
                          Json{{"kind", "error estimate"}, {"tolerance", transport->step_control().tolerance}} :
                          Json{{"kind", "growth"}};
    j["regions"] = context.per_region([&](const unsigned int i) {
      return Json{{"time_integrated_activity_MBq_h", tia[i]}, {"activity_at_end_MBq", hot_activity(content_, i)}};
    });
    j["transvascular_net_uptake_nmol"] = in[0] + in[1];
    j["lymphatic_loss_nmol"]           = lymph[0] + lymph[1];
    j["boundary_outflow_nmol"]         = out[0] + out[1];
    j["released_nmol"]                 = released[0] + released[1];
  }

  void TransportPart::save(boost::archive::binary_oarchive &archive) const
  {
    const std::string csv_text = csv.str();
    archive << steps << end_time_s << tia << in << lymph << out << released << worst_defect << csv_text
            << transport->step_control() << transport->preconditioner_step_s();
  }

  void TransportPart::load(boost::archive::binary_iarchive &archive)
  {
    std::string csv_text;
    archive >> steps >> end_time_s >> tia >> in >> lymph >> out >> released >> worst_defect >> csv_text >>
      transport->step_control() >> transport->preconditioner_step_s();
    csv.str("");
    csv << csv_text;
    // The fields were loaded with the mesh before this.
    content_ = transport->region_content();
  }

  std::vector<ModelPart::VectorType *> TransportPart::checkpoint_vectors()
  {
    std::vector<VectorType *> v;
    for (auto &f : transport->fields_for_restart())
      v.push_back(&f);
    // The error-estimate step control's last state and increment (empty with growth).
    for (auto *history : {&transport->step_control().y_last, &transport->step_control().d_last})
      for (auto &f : *history)
        v.push_back(&f);
    return v;
  }
} // namespace radiotwin
