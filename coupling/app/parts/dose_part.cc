#include "coupling/app/parts/dose_part.h"

#include <cmath>

#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "coupling/app/parts/transport_part.h"
#include "physics/base/atomic_file.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  void DosePart::declare_parameters(ParameterHandler &prm)
  {
    DoseCalculator::declare_parameters(prm);
  }

  std::unique_ptr<ModelPart> DosePart::create(RunContext &context, ParameterHandler &prm)
  {
    return context.find<TransportPart>() ? std::make_unique<DosePart>(context, prm) : nullptr;
  }

  DosePart::DosePart(RunContext &context, ParameterHandler &prm)
    : context(context)
    , transport(context.find<TransportPart>())
    , dose(std::make_unique<DoseCalculator>(transport->solver(), context.timer))
  {
    dose->parse_parameters(prm, context.file);
  }

  void DosePart::prepare_time_loop()
  {
    if (const auto *o2 = context.find<OxygenPart>())
      dose->set_oxygen(o2->solver().dof_handler(), o2->solver().po2_mmHg(),
                       o2->solver().hypoxia_thresholds_mmHg()[0]);
    dose->setup(context.find<DarcyPart>()->solver().mapping(), transport->activity_MBq_per_nmol());
    if (dose->uses_kernel())
      context.pcout << "  dose-point kernel: " << dose->n_kernel_weights() << " neighbour weights"
                    << std::endl;
  }

  void DosePart::advance(double, const double dt_s)
  {
    dose->advance(dt_s);
  }

  void DosePart::add_output_fields(const OutputStream stream, std::vector<NodalField> &fields)
  {
    if (stream != OutputStream::time_series)
      return;
    rate        = dose->dose_rate_Gy_per_h();
    dose_Gy     = dose->dose_Gy();
    bed         = dose->bed_Gy();
    bed_hypoxia = dose->bed_hypoxia_adjusted_Gy();
    const auto &dofs = transport->solver().dof_handler();
    fields.push_back({&dofs, &rate, "dose_rate_Gy_per_h"});
    fields.push_back({&dofs, &dose_Gy, "dose_Gy"});
    fields.push_back({&dofs, &bed, "bed_Gy"});
    fields.push_back({&dofs, &bed_hypoxia, "bed_hypoxia_adjusted_Gy"});
  }

  void DosePart::finish()
  {
    const auto report = dose->report(context.geometry);
    const auto &tia   = transport->tia_MBq_h();
    Json &      j     = summary_;
    j                 = Json();
    j["energy_deposition"] = dose->uses_kernel() ? "dose point kernel" : "local";
    // Energy check: the dose fields against the time-integrated activity of the region
    // totals (both trapezoidal in time; exact for local deposition and for the kernel).
    double tia_all = 0;
    for (const double t : tia)
      tia_all += t;
    const double emitted_J = tia_all * 1e6 * units::h * dose->electron_energy_J();
    j["energy_emitted_J"]   = emitted_J;
    j["energy_deposited_J"] = report.energy_deposited_J;
    j["energy_balance_relative_defect"] =
      emitted_J > 0 ? std::abs(report.energy_deposited_J - emitted_J) / emitted_J : 0.0;
    j["target_bed_Gy"] = dose->target_bed();
    j["sets"]          = report.sets;
    if (context.root())
      {
        write_file_atomically(context.output_directory + "/dvh.csv", report.dvh_dose_csv);
        write_file_atomically(context.output_directory + "/dvh_bed_hypoxia_adjusted.csv", report.dvh_bed_csv);
      }
    j["dvh_files"] = "dvh.csv, dvh_bed_hypoxia_adjusted.csv";
  }

  const DoFHandler<3> *DosePart::checkpoint_dofs() const
  {
    return &transport->solver().dof_handler();
  }

  void DosePart::add_summary(Json &summary)
  {
    summary["transport"]["dosimetry"] = summary_;
  }
} // namespace radiotwin
