// RadioTwin: SBML models compiled into an ODE right-hand side (sbml_model.h). The MathML
// of every rule and kinetic law is compiled once into a small expression tree over one
// array of symbol values (compartment sizes, species as the math sees them, parameters,
// local parameters); function definitions are inlined at compile time.
#include "coupling/sbml_model.h"

#include <sbml/SBMLTypes.h>
#include <sbml/extension/SBasePlugin.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

namespace radiotwin
{
  namespace
  {
    /// A compiled MathML expression.
    struct Expr
    {
      enum class Op
      {
        constant,
        symbol,
        time,
        plus,
        times,
        minus,
        negate,
        divide,
        power,
        function, ///< f(args[0]) through fn
        log_base, ///< log_{args[0]} args[1]
        root,     ///< args[1]^(1/args[0])
        max,
        min,
        piecewise, ///< value, condition, value, condition, ..., [otherwise]
        lt,
        gt,
        leq,
        geq,
        eq,
        neq,
        logical_and,
        logical_or,
        logical_xor,
        logical_not
      };
      Op                 op    = Op::constant;
      double             value = 0;
      unsigned int       slot  = 0;
      double (*fn)(double) = nullptr;
      std::vector<Expr>  args;

      double eval(const std::vector<double> &v, const double t) const
      {
        switch (op)
          {
            case Op::constant:
              return value;
            case Op::symbol:
              return v[slot];
            case Op::time:
              return t;
            case Op::plus: {
              double s = 0;
              for (const auto &a : args)
                s += a.eval(v, t);
              return s;
            }
            case Op::times: {
              double p = 1;
              for (const auto &a : args)
                p *= a.eval(v, t);
              return p;
            }
            case Op::minus:
              return args[0].eval(v, t) - args[1].eval(v, t);
            case Op::negate:
              return -args[0].eval(v, t);
            case Op::divide:
              return args[0].eval(v, t) / args[1].eval(v, t);
            case Op::power:
              return std::pow(args[0].eval(v, t), args[1].eval(v, t));
            case Op::function:
              return fn(args[0].eval(v, t));
            case Op::log_base:
              return std::log(args[1].eval(v, t)) / std::log(args[0].eval(v, t));
            case Op::root:
              return std::pow(args[1].eval(v, t), 1.0 / args[0].eval(v, t));
            case Op::max: {
              double m = -std::numeric_limits<double>::infinity();
              for (const auto &a : args)
                m = std::max(m, a.eval(v, t));
              return m;
            }
            case Op::min: {
              double m = std::numeric_limits<double>::infinity();
              for (const auto &a : args)
                m = std::min(m, a.eval(v, t));
              return m;
            }
            case Op::piecewise: {
              std::size_t k = 0;
              for (; k + 1 < args.size(); k += 2)
                if (args[k + 1].eval(v, t) != 0)
                  return args[k].eval(v, t);
              return k < args.size() ? args[k].eval(v, t) : std::numeric_limits<double>::quiet_NaN();
            }
            case Op::lt:
              return args[0].eval(v, t) < args[1].eval(v, t);
            case Op::gt:
              return args[0].eval(v, t) > args[1].eval(v, t);
            case Op::leq:
              return args[0].eval(v, t) <= args[1].eval(v, t);
            case Op::geq:
              return args[0].eval(v, t) >= args[1].eval(v, t);
            case Op::eq:
              return args[0].eval(v, t) == args[1].eval(v, t);
            case Op::neq:
              return args[0].eval(v, t) != args[1].eval(v, t);
            case Op::logical_and: {
              for (const auto &a : args)
                if (a.eval(v, t) == 0)
                  return 0;
              return 1;
            }
            case Op::logical_or: {
              for (const auto &a : args)
                if (a.eval(v, t) != 0)
                  return 1;
              return 0;
            }
            case Op::logical_xor: {
              bool r = false;
              for (const auto &a : args)
                r = r != (a.eval(v, t) != 0);
              return r;
            }
            case Op::logical_not:
              return args[0].eval(v, t) == 0;
          }
        return 0;
      }

      void collect_symbols(std::set<unsigned int> &out) const
      {
        if (op == Op::symbol)
          out.insert(slot);
        for (const auto &a : args)
          a.collect_symbols(out);
      }
    };

    double sec(double x) { return 1 / std::cos(x); }
    double csc(double x) { return 1 / std::sin(x); }
    double cot(double x) { return 1 / std::tan(x); }
    double sech(double x) { return 1 / std::cosh(x); }
    double csch(double x) { return 1 / std::sinh(x); }
    double coth(double x) { return 1 / std::tanh(x); }
    double arcsec(double x) { return std::acos(1 / x); }
    double arccsc(double x) { return std::asin(1 / x); }
    double arccot(double x) { return std::atan(1 / x); }
    double arcsech(double x) { return std::acosh(1 / x); }
    double arccsch(double x) { return std::asinh(1 / x); }
    double arccoth(double x) { return std::atanh(1 / x); }
    double factorial(double x) { return std::tgamma(x + 1); }
    double sbml_abs(double x) { return std::fabs(x); }
    double sbml_exp(double x) { return std::exp(x); }
    double sbml_ln(double x) { return std::log(x); }
    double sbml_floor(double x) { return std::floor(x); }
    double sbml_ceil(double x) { return std::ceil(x); }

