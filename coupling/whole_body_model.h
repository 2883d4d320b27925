// RadioTwin: whole-body physiologically based radiopharmacokinetic (PBRPK) model of
// 177Lu-PSMA (docs/physics.md section 4 and Appendix A: the published PSMA model of
// Fele-Paranj et al. 2024): arterial and venous plasma, lungs, kidneys with filtration,
// reabsorption and urine, salivary glands, liver, spleen, prostate, GI, bone, red marrow,
// muscle, skin, brain, adipose, heart, rest of body, and any number of lesions; hot and cold
// ligand competing for receptors; decay in every pool; optional albumin binding.
#pragma once

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coupling/compartment_network.h"
#include "physics/base/parameter_file.h"
#include "physics/injection_protocol.h"
#include "physics/radionuclide.h"
#include "physics/tissue_dosimetry.h"
#include "physics/base/json.h"

namespace radiotwin
{
  class SbmlMapping;
  struct ProtocolTargets;

  class WholeBodyModel
  {
  public:
    static void declare_parameters(ParameterSchema &prm);
    void        parse_parameters(ParameterReader &prm, const ParameterFile &file);
    // The same with deal.II's ParameterHandler (the full program; defined with deal.II).
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const ParameterFile &file);

    /// An organ or lesion as reported: its pools, mass and radiobiology.
    struct Tissue
    {
      std::string               key;       ///< e.g. "kidney", "Tumor1"
      std::vector<unsigned int> pools;     ///< all pools whose activity counts
      double                    receptors_nmol = 0; ///< R0 (0: no receptors)
      unsigned int              bound_pool = 0;
      double                    mass_kg = 0;        ///< 0: no dose reported
      unsigned int              integral = 0;       ///< accumulator of int A_hot dt
      int                       dose_tracker = -1;  ///< accumulator of D, Q, I (or -1)
      double                    alpha_beta_Gy = 0;  ///< 0: no BED reported
    };

    /// Build the network from the parameters (called by parse_parameters).
    void build();

    /// The meshed tumour of a coupled run as one lesion (docs/physics.md section 5): its
    /// plasma space is a pool of the network, perfused like every lesion (vascular volume
    /// 0.05 (1 - Hct) V), and its tissue is the PDE's, outside the network. Two linear fluxes
    /// and a constant source per step carry the exchange (tumour_body_coupling.h).
    struct CoupledLesion
    {
      std::string name;
      double      volume_L          = 0; ///< represented lesion volume
      double      perfusion_per_min = 0; ///< plasma flow per lesion volume [mL/(min mL)]
    };
    /// Add the coupled lesion and rebuild the network.
    void set_coupled_lesion(const CoupledLesion &lesion);
    struct CoupledLesionIndices
    {
      unsigned int vascular = 0;        ///< pool: the lesion's plasma
      /// Linear fluxes vascular species s' -> (PDE) loss of species s: [s][s'].
      std::array<std::array<unsigned int, 2>, 2> uptake_flux{};
      unsigned int mean_integral = 0;   ///< amount integral of the vascular pool
      int          marrow_tracker = -1; ///< dose tracker of the red marrow
      double       marrow_weight_Gy_per_min_per_nmol = 0; ///< bone-lesion cross-dose weight
      double       vascular_volume_L = 0;
    };
    const CoupledLesionIndices &coupled() const { return coupled_indices; }
    /// Set the coupling's linear flux rates: species s of the lesion's plasma loses
    /// sum_s' k[s][s'] A_s' [nmol/min]; and the marrow's external dose rate.
    void set_coupling_rates(const std::array<std::array<double, 2>, 2> &uptake_per_min,
                            double marrow_dose_rate_Gy_per_min);
    unsigned int vein_pool() const { return vein; }
    unsigned int arterial_pool() const { return art; }
    double tissue_density_kg_per_L() const { return dosimetry.density_kg_per_L(); }
    /// (alpha/beta [Gy], T_rep [h]) of a tissue key ('tumour' for lesions), or (0, 0).
    std::pair<double, double> radiobiology_of(const std::string &key) const;

