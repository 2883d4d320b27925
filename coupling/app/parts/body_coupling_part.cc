#include "coupling/app/parts/body_coupling_part.h"

#include <iomanip>
#include <sstream>

#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/transport_part.h"
#include "physics/regions.h"

namespace radiotwin
{
  using namespace dealii;

  void BodyCouplingPart::declare_parameters(ParameterHandler &prm)
  {
    TumourBodyCoupling::declare_parameters(prm);
  }

  std::unique_ptr<ModelPart> BodyCouplingPart::create(RunContext &context, ParameterHandler &prm)
  {
    // Parsed also when off: a coupling asked for without transport is reported.
    auto coupling = std::make_unique<TumourBodyCoupling>();
    coupling->parse_parameters(prm, context.file);
    if (!coupling->enabled())
      return nullptr;
    return std::make_unique<BodyCouplingPart>(context, std::move(coupling));
  }

  BodyCouplingPart::BodyCouplingPart(RunContext &context, std::unique_ptr<TumourBodyCoupling> c)
    : context(context)
    , coupling_(std::move(c))
  {}

  void BodyCouplingPart::prepare_time_loop()
  {
    transport                 = context.find<TransportPart>();
    const auto &       volume = context.find<DarcyPart>()->diagnostics().volume;
    const unsigned int tumour = region_index(material_id(Region::tumour)),
                       core   = region_index(material_id(Region::necrotic_core));
    const double meshed_L = (volume[tumour] + volume[core]) * 1e3;
    coupling_->initialise(meshed_L, transport->solver().decay_constant_per_s());
    coupling_->apply_boluses(0.0);
    coupling_->record(0.0, transport->content()); // a restart replaces the records
    const auto &c = *coupling_;
    context.pcout << "  coupled to the whole-body model (" << c.model().network().n_pools()
                  << " pools): lesion '" << c.lesion() << "' represents "
                  << c.represented_volume_L() * 1e3 << " mL = " << c.scale()
                  << " x the meshed tumour; "
                  << c.model().injected_hot_nmol() * c.model().activity_MBq_per_nmol()
                  << " MBq injected" << std::endl;
  }

  void BodyCouplingPart::end_step(const double t_s)
  {
    coupling_->apply_boluses(t_s);
    coupling_->record(t_s, transport->content());
  }

  std::string BodyCouplingPart::progress() const
  {
    std::ostringstream os;
    os << "lesion plasma " << std::setprecision(4)
       << coupling_->last_mean_plasma_nM()[0] + coupling_->last_mean_plasma_nM()[1] << " nM";
    return os.str();
  }

  void BodyCouplingPart::finish()
  {
    TimerOutput::Scope scope(context.timer, "Output: whole body");
    summary_ = coupling_->write_outputs(context.output_directory, context.root());
  }

  void BodyCouplingPart::add_summary(Json &summary)
  {
    summary["transport"]["coupling_newton_iterations_per_step"] = coupling_->mean_iterations();
    summary["whole_body"]                                       = summary_;
  }

  void BodyCouplingPart::save(boost::archive::binary_oarchive &archive) const
  {
    archive << *coupling_;
  }

  void BodyCouplingPart::load(boost::archive::binary_iarchive &archive)
  {
    archive >> *coupling_;
  }
} // namespace radiotwin