    const std::map<int, double (*)(double)> &unary_functions()
    {
      static const std::map<int, double (*)(double)> table = {
        {AST_FUNCTION_ABS, sbml_abs},
        {AST_FUNCTION_EXP, sbml_exp},
        {AST_FUNCTION_LN, sbml_ln},
        {AST_FUNCTION_FLOOR, sbml_floor},
        {AST_FUNCTION_CEILING, sbml_ceil},
        {AST_FUNCTION_FACTORIAL, factorial},
        {AST_FUNCTION_SIN, static_cast<double (*)(double)>(std::sin)},
        {AST_FUNCTION_COS, static_cast<double (*)(double)>(std::cos)},
        {AST_FUNCTION_TAN, static_cast<double (*)(double)>(std::tan)},
        {AST_FUNCTION_SEC, sec},
        {AST_FUNCTION_CSC, csc},
        {AST_FUNCTION_COT, cot},
        {AST_FUNCTION_SINH, static_cast<double (*)(double)>(std::sinh)},
        {AST_FUNCTION_COSH, static_cast<double (*)(double)>(std::cosh)},
        {AST_FUNCTION_TANH, static_cast<double (*)(double)>(std::tanh)},
        {AST_FUNCTION_SECH, sech},
        {AST_FUNCTION_CSCH, csch},
        {AST_FUNCTION_COTH, coth},
        {AST_FUNCTION_ARCSIN, static_cast<double (*)(double)>(std::asin)},
        {AST_FUNCTION_ARCCOS, static_cast<double (*)(double)>(std::acos)},
        {AST_FUNCTION_ARCTAN, static_cast<double (*)(double)>(std::atan)},
        {AST_FUNCTION_ARCSEC, arcsec},
        {AST_FUNCTION_ARCCSC, arccsc},
        {AST_FUNCTION_ARCCOT, arccot},
        {AST_FUNCTION_ARCSINH, static_cast<double (*)(double)>(std::asinh)},
        {AST_FUNCTION_ARCCOSH, static_cast<double (*)(double)>(std::acosh)},
        {AST_FUNCTION_ARCTANH, static_cast<double (*)(double)>(std::atanh)},
        {AST_FUNCTION_ARCSECH, arcsech},
        {AST_FUNCTION_ARCCSCH, arccsch},
        {AST_FUNCTION_ARCCOTH, arccoth}};
      return table;
    }
  } // namespace

  struct SbmlModel::Impl
  {
    std::string file, model_id;

    // Symbols: every compartment, species, parameter and local parameter has a slot in
    // 'values' (species: the value the math sees, concentration or amount).
    std::map<std::string, unsigned int> global_slots;
    mutable std::vector<double>         values;

    struct SpeciesInfo
    {
      std::string  id;
      unsigned int slot = 0, compartment_slot = 0;
      bool         amount_in_math = false; ///< hasOnlySubstanceUnits
      int          state          = -1;    ///< state index of its amount, or -1
    };
    std::vector<SpeciesInfo>            species;
    std::map<std::string, unsigned int> species_of_id;

    // State: amounts of species, then rate-rule parameters (and event-only targets).
    std::vector<std::string>  state_ids;
    std::vector<unsigned int> state_slot;    ///< symbol slot of each state
    std::vector<int>          state_species; ///< species index or -1 (a parameter)

    struct Assignment
    {
      unsigned int slot;
      Expr         math;
      std::string  what;
    };
    std::vector<Assignment> assignment_rules; ///< in evaluation order
    struct RateRule
    {
      unsigned int state;
      Expr         math;
    };
    std::vector<RateRule> rate_rules;
    struct CompiledReaction
    {
      std::string                               id;
      Expr                                      rate;
      std::vector<std::pair<unsigned int, double>> changes; ///< state, stoichiometry
    };
    std::vector<CompiledReaction> reactions;
    struct CompiledEvent
    {
      TimedEvent              timing;
      std::vector<Assignment> assignments;
    };
    std::vector<CompiledEvent> events;
    std::vector<TimedEvent> timings;
    std::vector<double>     initial;
    unsigned int            n_species_total = 0;
    std::vector<std::vector<unsigned int>> state_dependents;

