// RadioTwin: an imported SBML whole-body model as the kinetics of the whole-body network,
// its mapping, and the export of the native model (sbml_whole_body.h, docs/sbml.md).
#include "coupling/sbml_whole_body.h"

#include <sbml/SBMLTypes.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "coupling/protocol_integration.h"
#include "coupling/whole_body_model.h"
#include "physics/base/atomic_file.h"
#include "physics/base/input_error.h"
#include "physics/base/version.h"

namespace radiotwin
{
  namespace
  {
    const std::string section = "Whole body/SBML/";

    /// Species ids separated by '+', ',' or blanks.
    std::vector<std::string> species_list(const std::string &text)
    {
      std::vector<std::string> out;
      std::string              word;
      for (const char c : text + " ")
        if (c == '+' || c == ',' || std::isspace(static_cast<unsigned char>(c)))
          {
            if (!word.empty())
              out.push_back(word);
            word.clear();
          }
        else
          word += c;
      return out;
    }

    /// The SBML model in the network's units: amounts in nmol (extra states scaled alike),
    /// time in min.
    class SbmlKinetics : public ImportedKinetics
    {
    public:
      SbmlKinetics(std::shared_ptr<const SbmlModel> m, const double nmol_per_amount, const double min_per_time)
        : model(std::move(m))
        , scale(nmol_per_amount)
        , minutes(min_per_time)
        , x_model(model->n_states())
      {}
      unsigned int n_variables() const override { return model->n_states(); }
      void         rhs(const double t_min, const double *x, double *xdot) const override
      {
        for (std::size_t k = 0; k < x_model.size(); ++k)
          x_model[k] = x[k] / scale;
        model->rhs(t_min / minutes, x_model.data(), xdot);
        for (std::size_t k = 0; k < x_model.size(); ++k)
          xdot[k] *= scale / minutes;
      }
      const std::vector<std::vector<unsigned int>> &dependents() const override { return model->dependents(); }

    private:
      std::shared_ptr<const SbmlModel> model;
      double                           scale, minutes;
      mutable std::vector<double>      x_model;
    };
  } // namespace

