// RadioTwin: the shipped model parts, in the order a run builds and calls them. A new part
// is one line here (or PartRegistry::add<P>("name") before the Simulator is built).
#include "coupling/app/model_part.h"
#include "coupling/app/parts/body_coupling_part.h"
#include "coupling/app/parts/darcy_part.h"
#include "coupling/app/parts/dose_part.h"
#include "coupling/app/parts/oxygen_part.h"
#include "coupling/app/parts/transport_part.h"
#include "coupling/app/parts/vessel_part.h"

namespace radiotwin
{
  std::vector<PartRegistry::Type> &PartRegistry::types()
  {
    static std::vector<Type> list;
    if (list.empty())
      {
        // Order matters: a part finds the ones before it when it is built, and in every
        // phase the parts run in this order: the Darcy flow before the vessels' coupled
        // solve and the oxygen (all steady solves come before any time step); the transport
        // before the coupling that records its content and the dose that follows its step;
        // the oxygen last of the field writers, so the files list pO2 after the dose fields.
        list.push_back({"darcy", &DarcyPart::declare_parameters, &DarcyPart::create});
        list.push_back({"vessel_network", &VesselPart::declare_parameters, &VesselPart::create});
        list.push_back({"transport", &TransportPart::declare_parameters, &TransportPart::create});
        list.push_back({"whole_body", &BodyCouplingPart::declare_parameters, &BodyCouplingPart::create});
        list.push_back({"dose", &DosePart::declare_parameters, &DosePart::create});
        list.push_back({"oxygen", &OxygenPart::declare_parameters, &OxygenPart::create});
      }
    return list;
  }

  const std::vector<PartRegistry::Type> &PartRegistry::all()
  {
    return types();
  }
} // namespace radiotwin