    /// The Jacobian's pattern: which states each state's derivative reads.
    void find_dependencies()
    {
      std::map<unsigned int, std::set<unsigned int>> states_of_slot;
      for (std::size_t k = 0; k < state_slot.size(); ++k)
        states_of_slot[state_slot[k]].insert(k);
      const auto states_read = [&](const Expr &e) {
        std::set<unsigned int> slots, out;
        e.collect_symbols(slots);
        for (const unsigned int sl : slots)
          if (const auto it = states_of_slot.find(sl); it != states_of_slot.end())
            out.insert(it->second.begin(), it->second.end());
        return out;
      };
      for (const auto &r : assignment_rules) // in evaluation order: what they read is known
        states_of_slot[r.slot] = states_read(r.math);
      std::vector<std::set<unsigned int>> deps(state_ids.size());
      for (const auto &r : reactions)
        {
          const auto read = states_read(r.rate);
          for (const auto &[i, stoichiometry] : r.changes)
            for (const unsigned int j : read)
              deps[j].insert(i);
        }
      for (const auto &r : rate_rules)
        for (const unsigned int j : states_read(r.math))
          deps[j].insert(r.state);
      state_dependents.clear();
      for (const auto &d : deps)
        state_dependents.emplace_back(d.begin(), d.end());
    }

    [[noreturn]] void fail(const std::string &where, const std::string &message) const
    {
      throw SbmlError(file + ": " + where + ": " + message);
    }

    // ---------------------------------------------------------------- compilation
    using Scope = std::map<std::string, Expr>; ///< local parameters, lambda arguments
    const Model *model = nullptr;

    Expr compile(const ASTNode *node, const Scope &scope, const std::string &where, int depth = 0) const
    {
      if (node == nullptr)
        fail(where, "no math");
      if (depth > 200)
        fail(where, "function definitions nested too deeply (recursive?)");
      Expr e;
      const auto type = node->getType();
      const auto children = [&](const Scope &s) {
        std::vector<Expr> out;
        for (unsigned int i = 0; i < node->getNumChildren(); ++i)
          out.push_back(compile(node->getChild(i), s, where, depth + 1));
        return out;
      };
      const auto want_children = [&](unsigned int n) {
        if (node->getNumChildren() != n)
          fail(where, std::string("'") + (node->getName() ? node->getName() : "operator") + "' needs " +
                        std::to_string(n) + " argument(s), has " + std::to_string(node->getNumChildren()));
      };
      using Op = Expr::Op;
      switch (type)
        {
          case AST_INTEGER:
          case AST_REAL:
          case AST_REAL_E:
          case AST_RATIONAL:
            e.value = node->getValue();
            return e;
          case AST_CONSTANT_E:
            e.value = std::exp(1.0);
            return e;
          case AST_CONSTANT_PI:
            e.value = M_PI;
            return e;
          case AST_CONSTANT_TRUE:
            e.value = 1;
            return e;
          case AST_CONSTANT_FALSE:
            e.value = 0;
            return e;
          case AST_NAME_AVOGADRO:
            e.value = 6.02214076e23;
            return e;
          case AST_NAME_TIME:
            e.op = Op::time;
            return e;
          case AST_NAME: {
            const std::string name = node->getName();
            if (const auto s = scope.find(name); s != scope.end())
              return s->second;
            if (const auto g = global_slots.find(name); g != global_slots.end())
              {
                e.op   = Op::symbol;
                e.slot = g->second;
                return e;
              }
            if (model->getReaction(name) != nullptr)
              fail(where, "'" + name + "' is a reaction: reaction rates in math are not supported");
            fail(where, "unknown symbol '" + name + "' (no species, compartment or parameter of that id)");
          }
          case AST_PLUS:
          case AST_TIMES:
            e.op   = type == AST_PLUS ? Op::plus : Op::times;
            e.args = children(scope);
            if (e.args.empty())
              e = Expr{Op::constant, type == AST_PLUS ? 0.0 : 1.0, 0, nullptr, {}};
            return e;
          case AST_MINUS:
            e.args = children(scope);
            if (e.args.size() == 1)
              e.op = Op::negate;
            else if (e.args.size() == 2)
              e.op = Op::minus;
            else
              fail(where, "minus with " + std::to_string(e.args.size()) + " arguments");
            return e;
          case AST_DIVIDE:
            want_children(2);
            e.op   = Op::divide;
            e.args = children(scope);
            return e;
          case AST_POWER:
          case AST_FUNCTION_POWER:
            want_children(2);
            e.op   = Op::power;
            e.args = children(scope);
            return e;
          case AST_FUNCTION_LOG:
            e.args = children(scope);
            if (e.args.size() == 1) // log10
              e.args.insert(e.args.begin(), Expr{Op::constant, 10.0, 0, nullptr, {}});
            if (e.args.size() != 2)
              fail(where, "log needs a base and an argument");
            e.op = Op::log_base;
            return e;
          case AST_FUNCTION_ROOT:
            e.args = children(scope);
            if (e.args.size() == 1)
              e.args.insert(e.args.begin(), Expr{Op::constant, 2.0, 0, nullptr, {}});
            if (e.args.size() != 2)
              fail(where, "root needs a degree and an argument");
            e.op = Op::root;
            return e;
          case AST_FUNCTION_MAX:
          case AST_FUNCTION_MIN:
            e.op   = type == AST_FUNCTION_MAX ? Op::max : Op::min;
            e.args = children(scope);
            return e;
          case AST_FUNCTION_PIECEWISE:
            e.op   = Op::piecewise;
            e.args = children(scope);
            return e;
          case AST_RELATIONAL_LT:
          case AST_RELATIONAL_GT:
          case AST_RELATIONAL_LEQ:
          case AST_RELATIONAL_GEQ:
          case AST_RELATIONAL_EQ:
          case AST_RELATIONAL_NEQ:
            want_children(2);
            e.op = type == AST_RELATIONAL_LT  ? Op::lt :
                   type == AST_RELATIONAL_GT  ? Op::gt :
                   type == AST_RELATIONAL_LEQ ? Op::leq :
                   type == AST_RELATIONAL_GEQ ? Op::geq :
                   type == AST_RELATIONAL_EQ  ? Op::eq :
                                                Op::neq;
            e.args = children(scope);
            return e;
          case AST_LOGICAL_AND:
          case AST_LOGICAL_OR:
          case AST_LOGICAL_XOR:
            e.op   = type == AST_LOGICAL_AND ? Op::logical_and : type == AST_LOGICAL_OR ? Op::logical_or : Op::logical_xor;
            e.args = children(scope);
            return e;
          case AST_LOGICAL_NOT:
            want_children(1);
            e.op   = Op::logical_not;
            e.args = children(scope);
            return e;
          case AST_FUNCTION: {
            const std::string          name = node->getName();
            const FunctionDefinition *fd   = model->getFunctionDefinition(name);
            if (fd == nullptr || fd->getBody() == nullptr)
              fail(where, "call of '" + name + "', which is no function definition of the model");
            if (fd->getNumArguments() != node->getNumChildren())
              fail(where, "function '" + name + "' takes " + std::to_string(fd->getNumArguments()) +
                            " argument(s), called with " + std::to_string(node->getNumChildren()));
            // Arguments are compiled in the caller's scope; the body sees only them.
            Scope inner;
            for (unsigned int i = 0; i < fd->getNumArguments(); ++i)
              inner[fd->getArgument(i)->getName()] = compile(node->getChild(i), scope, where, depth + 1);
            return compile(fd->getBody(), inner, where + " (in function '" + name + "')", depth + 1);
          }
          case AST_FUNCTION_DELAY:
            fail(where, "delay() is not supported");
          case AST_FUNCTION_RATE_OF:
            fail(where, "rateOf() is not supported");
          default:
            break;
        }
      if (const auto f = unary_functions().find(type); f != unary_functions().end())
        {
          want_children(1);
          e.op   = Op::function;
          e.fn   = f->second;
          e.args = children(scope);
          return e;
        }
      fail(where, std::string("unsupported MathML construct '") +
                    (node->getName() ? node->getName() : std::to_string(static_cast<int>(type))) + "'");
    }