    /// Time course of a run: the state at each output time [h].
    struct Result
    {
      std::vector<double>              times_h;
      std::vector<std::vector<double>> states;
      unsigned long                    steps = 0, rhs_evaluations = 0;
      double                           wall_time_s = 0;
      /// Linear-algebra work of the standalone run (reported, not checkpointed).
      unsigned long jacobian_evaluations = 0, linear_solver_setups = 0;

      template <class Archive>
      void serialize(Archive &ar, const unsigned int)
      {
        ar &times_h &states &steps &rhs_evaluations &wall_time_s;
      }
    };
    /// Integrate over the injection protocol to 'Duration [h]'.
    Result run() const;
    /// The same with rows only at @p output_times_h [h] (increasing, > 0): the run ends at the
    /// last of them (the twin's calibration and predictions).
    Result run(const std::vector<double> &output_times_h) const;

    /// Parameters that the patient twin may calibrate (docs/twin.md), each with its unit and
    /// the input entry it stands for: kidney_receptor_density, ..., and per lesion
    /// LESION_receptor_density and LESION_perfusion. Native model only.
    struct Adjustable
    {
      std::string name, unit, entry;
      double      upper = 1e4; ///< largest value the entry accepts [unit]
    };
    std::vector<Adjustable> adjustable_parameters() const;
    /// Value of an adjustable parameter; std::invalid_argument for an unknown name.
    double parameter(const std::string &name) const;
    /// Set one and rebuild the network (std::invalid_argument for an unknown name, a value
    /// outside the entry's range or a model imported from SBML).
    void set_parameter(const std::string &name, double value);
    /// The lesions of 'Whole body/Lesions/Lesions' (names and volumes [L]).
    std::vector<std::pair<std::string, double>> lesion_volumes_L() const;
    /// Give lesion @p name the volume @p volume_L (measured in the patient's images); a lesion
    /// the list lacks is added with the properties of @p like (another lesion of the list).
    /// Rebuilds the network.
    void set_lesion_volume(const std::string &name, double volume_L, const std::string &like);
    /// 'Whole body/Lesions/Lesions' of this model's lesions (calibrated values included),
    /// without lesion @p without (the one a coupled run meshes).
    std::string lesion_entry(const std::string &without = "") const;
    /// Perfusion [mL/(min g)] and release rate [1/min] of a lesion (std::invalid_argument
    /// for an unknown one).
    std::pair<double, double> lesion_perfusion_and_release(const std::string &name) const;
    /// Number of cycles and their interval [h] (the protocol is rebuilt; duration unchanged).
    void set_cycles(unsigned int n_cycles, double interval_h);
    /// A plan: cycle c gets activity @p activities_MBq[c] (one cycle's injections scaled), every
    /// @p interval_h; with @p fixed_peptide the total ligand per cycle stays that of one cycle
    /// of 'Injections' (hot replaces cold), otherwise the cold ligand scales with the hot
    /// (fixed specific activity). std::invalid_argument when a cycle asks for more hot ligand
    /// than a fixed peptide amount holds.
    void set_plan(const std::vector<double> &activities_MBq, double interval_h, bool fixed_peptide);
    /// Activity of one cycle of 'Injections' [MBq].
    double cycle_activity_MBq() const;
    unsigned int n_cycles() const { return cycles; }
    double cycle_interval_h() const { return cycle_interval; }
    /// Integration tolerances (the calibration integrates tighter than a run reports).
    void set_tolerances(double relative, double absolute_nmol) { rtol = relative; atol = absolute_nmol; }

