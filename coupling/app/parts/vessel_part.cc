#include "coupling/app/parts/vessel_part.h"

#include <deal.II/base/utilities.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cmath>

#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "coupling/app/parts/transport_part.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  void VesselPart::declare_parameters(ParameterHandler &prm)
  {
    VesselCoupling::declare_parameters(prm);
  }

  std::unique_ptr<ModelPart> VesselPart::create(RunContext &context, ParameterHandler &prm)
  {
    VesselCoupling vessels;
    vessels.parse_parameters(prm, context.file);
    if (!vessels.uses_network())
      return nullptr;
    return std::make_unique<VesselPart>(context, std::move(vessels));
  }

  VesselPart::VesselPart(RunContext &context, VesselCoupling &&v)
    : context(context)
    , vessels(std::move(v))
  {
    vessels.attach_timer(context.timer);
  }

  void VesselPart::setup()
  {
    darcy     = context.find<DarcyPart>();
    oxygen    = context.find<OxygenPart>();
    transport = context.find<TransportPart>();
    record.emplace(context.output_directory, "vessel_network"); // the folder is final now
    vessels.create_network(context.geometry);
    vessels.setup(darcy->solver().dof_handler(), darcy->solver().mapping(), context.tissue);
    const auto &net = vessels.network();
    context.pcout << "  vessel network: " << net.n_nodes() << " nodes, " << net.n_segments()
                  << " segments, " << net.total_length() / units::mm << " mm, "
                  << vessels.n_sample_points() << " exchange points ("
                  << (lines() ? "line sources" : "homogenised") << ")" << std::endl;
  }

  unsigned int VesselPart::solve_flow(DarcySolver &darcy_solver)
  {
    vessels.solve(darcy_solver);
    return vessels.diagnostics().iterations;
  }

  void VesselPart::solve_oxygen(OxygenSolver &o2)
  {
    vessels.solve_oxygen(o2, o2.blood_inlet_po2(), o2.blood_falls_along_flow(),
                         o2.blood_capacity_per_mmHg());
  }

  void VesselPart::solve_steady()
  {
    if (lines())
      context.pcout << "  network-tissue flow: converged in " << vessels.diagnostics().iterations
                    << " sweeps (relative change " << vessels.diagnostics().final_change << ")"
                    << std::endl;
  }

  void VesselPart::write_steady_output()
  {
    TimerOutput::Scope       scope(context.timer, "Output: vessel network");
    std::vector<NetworkField> extra;
    if (oxygen && lines())
      {
        // Blood pO2 (segment mean over its points) and the oxygen each segment gives.
        const OxygenSolver &o2         = oxygen->solver();
        const auto          tissue_po2 = vessels.replicate(o2.line_source_po2());
        const auto          g          = vessels.replicate(o2.line_source_oxygen_conductance());
        const auto &        blood      = vessels.blood_po2();
        std::vector<double> supply(blood.size()), ones(blood.size(), 1.0);
        for (std::size_t k = 0; k < blood.size(); ++k)
          supply[k] = g[k] * (blood[k] - tissue_po2[k]) / (units::nL_per_min);
        auto       mean  = vessels.per_segment(blood);
        const auto count = vessels.per_segment(ones);
        for (std::size_t s = 0; s < mean.size(); ++s)
          mean[s] = count[s] > 0 ? mean[s] / count[s] : std::nan("");
        extra = {{"blood_pO2_mmHg", mean}, {"oxygen_supply_nL_O2_per_min", vessels.per_segment(supply)}};
      }
    vessels.write_vtp(context.output_directory + "/vessel_network.vtp", extra);
  }

  void VesselPart::write_output(const double t_s, const unsigned int index)
  {
    if (!lines() || !transport)
      return;
    // The ligand crossing each vessel wall now, beside the tissue fields.
    const auto  c_p  = transport->plasma_nM(t_s);
    const auto &pde  = transport->solver();
    const auto &y    = pde.fields();
    auto        flux = vessels.segment_ligand_flux(pde.dof_handler(), {&y[0], &y[1]}, c_p[0] + c_p[1],
                                                   pde.line_source_ligand_coefficients());
    for (auto &f : flux)
      f *= 1e3 * units::min; // nmol/s -> pmol/min
    const std::string name = "vessel_network_" + Utilities::int_to_string(index, 4) + ".vtp";
    vessels.write_vtp(context.output_directory + "/" + name,
                      {NetworkField{"ligand_flux_pmol_per_min", flux}});
    record->add(t_s / units::h, name, context.comm);
  }

  void VesselPart::add_summary(Json &summary)
  {
    const auto &net = vessels.network();
    const auto &b   = vessels.diagnostics();
    Json        j;
    j["representation"]   = lines() ? "line sources" : "homogenised network";
    j["source"]           = net.source;
    j["nodes"]            = net.n_nodes();
    j["segments"]         = net.n_segments();
    j["total_length_mm"]  = net.total_length() / units::mm;
    j["wall_surface_mm2"] = net.total_surface() / (units::mm * units::mm);
    j["exchange_points"]  = vessels.n_sample_points();
    const auto density    = vessels.density_report();
    j["density"]          = context.per_region([&](const unsigned int i) {
      return Json{{"length_density_mm_per_mm3", density.length_density_per_m2[i] * units::mm * units::mm},
                  {"surface_density_per_cm", density.surface_density_per_m[i] * units::cm}};
    });
    j["blood_pressure_min_mmHg"]          = b.min_pressure / units::mmHg;
    j["blood_pressure_max_mmHg"]          = b.max_pressure / units::mmHg;
    j["inflow_nL_per_min"]                = b.inflow / units::nL_per_min;
    j["outflow_nL_per_min"]               = b.outflow / units::nL_per_min;
    j["wall_leakage_nL_per_min"]          = b.network_leakage / units::nL_per_min;
    j["tissue_line_source_nL_per_min"]    = b.tissue_source / units::nL_per_min;
    j["network_balance_relative_defect"]  = b.network_defect();
    j["exchange_balance_relative_defect"] = b.exchange_defect();
    j["coupling_iterations"]              = b.iterations;
    j["coupling_final_relative_change"]   = b.final_change;
    j["file"]                             = "vessel_network.vtp";
    summary["vessel_network"]             = j;
  }

  void VesselPart::save(boost::archive::binary_oarchive &archive) const
  {
    auto entries = record->entries_so_far();
    archive << entries;
  }

  void VesselPart::load(boost::archive::binary_iarchive &archive)
  {
    std::vector<std::pair<double, std::string>> entries;
    archive >> entries;
    record->restore(entries, context.comm);
  }
} // namespace radiotwin