    /// Order @p items so that each comes after those whose slot it reads.
    std::vector<Assignment> sorted(std::vector<Assignment> items, const std::string &kind) const
    {
      std::map<unsigned int, std::size_t> item_of_slot;
      for (std::size_t i = 0; i < items.size(); ++i)
        item_of_slot[items[i].slot] = i;
      std::vector<int>         mark(items.size(), 0); // 0 new, 1 visiting, 2 done
      std::vector<Assignment>  out;
      std::function<void(std::size_t)> visit = [&](const std::size_t i) {
        if (mark[i] == 2)
          return;
        if (mark[i] == 1)
          fail(items[i].what, kind + " depend on each other in a cycle");
        mark[i] = 1;
        std::set<unsigned int> deps;
        items[i].math.collect_symbols(deps);
        for (const unsigned int d : deps)
          if (const auto j = item_of_slot.find(d); j != item_of_slot.end())
            visit(j->second);
        mark[i] = 2;
        out.push_back(items[i]);
      };
      for (std::size_t i = 0; i < items.size(); ++i)
        visit(i);
      return out;
    }

    // ---------------------------------------------------------------- evaluation
    /// Symbol values at time t for state y: state species and parameters, then the rules.
    void fill_values(const double t, const double *y) const
    {
      for (std::size_t k = 0; k < state_slot.size(); ++k)
        {
          const int s = state_species[k];
          values[state_slot[k]] =
            s >= 0 && !species[s].amount_in_math ? y[k] / values[species[s].compartment_slot] : y[k];
        }
      for (const auto &r : assignment_rules)
        values[r.slot] = r.math.eval(values, t);
    }