    const CompartmentNetwork &network() const { return net; }
    /// 'Whole body/Model = sbml': the model is imported (sbml_whole_body.h), this one only
    /// supplies the protocol, the integration settings and the radiobiology.
    bool   imports_sbml() const { return imported != nullptr; }
    /// The imported model in one line: file, id, size, decay (sbml_whole_body.cc).
    std::string describe_imported() const;
    double duration_h() const { return duration; }
    double output_interval_h() const { return output_interval; }
    double relative_tolerance() const { return rtol; }
    double absolute_tolerance_nmol() const { return atol; }
    unsigned int urine_pool() const { return urine; }
    /// Red-marrow cross-dose from bone lesions: absorbed fraction x bone share [-].
    double marrow_cross_dose_fraction() const { return marrow_absorbed_fraction * bone_lesion_fraction; }
    /// The imported model's mapping, or nullptr (native model).
    const SbmlMapping *sbml_mapping() const { return imported.get(); }
    /// The network state of an imported model's species or variable (tests, outputs).
    unsigned int sbml_state(const std::string &sbml_id) const;
    /// Whether a tissue key is a lesion of the model (its radiobiology is the tumour's).
    bool is_lesion(const std::string &key) const;
    const std::vector<Tissue> &tissues() const { return tissue_list; }
    /// The tissue of key @p key, or nullptr.
    const Tissue *tissue(const std::string &key) const;
    /// Absorbed dose D [Gy] and I = int Ddot Q dt [Gy^2] of @p t in state @p y (the dose
    /// tracker's accumulators; 0, 0 without one). Differences of two states give a period's.
    std::array<double, 2> dose_terms(const Tissue &t, const std::vector<double> &y) const;
    /// Lea-Catcheside BED [Gy] of those terms, D + 2 I / (alpha/beta); D without radiobiology.
    static double bed_Gy(const Tissue &t, double D_Gy, double I_Gy2)
    {
      return t.alpha_beta_Gy > 0 ? D_Gy + 2 * I_Gy2 / t.alpha_beta_Gy : D_Gy;
    }
    const InjectionProtocol &protocol() const { return injections; }
    double decay_constant_per_min() const { return lambda; }
    double activity_MBq_per_nmol() const { return radiotwin::activity_MBq_per_nmol(lambda); }
    double injected_hot_nmol(double until_h = 1e300) const { return injections.injected_hot_nmol(until_h); }
    double injected_cold_nmol(double until_h = 1e300) const { return injections.injected_cold_nmol(until_h); }
    unsigned int released_pool() const { return released; }
    /// Absorbed dose rate of 1 nmol of hot ligand in 1 kg, electrons deposited locally
    /// [Gy kg / (min nmol)].
    double dose_rate_Gy_kg_per_min_per_nmol() const
    {
      return lambda * constants::avogadro_per_mol * 1e-9 * dosimetry.radionuclide().electron_energy_keV *
             constants::joule_per_keV;
    }

    /// Total ligand (hot + cold, all pools incl. urine and released) in a state [nmol].
    double total_ligand(const std::vector<double> &y) const;
    /// Hot ligand in all pools plus what has decayed [nmol].
    double hot_plus_decayed(const std::vector<double> &y) const;

    /// Ligand held outside the network at each time of a Result: the PDE tissue of a coupled
    /// run, already scaled to the represented lesion volume.
    struct External
    {
      std::string         key;            ///< the coupled lesion's tissue key
      std::vector<double> lesion_hot_nmol; ///< in the tumour regions (tumour + necrotic core)
      std::vector<double> host_hot_nmol;   ///< in the meshed host shell
      std::vector<double> total_nmol;      ///< all ligand in the PDE, hot + cold
      std::vector<double> hot_plus_decayed_nmol; ///< hot in the PDE + hot decayed there
      std::vector<std::pair<std::string, double>> lesion_results; ///< summary entries

