// RadioTwin part: a vessel network (read or generated, docs/physics.md section 2 and
// docs/vessel-networks.md) coupled to the tissue: its Poiseuille flow with the interstitial
// flow, as 3D-1D line sources or as a homogenised S/V field; the blood oxygen along it; the
// ligand crossing its walls at every output time. Built when 'Vessel network/Vessel
// representation' is not 'uniform'.
//
// The coupling drives the solves of the parts it couples: the Darcy part asks it for the
// coupled flow solve (solve_flow), the oxygen part for the coupled oxygen solve.
#pragma once

#include <memory>
#include <optional>

#include "coupling/app/model_part.h"
#include "coupling/vessel_tissue_coupling.h"
#include "postprocessing/output_files.h"

namespace radiotwin
{
  class DarcyPart;
  class OxygenPart;
  class TransportPart;

  class VesselPart : public ModelPart
  {
  public:
    static void declare_parameters(dealii::ParameterHandler &prm);
    static std::unique_ptr<ModelPart> create(RunContext &context, dealii::ParameterHandler &prm);
    VesselPart(RunContext &context, VesselCoupling &&vessels);

    std::string name() const override { return "vessel_network"; }
    void        setup() override;
    /// The network-tissue flow (line sources: sweeps to the tolerance); returns the number
    /// of sweeps.
    unsigned int solve_flow(DarcySolver &darcy);
    /// The tissue oxygen with the network's supply.
    void solve_oxygen(OxygenSolver &oxygen);
    void solve_steady() override;
    /// vessel_network.vtp: pressure, flow, leakage (and the blood pO2 and oxygen supply).
    void write_steady_output() override;

    /// With the transport, the ligand through each wall at the output times.
    void write_output(double t_s, unsigned int index) override;
    void add_summary(Json &summary) override;
    unsigned int state_version() const override { return lines() ? 1 : 0; }
    void save(boost::archive::binary_oarchive &archive) const override;
    void load(boost::archive::binary_iarchive &archive) override;

    const VesselCoupling &coupling() const { return vessels; }
    bool lines() const { return vessels.representation() == VesselCoupling::Representation::line_sources; }

  private:
    RunContext &         context;
    VesselCoupling       vessels;
    const DarcyPart *    darcy     = nullptr;
    const OxygenPart *   oxygen    = nullptr;
    const TransportPart *transport = nullptr;
    std::optional<PvdRecord> record; ///< vessel_network.pvd: the ligand flux at the output times
  };
} // namespace radiotwin