    /// Amount of a species from its math value (concentration or amount).
    double amount_of(const SpeciesInfo &s, const double math_value) const
    {
      return s.amount_in_math ? math_value : math_value * values[s.compartment_slot];
    }

    void read(const std::string &filename);
  };

  void SbmlModel::Impl::read(const std::string &filename)
  {
    file = filename;
    SBMLReader                    reader;
    std::unique_ptr<SBMLDocument> doc(reader.readSBMLFromFile(filename));
    for (unsigned int i = 0; i < doc->getNumErrors(); ++i)
      {
        const SBMLError *err = doc->getError(i);
        if (err->getSeverity() >= LIBSBML_SEV_ERROR)
          {
            std::string message = err->getMessage();
            while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
              message.pop_back();
            for (auto &c : message)
              if (c == '\n')
                c = ' ';
            if (err->getErrorId() == XMLFileUnreadable || err->getErrorId() == XMLFileOperationError)
              throw SbmlError(filename + ": cannot read the file");
            throw SbmlError(filename + ":" + std::to_string(err->getLine()) + ": " + message);
          }
      }
    model = doc->getModel();
    if (model == nullptr)
      fail("sbml", "the document has no model");
    model_id = model->getId();
    // Packages a Level 3 document declares required change the core's meaning.
    if (doc->getLevel() >= 3)
      for (unsigned int i = 0; i < doc->getNumPlugins(); ++i)
        if (const SBasePlugin *p = doc->getPlugin(i);
            p != nullptr && doc->isSetPackageRequired(p->getPackageName()) && doc->getPackageRequired(p->getPackageName()))
          fail("sbml", "the required SBML package '" + p->getPackageName() + "' is not supported");
    if (model->isSetConversionFactor())
      fail("model", "conversion factors are not supported");
    if (model->getNumConstraints() > 0)
      fail("constraint", "constraints are not supported");
    const bool l3 = model->getLevel() >= 3;

    // Which ids rules, initial assignments and events set.
    std::map<std::string, const Rule *> assigned_by_rule, rate_ruled;
    for (unsigned int i = 0; i < model->getNumRules(); ++i)
      {
        const Rule *r = model->getRule(i);
        if (r->isAlgebraic())
          fail("algebraic rule " + std::to_string(i + 1), "algebraic rules are not supported");
        (r->isAssignment() ? assigned_by_rule : rate_ruled)[r->getVariable()] = r;
      }
    std::set<std::string> event_targets;
    for (unsigned int i = 0; i < model->getNumEvents(); ++i)
      for (unsigned int j = 0; j < model->getEvent(i)->getNumEventAssignments(); ++j)
        event_targets.insert(model->getEvent(i)->getEventAssignment(j)->getVariable());

    // Symbols: compartments, species, parameters.
    const auto new_slot = [&](const std::string &id, const double value, const std::string &what) {
      if (id.empty())
        fail(what, "no id");
      if (global_slots.count(id))
        fail(what + " '" + id + "'", "the id is used twice");
      global_slots[id] = values.size();
      values.push_back(value);
      return static_cast<unsigned int>(values.size() - 1);
    };
    const auto has_initial_assignment = [&](const std::string &id) {
      return model->getInitialAssignmentBySymbol(id) != nullptr;
    };
    for (unsigned int i = 0; i < model->getNumCompartments(); ++i)
      {
        const Compartment *c = model->getCompartment(i);
        const std::string  what = "compartment '" + c->getId() + "'";
        if (assigned_by_rule.count(c->getId()) || rate_ruled.count(c->getId()) || event_targets.count(c->getId()))
          fail(what, "compartments of variable size are not supported");
        if (!c->isSetSize() && !has_initial_assignment(c->getId()))
          fail(what, "no size");
        new_slot(c->getId(), c->isSetSize() ? c->getSize() : std::numeric_limits<double>::quiet_NaN(), "compartment");
      }
    std::vector<double> initial_amounts;
    for (unsigned int i = 0; i < model->getNumSpecies(); ++i)
      {
        const Species *s    = model->getSpecies(i);
        const std::string what = "species '" + s->getId() + "'";
        const auto       c    = global_slots.find(s->getCompartment());
        if (s->getCompartment().empty() || c == global_slots.end() ||
            model->getCompartment(s->getCompartment()) == nullptr)
          fail(what, "its compartment '" + s->getCompartment() + "' does not exist");
        if (s->isSetConversionFactor())
          fail(what, "conversion factors are not supported");
        SpeciesInfo info;
        info.id               = s->getId();
        info.compartment_slot = c->second;
        info.amount_in_math   = s->getHasOnlySubstanceUnits();
        const double size     = values[c->second];
        double       amount   = std::numeric_limits<double>::quiet_NaN();
        if (s->isSetInitialAmount())
          amount = s->getInitialAmount();
        else if (s->isSetInitialConcentration())
          amount = s->getInitialConcentration() * size;
        else if (!has_initial_assignment(s->getId()) && !assigned_by_rule.count(s->getId()))
          fail(what, "no initial amount or concentration");
        info.slot = new_slot(s->getId(), info.amount_in_math ? amount : amount / size, "species");
        species_of_id[info.id] = species.size();
        species.push_back(info);
        initial_amounts.push_back(amount);
      }
    n_species_total = species.size();
    for (unsigned int i = 0; i < model->getNumParameters(); ++i)
      {
        const Parameter *p = model->getParameter(i);
        const std::string what = "parameter '" + p->getId() + "'";
        if (!p->isSetValue() && !has_initial_assignment(p->getId()) && !assigned_by_rule.count(p->getId()) &&
            !rate_ruled.count(p->getId()))
          fail(what, "no value");
        if (p->getConstant() && (assigned_by_rule.count(p->getId()) || rate_ruled.count(p->getId()) ||
                                 event_targets.count(p->getId())))
          fail(what, "a constant parameter is the variable of a rule or event");
        new_slot(p->getId(), p->isSetValue() ? p->getValue() : std::numeric_limits<double>::quiet_NaN(), "parameter");
      }
    for (unsigned int i = 0; i < model->getNumReactions(); ++i)
      {
        const ::Reaction *r = model->getReaction(i);
        if (global_slots.count(r->getId()))
          fail("reaction '" + r->getId() + "'", "the id is used twice");
        for (unsigned int j = 0; j < r->getNumReactants() + r->getNumProducts(); ++j)
          {
            const SpeciesReference *sr = j < r->getNumReactants() ? r->getReactant(j) : r->getProduct(j - r->getNumReactants());
            if (sr->isSetId() && (assigned_by_rule.count(sr->getId()) || rate_ruled.count(sr->getId()) ||
                                  has_initial_assignment(sr->getId()) || event_targets.count(sr->getId())))
              fail("reaction '" + r->getId() + "'", "variable stoichiometry ('" + sr->getId() + "') is not supported");
          }
      }

    // State: species that reactions, rate rules or events may change; then parameters that
    // rate rules or events change.
    for (std::size_t k = 0; k < species.size(); ++k)
      {
        const Species *s = model->getSpecies(k);
        if (s->getConstant() || assigned_by_rule.count(s->getId()))
          {
            if (s->getConstant() && (rate_ruled.count(s->getId()) || event_targets.count(s->getId())))
              fail("species '" + s->getId() + "'", "a constant species is the variable of a rule or event");
            continue;
          }
        species[k].state = state_ids.size();
        state_ids.push_back(s->getId());
        state_slot.push_back(species[k].slot);
        state_species.push_back(k);
      }
    for (unsigned int i = 0; i < model->getNumParameters(); ++i)
      {
        const std::string &id = model->getParameter(i)->getId();
        if (rate_ruled.count(id) || (event_targets.count(id) && !assigned_by_rule.count(id)))
          {
            state_ids.push_back(id);
            state_slot.push_back(global_slots.at(id));
            state_species.push_back(-1);
          }
      }
    const auto state_of = [&](const std::string &id) -> int {
      for (std::size_t k = 0; k < state_ids.size(); ++k)
        if (state_ids[k] == id)
          return k;
      return -1;
    };

    // Rules.
    std::vector<Assignment> rules;
    for (const auto &[id, r] : assigned_by_rule)
      {
        const std::string what = "assignment rule for '" + id + "'";
        const auto        g    = global_slots.find(id);
        if (g == global_slots.end())
          fail(what, "'" + id + "' is no species, compartment or parameter");
        if (event_targets.count(id))
          fail(what, "'" + id + "' is also set by an event");
        rules.push_back({g->second, compile(r->getMath(), {}, what), what});
      }
    assignment_rules = sorted(rules, "assignment rules");
    for (const auto &[id, r] : rate_ruled)
      {
        const std::string what = "rate rule for '" + id + "'";
        const int         k    = state_of(id);
        if (k < 0)
          fail(what, "'" + id + "' is no species or parameter that can change");
        rate_rules.push_back({static_cast<unsigned int>(k), compile(r->getMath(), {}, what)});
      }

    // Reactions.
    for (unsigned int i = 0; i < model->getNumReactions(); ++i)
      {
        const ::Reaction *r    = model->getReaction(i);
        const std::string what = "reaction '" + r->getId() + "'";
        if (l3 ? (r->isSetFast() && r->getFast()) : r->getFast())
          fail(what, "fast reactions are not supported");
        if (!r->isSetKineticLaw())
          fail(what, "no kinetic law");
        const KineticLaw *law = r->getKineticLaw();
        Scope             locals;
        const unsigned int n_local = l3 ? law->getNumLocalParameters() : law->getNumParameters();
        for (unsigned int j = 0; j < n_local; ++j)
          {
            const SBase *p = l3 ? static_cast<const SBase *>(law->getLocalParameter(j)) :
                                  static_cast<const SBase *>(law->getParameter(j));
            const double v = l3 ? law->getLocalParameter(j)->getValue() : law->getParameter(j)->getValue();
            locals[p->getId()] = Expr{Expr::Op::constant, v, 0, nullptr, {}};
          }
        CompiledReaction compiled;
        compiled.id   = r->getId();
        compiled.rate = compile(law->getMath(), locals, what + " kinetic law");
        for (unsigned int j = 0; j < r->getNumReactants() + r->getNumProducts(); ++j)
          {
            const bool              reactant = j < r->getNumReactants();
            const SpeciesReference *sr = reactant ? r->getReactant(j) : r->getProduct(j - r->getNumReactants());
            if (!l3 && sr->isSetStoichiometryMath())
              fail(what, "stoichiometryMath is not supported");
            const auto s = species_of_id.find(sr->getSpecies());
            if (s == species_of_id.end())
              fail(what, "unknown species '" + sr->getSpecies() + "'");
            const Species *sp = model->getSpecies(sr->getSpecies());
            if (sp->getBoundaryCondition() || sp->getConstant() || species[s->second].state < 0 ||
                rate_ruled.count(sp->getId()))
              continue; // reactions do not change it
            const double stoichiometry = sr->isSetStoichiometry() ? sr->getStoichiometry() : 1.0;
            compiled.changes.emplace_back(species[s->second].state, reactant ? -stoichiometry : stoichiometry);
          }
        reactions.push_back(std::move(compiled));
      }

    // Initial values: initial assignments (ordered by their dependencies), then the rules.
    std::vector<Assignment> initial_assignments;
    for (unsigned int i = 0; i < model->getNumInitialAssignments(); ++i)
      {
        const InitialAssignment *ia   = model->getInitialAssignment(i);
        const std::string        what = "initial assignment for '" + ia->getSymbol() + "'";
        const auto               g    = global_slots.find(ia->getSymbol());
        if (g == global_slots.end())
          fail(what, "'" + ia->getSymbol() + "' is no species, compartment or parameter");
        initial_assignments.push_back({g->second, compile(ia->getMath(), {}, what), what});
      }
    for (const auto &a : sorted(initial_assignments, "initial assignments"))
      values[a.slot] = a.math.eval(values, 0.0);
    // Species values set from amounts where a compartment size came from an assignment.
    for (std::size_t k = 0; k < species.size(); ++k)
      if (!has_initial_assignment(species[k].id) && !species[k].amount_in_math && !std::isnan(initial_amounts[k]))
        values[species[k].slot] = initial_amounts[k] / values[species[k].compartment_slot];
    for (const auto &r : assignment_rules)
      values[r.slot] = r.math.eval(values, 0.0);
    for (const auto &[id, slot] : global_slots)
      if (std::isnan(values[slot]))
        fail("'" + id + "'", "no initial value");
    initial.resize(state_ids.size());
    for (std::size_t k = 0; k < state_ids.size(); ++k)
      {
        const int s = state_species[k];
        initial[k]  = s >= 0 ? amount_of(species[s], values[state_slot[k]]) : values[state_slot[k]];
      }

    // Events: time thresholds only.
    for (unsigned int i = 0; i < model->getNumEvents(); ++i)
      {
        const ::Event *ev   = model->getEvent(i);
        const std::string what = "event '" + (ev->isSetId() ? ev->getId() : std::to_string(i + 1)) + "'";
        if (ev->isSetDelay())
          fail(what, "delayed events are not supported");
        if (ev->isSetPriority())
          fail(what, "event priorities are not supported");
        const ASTNode *trigger = ev->isSetTrigger() ? ev->getTrigger()->getMath() : nullptr;
        if (trigger == nullptr)
          fail(what, "no trigger");
        // time >= T, time > T, T <= time, T < time: the threshold must not depend on the state.
        const auto tt = trigger->getType();
        int        time_side = -1;
        if (trigger->getNumChildren() == 2)
          for (int side = 0; side < 2; ++side)
            if (trigger->getChild(side)->getType() == AST_NAME_TIME)
              time_side = side;
        const bool time_first = time_side == 0 && (tt == AST_RELATIONAL_GEQ || tt == AST_RELATIONAL_GT);
        const bool time_last  = time_side == 1 && (tt == AST_RELATIONAL_LEQ || tt == AST_RELATIONAL_LT);
        if (!time_first && !time_last)
          fail(what, "only triggers of the form 'time >= T' are supported");
        const Expr threshold = compile(trigger->getChild(1 - time_side), {}, what + " trigger");
        std::set<unsigned int> deps;
        threshold.collect_symbols(deps);
        for (const unsigned int d : deps)
          for (const auto &sl : state_slot)
            if (sl == d)
              fail(what, "the trigger's time depends on the state");
        CompiledEvent e;
        e.timing.id   = ev->isSetId() ? ev->getId() : "event" + std::to_string(i + 1);
        e.timing.time = threshold.eval(values, 0.0);
        for (unsigned int j = 0; j < ev->getNumEventAssignments(); ++j)
          {
            const EventAssignment *a = ev->getEventAssignment(j);
            const auto             g = global_slots.find(a->getVariable());
            if (g == global_slots.end())
              fail(what, "assignment to unknown '" + a->getVariable() + "'");
            e.assignments.push_back({g->second, compile(a->getMath(), {}, what + " assignment to '" + a->getVariable() + "'"),
                                     a->getVariable()});
          }
        timings.push_back(e.timing);
        events.push_back(std::move(e));
      }
    find_dependencies();
    model = nullptr; // the document goes with this function
  }