      template <class Archive>
      void serialize(Archive &ar, const unsigned int)
      {
        ar &key &lesion_hot_nmol &host_hot_nmol &total_nmol &hot_plus_decayed_nmol &lesion_results;
      }
    };
    /// Write time_activity.csv and receptor_occupancy.csv; return the summary (the caller
    /// writes it, last).
    /// With @p external, its ligand joins the coupled lesion's curve and the conservation
    /// check. Called on one rank.
    Json write_outputs(const Result &result, const std::string &directory,
                       const External *external = nullptr) const;
    /// Largest relative conservation defects over the records: |total ligand - injected| /
    /// injected and |hot + decayed - injected hot| / injected hot, with the external ledger's
    /// amounts counted in.
    std::array<double, 2> conservation_defects(const Result &result,
                                               const External *external = nullptr) const;

  private:
    TissueDosimetry dosimetry; ///< radionuclide, density, radiobiology (shared sections)
    double       lambda = 0; ///< decay constant used [1/min]

    // Patient
    double body_weight_kg = 100, bsa_m2 = 1.9, hct = 0.4, gfr_L_per_min = 0.2 / 3 * 201 / 151;
    // Organ table values (volume, vascular, interstitial, flow, kPS; see the .cc's table)
    std::vector<std::array<double, 5>> organ_values;
    // Binding (section 3)
    double k_on = 0.046, k_off = 0.368, lambda_int = 0.001;
    // Receptor densities [nmol L^-1] and release rates [1/min]
    double rden_kidney = 14, rden_sg = 38, rden_prostate = 26.6, rden_liver = 1.33,
           rden_spleen = 0.532, rden_gi = 1.596;
    double release_kidney = 2.9e-4, release_sg = 4.2e-4, release_other = 2.9e-4;
    // Kidney
    double filtered_fraction = 0.66, excreted_fraction = 0.96, cell_return_volume_L = 1.0;
    // Lesions
    struct Lesion
    {
      std::string name;
      double      volume_L, rden, perfusion_per_min, kps_per_min, release_per_min;
    };
    std::vector<Lesion> lesions;
    double              lesion_volume_scaling = 1;
    // Albumin
    double albumin_density = 0, albumin_kd_nM = 1, albumin_k_on = 0.01, albumin_kps = 0;
    // Dosimetry
    double bone_lesion_fraction = 0.5, marrow_absorbed_fraction = 0.1;
    // Protocol and integration
    InjectionProtocol injections;
    std::vector<Injection> cycle_injections; ///< one cycle of 'Injection/Injections'
    unsigned int      cycles = 1;
    double            cycle_interval = 1008; ///< [h]
    double duration = 1008, output_interval = 1, rtol = 1e-8, atol = 1e-12;
    NetworkIntegrator::LinearSolver linear_solver = NetworkIntegrator::LinearSolver::sparse;

    /// The adjustable parameters of the native model (lesions included) and their members.
    std::vector<std::pair<Adjustable, double *>> adjustable_members();
    /// One of them (throws for an unknown name or an imported model).
    std::pair<Adjustable, double *> adjustable(const std::string &name);

    /// 'Model = sbml': the imported model and its mapping (sbml_whole_body.h).
    std::shared_ptr<const SbmlMapping> imported;
    /// Build the network of the imported model (defined in sbml_whole_body.cc).
    void build_imported();
    /// The imported model's initial state and timed events (sbml_whole_body.cc).
    void imported_initial_state(std::vector<double> &y, ProtocolTargets &targets) const;
    /// Integrals, dose trackers and the coupled lesion's amount integral, for both models.
    void add_accumulators(const std::vector<unsigned int> &lesion_all_pools,
                          const std::set<std::string> &lesion_keys, double marrow_cross_fraction);
    /// An imported model may have no urine species; without RadioTwin's decay in every pool
    /// (an imported model decaying itself), hot + decayed is not known apart.
    bool has_urine() const;
    bool decay_counted() const;
    std::vector<unsigned int> imported_state_of_variable; ///< network state of each SBML state


    CompartmentNetwork  net;
    std::vector<Tissue> tissue_list;
    unsigned int        art = 0, vein = 0, urine = 0, released = 0;
    std::optional<CoupledLesion> coupled_lesion;
    CoupledLesionIndices         coupled_indices;
  };

} // namespace radiotwin