  void SbmlMapping::declare_parameters(ParameterSchema &prm)
  {
    prm.enter_subsection("Whole body");
    prm.declare_entry("Model", "native", patterns::Selection("native|sbml"),
                      "'native': RadioTwin's PSMA model (docs/physics.md section 4). 'sbml': the "
                      "model of the file 'SBML/File', mapped by the entries of 'SBML' (docs/sbml.md). "
                      "Unit: none. Range: native, sbml.");
    prm.enter_subsection("SBML");
    prm.declare_entry("File", "", patterns::Anything(),
                      "SBML file (Level 2 or 3) of the whole-body model, relative to this parameter "
                      "file's folder. Used when 'Model = sbml'.");
    prm.declare_entry("Time unit", "min", patterns::Selection("s|min|h|day"),
                      "The model's unit of time (its rate constants are per this unit). Unit: none. "
                      "Range: s, min, h, day.");
    prm.declare_entry("Amount unit [nmol]", "1", patterns::Double(1e-30, 1e30),
                      "How many nmol one unit of the model's species amounts is (nmol: 1, umol: "
                      "1000, mol: 1e9). Unit: nmol. Range: 1e-30-1e30.");
    prm.declare_entry("Volume unit [L]", "1", patterns::Double(1e-30, 1e30),
                      "How many litres one unit of the model's compartment sizes is (L: 1, mL: "
                      "0.001). Unit: L. Range: 1e-30-1e30.");
    prm.declare_entry("Hot injection species", "", patterns::Anything(),
                      "Species that receives the hot (radiolabelled) ligand of every injection "
                      "('Whole body/Injection').");
    prm.declare_entry("Cold injection species", "", patterns::Anything(),
                      "Species that receives the cold ligand of every injection (the cold partner "
                      "of the hot injection species); empty: the model has no cold ligand, and "
                      "the injections must give none.");
    prm.declare_entry("Plasma species", "", patterns::Anything(),
                      "Coupled runs: the hot species of the plasma that feeds the meshed lesion's "
                      "blood and the one it drains into ('ARTERIAL, VENOUS'; one name: both). The "
                      "lesion's plasma is a pool of its own, perfused from the first into the "
                      "second, and exchanges with the tissue (docs/physics.md section 5).");
    prm.declare_entry("Hot cold pairs", "", patterns::Anything(),
                      "Comma-separated 'hot:cold' species pairs, one for each place the ligand can "
                      "be ('hot:' alone: no cold partner): the pools whose amounts RadioTwin counts "
                      "(conservation, urine) and decays ('Decay = added'). Hot species named "
                      "elsewhere in the mapping but not here become pools without a cold partner.");
    prm.declare_entry("Tissues", "", patterns::Anything(),
                      "';'-separated organs and lesions, each 'key (MASS kg): species + species "
                      "...' (the mass is optional: without it no dose is reported). The activity of "
                      "a tissue is the sum of its species' hot amounts. Keys of the Radiobiology "
                      "section (kidney, salivary, red_marrow, liver, ...) get their BED; lesions "
                      "the tumour's.");
    prm.declare_entry("Lesion tissues", "", patterns::Anything(),
                      "Comma-separated keys of 'Tissues' that are lesions (the tumour's "
                      "radiobiology; cross-dose to the red marrow).");
    prm.declare_entry("Marrow cross-dose fraction [-]", "0", patterns::Double(0, 1),
                      "Share of the lesions' emitted electron energy absorbed by the tissue "
                      "'red_marrow' (native model: bone lesion fraction x marrow absorbed "
                      "fraction). Unit: none. Range: 0-1.");
    prm.declare_entry("Urine species", "", patterns::Anything(),
                      "Hot species of the urine (its pair's cold counts too): the cumulative "
                      "urinary excretion; empty: not reported.");
    prm.declare_entry("Decay", "in model", patterns::Selection("in model|added"),
                      "'in model': the model's reactions decay hot ligand into cold. 'added': "
                      "RadioTwin decays every pool of 'Hot cold pairs' with the radionuclide's "
                      "constant (hot into its cold partner). Unit: none. Range: in model, added.");
    prm.declare_entry("Export native model", "false", patterns::Selection("true|false"),
                      "radiotwin pbrpk with the native model: also write whole_body.xml (SBML "
                      "Level 3) and whole_body_sbml.prm (runs it with this mapping) to the output "
                      "folder. Unit: none. Range: true, false.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  SbmlMapping::SbmlMapping(ParameterReader &prm, const ParameterFile &file, const WholeBodyModel &body)
  {
    const auto fail = [&](const std::string &name, const std::string &message) { file.fail(section + name, message); };
    prm.enter_subsection("Whole body");
    prm.enter_subsection("SBML");
    const std::string path = file.resolve_path(prm.get("File"));
    if (path.empty())
      fail("File", "'Whole body/Model = sbml' needs an SBML file");
    try
      {
        model = std::make_shared<const SbmlModel>(path);
      }
    catch (const SbmlError &e)
      {
        throw InputError(std::string(e.what()) + " (" + file.locate(section + "File").describe() + ")");
      }
    const std::string time_unit = prm.get("Time unit");
    min_per_model_time     = time_unit == "s" ? 1.0 / 60 : time_unit == "h" ? 60.0 : time_unit == "day" ? 1440.0 : 1.0;
    nmol_per_model_amount  = prm.get_double("Amount unit [nmol]");
    litre_per_model_volume = prm.get_double("Volume unit [L]");

    // Every species named must be a state of the model, and a species (not a parameter).
    const auto check = [&](const std::string &id, const std::string &name) {
      if (!model->is_species(id))
        fail(name, model->filename() + " has no species '" + id + "'");
      if (!model->is_state(id))
        fail(name, "species '" + id + "' of " + model->filename() +
                     " is constant or set by an assignment rule: it has no amount of its own");
      return id;
    };
    hot_injection = trim(prm.get("Hot injection species"));
    if (hot_injection.empty())
      fail("Hot injection species", "the species that receives the injections is not given");
    check(hot_injection, "Hot injection species");
    cold_injection = trim(prm.get("Cold injection species"));
    if (!cold_injection.empty())
      check(cold_injection, "Cold injection species");
    else if (body.injected_cold_nmol() > 0)
      fail("Cold injection species", "the injections give cold ligand, but no species receives it");
    const auto plasma = species_list(prm.get("Plasma species"));
    if (plasma.size() > 2)
      fail("Plasma species", "at most two species: 'ARTERIAL, VENOUS'");
    if (!plasma.empty())
      {
        arterial_plasma = check(plasma.front(), "Plasma species");
        venous_plasma   = check(plasma.back(), "Plasma species");
      }
    urine = trim(prm.get("Urine species"));
    if (!urine.empty())
      check(urine, "Urine species");

    std::set<std::string> paired;
    for (const auto &pair : split_list(prm.get("Hot cold pairs"), ","))
      {
        const auto colon = pair.find(':');
        if (colon == std::string::npos)
          fail("Hot cold pairs", "'" + pair + "' is not 'hot:cold' (or 'hot:')");
        const std::string h = check(trim(pair.substr(0, colon)), "Hot cold pairs");
        const std::string c = trim(pair.substr(colon + 1));
        if (!c.empty())
          check(c, "Hot cold pairs");
        for (const auto &id : {h, c})
          if (!id.empty() && !paired.insert(id).second)
            fail("Hot cold pairs", "species '" + id + "' is in two pairs");
        pairs.emplace_back(h, c);
      }
    // The injections go to one pool: the hot injection species and its cold partner.
    const auto injection_pair = std::find_if(pairs.begin(), pairs.end(), [&](const auto &p) { return p.first == hot_injection; });
    if (injection_pair == pairs.end())
      {
        if (paired.count(cold_injection))
          fail("Cold injection species", "'" + cold_injection + "' is paired with another hot species than '" +
                                           hot_injection + "'");
        pairs.emplace_back(hot_injection, cold_injection);
      }
    else if (injection_pair->second != cold_injection)
      fail("Cold injection species", "'" + cold_injection + "' is not the cold partner of '" + hot_injection +
                                       "' in 'Hot cold pairs' ('" + injection_pair->second + "')");
    decay_added = prm.get("Decay") == "added";

    // Tissues: 'key (MASS kg): a + b; key2: c'.
    for (const auto &item : split_list(prm.get("Tissues"), ";"))
      {
        const auto colon = item.find(':');
        if (colon == std::string::npos)
          fail("Tissues", "'" + item + "' is not 'key (MASS kg): species + species'");
        std::string head = trim(item.substr(0, colon));
        Tissue      t;
        if (const auto open = head.find('('); open != std::string::npos)
          {
            const auto         close = head.find(')', open);
            std::istringstream in(close == std::string::npos ? "" : head.substr(open + 1, close - open - 1));
            std::string        unit;
            if (!(in >> t.mass_kg >> unit) || unit != "kg" || !(t.mass_kg > 0))
              fail("Tissues", "the mass in '" + head + "' is not '(MASS kg)' with MASS > 0");
            head = trim(head.substr(0, open));
          }
        t.key = head;
        if (t.key.empty() || std::any_of(tissues.begin(), tissues.end(), [&](const Tissue &o) { return o.key == t.key; }))
          fail("Tissues", "empty or repeated tissue key in '" + item + "'");
        for (const auto &id : species_list(item.substr(colon + 1)))
          t.species.push_back(check(id, "Tissues"));
        if (t.species.empty())
          fail("Tissues", "tissue '" + t.key + "' has no species");
        tissues.push_back(t);
      }
    if (tissues.empty())
      fail("Tissues", "no tissue is mapped: the outputs need at least one 'key: species'");
    for (const auto &k : split_list(prm.get("Lesion tissues"), ","))
      {
        if (std::none_of(tissues.begin(), tissues.end(), [&](const Tissue &t) { return t.key == k; }))
          fail("Lesion tissues", "'" + k + "' is not a key of 'Tissues'");
        lesions.insert(k);
      }
    marrow_cross_fraction = prm.get_double("Marrow cross-dose fraction [-]");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void WholeBodyModel::build_imported()
  {
    const SbmlMapping &m     = *imported;
    const SbmlModel &  model = *m.model;
    net = CompartmentNetwork();
    tissue_list.clear();
    coupled_indices = CoupledLesionIndices();
    constexpr unsigned int none = static_cast<unsigned int>(-1);
    imported_state_of_variable.assign(model.n_states(), none);

    // Pools: the hot-cold pairs, then the other hot species the mapping names.
    std::map<std::string, unsigned int> pool_of;
    const auto add_pair = [&](const std::string &hot, const std::string &cold) {
      const unsigned int p = net.add_pool(hot, model.compartment_size(hot) * m.litre_per_model_volume);
      pool_of[hot]         = p;
      imported_state_of_variable[model.state_index(hot, "")] = net.amount(p, CompartmentNetwork::hot);
      if (!cold.empty())
        imported_state_of_variable[model.state_index(cold, "")] = net.amount(p, CompartmentNetwork::cold);
      return p;
    };
    const auto pool = [&](const std::string &hot) {
      const auto it = pool_of.find(hot);
      return it != pool_of.end() ? it->second : add_pair(hot, "");
    };
    for (const auto &[hot, cold] : m.pairs)
      add_pair(hot, cold);
    vein      = pool(m.hot_injection);
    if (!m.urine.empty())
      urine = pool(m.urine);
    std::vector<Tissue> organs;
    for (const auto &mt : m.tissues)
      {
        Tissue t;
        t.key     = mt.key;
        t.mass_kg = mt.mass_kg;
        for (const auto &id : mt.species)
          if (const unsigned int p = pool(id); std::find(t.pools.begin(), t.pools.end(), p) == t.pools.end())
            t.pools.push_back(p);
        organs.push_back(t);
      }
    // The coupled (meshed) lesion's plasma, as in the native model: perfused from the
    // arterial plasma species into the venous one.
    if (coupled_lesion)
      {
        if (m.arterial_plasma.empty())
          throw InputError("parameter '" + section + "Plasma species': a coupled run needs the plasma species "
                           "that feed and drain the meshed lesion's blood");
        art                    = pool(m.arterial_plasma);
        const unsigned int out = pool(m.venous_plasma);
        const double       V = coupled_lesion->volume_L, Vvas = 0.05 * (1 - hct) * V;
        const double       Q = coupled_lesion->perfusion_per_min * V;
        Tissue             t;
        t.key                  = coupled_lesion->name;
        const unsigned int vas = net.add_pool(t.key + ".vascular", Vvas);
        net.add_transfer(art, vas, Q / net.pool_volume(art));
        net.add_transfer(vas, out, Q / Vvas);
        t.pools                           = {vas};
        coupled_indices.vascular          = vas;
        coupled_indices.vascular_volume_L = Vvas;
        for (unsigned int sp = 0; sp < 2; ++sp)
          for (unsigned int sp2 = 0; sp2 < 2; ++sp2)
            coupled_indices.uptake_flux[sp][sp2] = net.add_linear_flux(vas, sp2, vas, sp, 0.0);
        organs.push_back(t);
      }
    // What the meshed lesion's cells release (degraded ligand) leaves the body: a sink of
    // RadioTwin's, as the native model's 'released' pool.
    if (coupled_lesion)
      released = net.add_pool("radiotwin.released", 0);
    // The model's other variables.
    unsigned int n_extra = 0;
    for (const unsigned int s : imported_state_of_variable)
      n_extra += s == none;
    unsigned int next = net.add_extra_states(n_extra);
    for (auto &s : imported_state_of_variable)
      if (s == none)
        s = next++;
    net.set_imported_kinetics(std::make_shared<SbmlKinetics>(m.model, m.nmol_per_model_amount, m.min_per_model_time),
                              imported_state_of_variable);
    // Decay: RadioTwin's in every pool ('added'), else only in the pools that are not the
    // model's (the coupled lesion's plasma, the released-ligand sink).
    net.set_decay(lambda);
    if (!m.decay_added)
      for (const auto &[id, p] : pool_of)
        net.exclude_from_decay(p);

    std::vector<unsigned int> lesion_all_pools;
    std::set<std::string>     lesion_keys = m.lesions;
    for (const auto &t : organs)
      if (m.is_lesion(t.key) || (coupled_lesion && t.key == coupled_lesion->name))
        lesion_all_pools.insert(lesion_all_pools.end(), t.pools.begin(), t.pools.end());
    tissue_list = organs;
    add_accumulators(lesion_all_pools, lesion_keys, m.marrow_cross_fraction);
  }

  void WholeBodyModel::imported_initial_state(std::vector<double> &y, ProtocolTargets &targets) const
  {
    const SbmlMapping &m  = *imported;
    const auto         y0 = m.model->initial_state();
    for (std::size_t k = 0; k < y0.size(); ++k)
      y[imported_state_of_variable[k]] = y0[k] * m.nmol_per_model_amount;
    for (const auto &e : m.model->timed_events())
      targets.event_times_h.push_back(std::max(0.0, e.time * m.min_per_model_time / 60.0));
    targets.apply_event = [this](const std::size_t k, std::vector<double> &state) {
      const SbmlMapping & mapping = *imported;
      std::vector<double> x(imported_state_of_variable.size());
      for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = state[imported_state_of_variable[i]] / mapping.nmol_per_model_amount;
      mapping.model->apply_event(k, x);
      for (std::size_t i = 0; i < x.size(); ++i)
        state[imported_state_of_variable[i]] = x[i] * mapping.nmol_per_model_amount;
    };
  }

  bool WholeBodyModel::has_urine() const { return !imported || !imported->urine.empty(); }
  bool WholeBodyModel::decay_counted() const { return !imported || imported->decay_added; }

  unsigned int WholeBodyModel::sbml_state(const std::string &sbml_id) const
  {
    return imported_state_of_variable.at(imported->model->state_index(sbml_id, "sbml_state"));
  }

  std::string WholeBodyModel::describe_imported() const
  {
    const SbmlModel &  model = *imported->model;
    std::ostringstream s;
    s << "SBML: " << model.filename() << " (model '" << model.id() << "', " << model.n_species() << " species, "
      << model.n_reactions() << " reactions, " << model.timed_events().size() << " timed events; decay "
      << (imported->decay_added ? "added by RadioTwin" : "in the model") << ")";
    return s.str();
  }

  // ------------------------------------------------------------------------------ export

  namespace
  {
    /// An SBML identifier from a pool name: letters, digits and '_', not starting with a digit.
    std::string sbml_id(const std::string &name)
    {
      std::string id;
      for (const char c : name)
        id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
        id = "p_" + id;
      return id;
    }

    /// The shortest decimal that reads back as @p v.
    std::string number(const double v)
    {
      char       buffer[64];
      const auto end = std::to_chars(buffer, buffer + sizeof(buffer), v).ptr;
      return std::string(buffer, end);
    }

    void set_math(KineticLaw *law, const std::string &formula, const std::string &what)
    {
      ASTNode *math = SBML_parseL3Formula(formula.c_str());
      if (math == nullptr)
        throw std::logic_error("SBML export: cannot parse the law of " + what + ": " + formula);
      law->setMath(math);
      delete math;
    }
  } // namespace

  void export_sbml(const WholeBodyModel &body, const std::string &xml_path, const std::string &prm_path,
                   const std::string &parameters_text)
  {
    const CompartmentNetwork &net = body.network();
    if (net.has_external_coupling())
      throw std::logic_error("SBML export: the network has coupling fluxes (a coupled run)");
    SBMLDocument document(3, 1);
    Model *      model = document.createModel();
    model->setId("radiotwin_whole_body");
    model->setName("RadioTwin whole-body PBRPK model of 177Lu-PSMA (exported by RadioTwin " + version_string() + ")");
    // Units: nmol, L, min.
    const auto unit = [&](const std::string &id, UnitKind_t kind, int scale, double multiplier) {
      UnitDefinition *u = model->createUnitDefinition();
      u->setId(id);
      Unit *x = u->createUnit();
      x->setKind(kind);
      x->setExponent(1);
      x->setScale(scale);
      x->setMultiplier(multiplier);
    };
    unit("nmol", UNIT_KIND_MOLE, -9, 1);
    unit("min", UNIT_KIND_SECOND, 0, 60);
    model->setSubstanceUnits("nmol");
    model->setExtentUnits("nmol");
    model->setTimeUnits("min");
    model->setVolumeUnits("litre");

    // One compartment per pool; hot and cold ligand as amounts in it.
    std::vector<std::string> pool_id;
    std::set<std::string>    used;
    for (unsigned int p = 0; p < net.n_pools(); ++p)
      {
        std::string id = sbml_id(net.pool_name(p));
        while (used.count(id))
          id += "_";
        used.insert(id);
        pool_id.push_back(id);
        Compartment *c = model->createCompartment();
        c->setId(id);
        c->setName(net.pool_name(p));
        c->setSpatialDimensions(3.0);
        // Sinks (urine, released ligand) have no volume: size 1 L is nominal, nothing reads it.
        c->setSize(net.pool_volume(p) > 0 ? net.pool_volume(p) : 1.0);
        c->setConstant(true);
        for (const char *s : {"hot", "cold"})
          {
            Species *sp = model->createSpecies();
            sp->setId(id + "_" + s);
            sp->setName(net.pool_name(p) + " (" + s + " ligand)");
            sp->setCompartment(id);
            sp->setInitialAmount(0);
            sp->setHasOnlySubstanceUnits(true);
            sp->setBoundaryCondition(false);
            sp->setConstant(false);
          }
      }
    unsigned int n_parameters = 0;
    const auto   parameter = [&](const std::string &prefix, const double value) {
      Parameter *p = model->createParameter();
      p->setId(prefix + std::to_string(++n_parameters));
      p->setValue(value);
      p->setConstant(true);
      return p->getId();
    };
    unsigned int n_reactions = 0;
    const auto   reaction = [&](const std::string &from, const std::string &to, const std::string &formula,
                              const std::string &name) {
      Reaction *r = model->createReaction();
      r->setId("R" + std::to_string(++n_reactions));
      r->setName(name);
      r->setReversible(false);
      r->setFast(false);
      SpeciesReference *a = r->createReactant();
      a->setSpecies(from);
      a->setStoichiometry(1);
      a->setConstant(true);
      SpeciesReference *b = r->createProduct();
      b->setSpecies(to);
      b->setStoichiometry(1);
      b->setConstant(true);
      set_math(r->createKineticLaw(), formula, r->getId());
    };
    for (const auto &t : net.transfer_list())
      {
        const std::string k = parameter("k_transfer_", t.k);
        for (const char *s : {"_hot", "_cold"})
          reaction(pool_id[t.from] + s, pool_id[t.to] + s, k + " * " + pool_id[t.from] + s,
                   "transfer " + net.pool_name(t.from) + " -> " + net.pool_name(t.to) + " [1/min]");
      }
    for (const auto &b : net.binding_list())
      {
        const std::string R0 = parameter("receptors_nmol_", b.receptors), kon = parameter("k_on_", b.k_on),
                          koff = parameter("k_off_", b.k_off);
        const std::string &f = pool_id[b.free_pool], &bd = pool_id[b.bound_pool];
        for (const char *s : {"_hot", "_cold"})
          reaction(f + s, bd + s,
                   kon + " * " + f + s + " / " + f + " * (" + R0 + " - " + bd + "_hot - " + bd + "_cold) - " + koff +
                     " * " + bd + s,
                   "binding in " + net.pool_name(b.free_pool) + " (k_on c R_free - k_off A_bound)");
      }
    if (net.decay_constant_per_min() > 0)
      {
        Parameter *lambda = model->createParameter();
        lambda->setId("lambda_decay");
        lambda->setName("physical decay constant [1/min]");
        lambda->setValue(net.decay_constant_per_min());
        lambda->setConstant(true);
        for (unsigned int p = 0; p < net.n_pools(); ++p)
          reaction(pool_id[p] + "_hot", pool_id[p] + "_cold", "lambda_decay * " + pool_id[p] + "_hot",
                   "decay in " + net.pool_name(p));
      }

    // libsbml's own check of what it is given (required attributes, identifiers, math).
    if (document.checkInternalConsistency() > 0)
      for (unsigned int i = 0; i < document.getNumErrors(); ++i)
        if (document.getError(i)->getSeverity() >= LIBSBML_SEV_ERROR)
          throw std::logic_error("SBML export: " + document.getError(i)->getMessage());
    SBMLWriter writer;
    std::unique_ptr<char, void (*)(void *)> text(writer.writeSBMLToString(&document), std::free);
    if (!text)
      throw std::runtime_error("SBML export: libsbml wrote nothing");
    write_file_atomically(xml_path, text.get());

    // The mapping: injections into the venous plasma, each tissue's hot species and mass.
    std::ostringstream tissues;
    for (const auto &t : body.tissues())
      {
        tissues << (tissues.tellp() > 0 ? "; " : "") << t.key;
        if (t.mass_kg > 0 && t.dose_tracker >= 0)
          tissues << " (" << number(t.mass_kg) << " kg)";
        tissues << ":";
        for (std::size_t i = 0; i < t.pools.size(); ++i)
          tissues << (i ? " + " : " ") << pool_id[t.pools[i]] << "_hot";
      }
    std::ostringstream pairs;
    for (unsigned int p = 0; p < net.n_pools(); ++p)
      pairs << (p ? ", " : "") << pool_id[p] << "_hot:" << pool_id[p] << "_cold";
    std::string lesions;
    for (const auto &t : body.tissues())
      if (body.is_lesion(t.key))
        lesions += (lesions.empty() ? "" : ", ") + t.key;
    const std::string urine = pool_id[body.urine_pool()];
    const std::string xml_name = xml_path.substr(xml_path.find_last_of('/') + 1);
    const std::string prm_dir  = prm_path.substr(0, prm_path.find_last_of('/') + 1);
    std::ostringstream prm;
    prm << parameters_text << "\n"
        << "# RadioTwin " << version_string() << ": the native whole-body model above, exported to "
        << xml_name << ".\n# This block runs the exported model with the same patient, protocol and "
        << "dosimetry (radiotwin pbrpk THIS_FILE).\n"
        << "subsection Whole body\n  set Model = sbml\n  subsection SBML\n"
        << "    set File = " << xml_name << "\n    set Time unit = min\n    set Amount unit [nmol] = 1\n"
        << "    set Hot injection species = " << pool_id[body.vein_pool()] << "_hot\n"
        << "    set Cold injection species = " << pool_id[body.vein_pool()] << "_cold\n"
        << "    set Plasma species = " << pool_id[body.arterial_pool()] << "_hot, " << pool_id[body.vein_pool()]
        << "_hot\n"
        << "    set Tissues = " << tissues.str() << "\n    set Lesion tissues = " << lesions << "\n"
        << "    set Marrow cross-dose fraction [-] = " << number(body.marrow_cross_dose_fraction()) << "\n"
        << "    set Urine species = " << urine << "_hot\n"
        << "    set Decay = in model\n    set Hot cold pairs = " << pairs.str() << "\n    set Export native model = false\n"
        << "  end\nend\nsubsection Output\n  set Directory = " << prm_dir << "sbml_run\nend\n";
    write_file_atomically(prm_path, prm.str());
  }
} // namespace radiotwin