  SbmlModel::SbmlModel(const std::string &filename)
    : impl(std::make_unique<Impl>())
  {
    impl->read(filename);
  }
  SbmlModel::~SbmlModel() = default;
  SbmlModel::SbmlModel(SbmlModel &&) noexcept = default;

  const std::string &SbmlModel::id() const { return impl->model_id; }
  const std::string &SbmlModel::filename() const { return impl->file; }
  unsigned int SbmlModel::n_states() const { return impl->state_ids.size(); }
  const std::vector<std::string> &SbmlModel::state_ids() const { return impl->state_ids; }
  unsigned int SbmlModel::n_species() const { return impl->n_species_total; }
  unsigned int SbmlModel::n_reactions() const { return impl->reactions.size(); }
  std::vector<double> SbmlModel::initial_state() const { return impl->initial; }
  const std::vector<SbmlModel::TimedEvent> &SbmlModel::timed_events() const { return impl->timings; }

  const std::vector<std::vector<unsigned int>> &SbmlModel::dependents() const { return impl->state_dependents; }

  double SbmlModel::compartment_size(const std::string &species_id) const
  {
    const auto s = impl->species_of_id.find(species_id);
    if (s == impl->species_of_id.end())
      throw SbmlError(impl->file + ": the model has no species '" + species_id + "'");
    return impl->values[impl->species[s->second].compartment_slot];
  }

  bool SbmlModel::is_species(const std::string &sbml_id) const { return impl->species_of_id.count(sbml_id) > 0; }

  bool SbmlModel::is_state(const std::string &sbml_id) const
  {
    const auto &ids = impl->state_ids;
    return std::find(ids.begin(), ids.end(), sbml_id) != ids.end();
  }

  unsigned int SbmlModel::state_index(const std::string &sbml_id, const std::string &what) const
  {
    const auto &ids = impl->state_ids;
    const auto  it  = std::find(ids.begin(), ids.end(), sbml_id);
    if (it != ids.end())
      return it - ids.begin();
    if (impl->species_of_id.count(sbml_id))
      throw SbmlError(impl->file + ": " + what + ": species '" + sbml_id +
                      "' is constant or set by an assignment rule, so it has no amount of its own");
    throw SbmlError(impl->file + ": " + what + ": the model has no species '" + sbml_id + "'");
  }

  void SbmlModel::rhs(const double t, const double *y, double *ydot) const
  {
    const Impl &m = *impl;
    m.fill_values(t, y);
    std::fill(ydot, ydot + m.state_ids.size(), 0.0);
    for (const auto &r : m.reactions)
      {
        const double rate = r.rate.eval(m.values, t);
        for (const auto &[k, s] : r.changes)
          ydot[k] += s * rate;
      }
    for (const auto &r : m.rate_rules)
      {
        const double v = r.math.eval(m.values, t);
        const int    s = m.state_species[r.state];
        ydot[r.state] = s >= 0 && !m.species[s].amount_in_math ? v * m.values[m.species[s].compartment_slot] : v;
      }
  }

  void SbmlModel::apply_event(const unsigned int k, std::vector<double> &y) const
  {
    const Impl &m = *impl;
    const auto &e = m.events.at(k);
    m.fill_values(e.timing.time, y.data());
    std::vector<double> new_values;
    for (const auto &a : e.assignments)
      new_values.push_back(a.math.eval(m.values, e.timing.time));
    for (std::size_t j = 0; j < e.assignments.size(); ++j)
      {
        const unsigned int slot = e.assignments[j].slot;
        for (std::size_t s = 0; s < m.state_slot.size(); ++s)
          if (m.state_slot[s] == slot)
            {
              const int sp = m.state_species[s];
              y[s]         = sp >= 0 ? m.amount_of(m.species[sp], new_values[j]) : new_values[j];
            }
      }
  }
} // namespace radiotwin
