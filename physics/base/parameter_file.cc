#include "physics/base/parameter_file.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/utilities.h>

#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <sstream>

#include "physics/base/json.h"

namespace radiotwin
{
  void ParameterFile::read(dealii::ParameterHandler &      prm,
                           const std::string &             filename,
                           const std::vector<std::string> &overrides)
  {
    file = filename;
    std::ifstream in(filename);
    if (!in)
      throw InputError(filename + ": cannot open the parameter file (missing or unreadable)");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    const bool is_json = filename.size() > 5 && filename.substr(filename.size() - 5) == ".json";
    const bool is_prm  = filename.size() > 4 && filename.substr(filename.size() - 4) == ".prm";
    if (!is_json && !is_prm)
      throw InputError(filename + ": unknown parameter file type (expected .prm or .json)");

    try
      {
        if (is_prm)
          {
            scan_prm_text(text);
            prm.parse_input(filename, "", /*skip_undefined=*/false,
                            /*assert_mandatory_entries_are_found=*/false);
          }
        else
          {
            std::istringstream json(text);
            prm.parse_input_from_json(json, /*skip_undefined=*/false);
          }
      }
    catch (const dealii::ExceptionBase &e)
      {
        // deal.II's messages carry "Line <n> of file <f>: ..."; rewrite them as
        // "f:n: parameter 'Section/Name': ..." with the path from our own scan.
        const std::string msg = exception_text(e);
        std::smatch       m;
        if (std::regex_search(msg, m, std::regex("Line <([0-9]+)> of file <[^>:]*>?:? *(.*)")))
          {
            const int   line = std::stoi(m[1]);
            std::string where = filename + ":" + std::to_string(line) + ": ";
            for (const auto &[path, l] : line_of_path)
              if (l == line)
                where += "parameter '" + path + "': ";
            throw InputError(where + m[2].str());
          }
        throw InputError(filename + ": " + msg);
      }
    catch (const std::exception &e)
      {
        // JSON syntax errors come from boost::property_tree.
        throw InputError(filename + ": malformed parameter file: " +
                         std::regex_replace(std::string(e.what()), std::regex("\\s+"), " "));
      }

    for (const auto &o : overrides)
      apply_override(prm, o);
  }

  void ParameterFile::read_from_string(dealii::ParameterHandler &prm, const std::string &text,
                                       const std::string &pseudo_filename)
  {
    file = pseudo_filename;
    scan_prm_text(text);
    try
      {
        prm.parse_input_from_string(text, pseudo_filename, false);
      }
    catch (const dealii::ExceptionBase &e)
      {
        throw InputError(pseudo_filename + ": " + exception_text(e));
      }
  }

  void ParameterFile::apply_override(dealii::ParameterHandler &prm, const std::string &assignment)
  {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos)
      throw InputError("--set \"" + assignment +
                       "\": expected the form \"Section/Sub/Name=value\"");
    const std::string path  = dealii::Utilities::trim(assignment.substr(0, eq));
    const std::string value = dealii::Utilities::trim(assignment.substr(eq + 1));
    // Entry names may hold '/' themselves ("S/V [cm^-1]", "[nmol L^-1]"): enter sections while
    // the next part names one; the rest is the entry's name.
    const auto [parts, last] = split_parameter_path(path);
    std::vector<std::string> tokens = parts;
    tokens.push_back(last);

    unsigned int entered = 0;
    try
      {
        while (entered + 1 < tokens.size() && prm.subsection_path_exists({tokens[entered]}))
          prm.enter_subsection(tokens[entered++]);
        if (entered == 0 && tokens.size() > 1)
          throw InputError("--set \"" + assignment + "\": no subsection '" + tokens[0] +
                           "' on the path of parameter '" + path + "'");
        std::string name = tokens[entered];
        for (std::size_t i = entered + 1; i < tokens.size(); ++i)
          name += "/" + tokens[i];
        prm.set(name, value);
      }
    catch (const InputError &)
      {
        for (; entered > 0; --entered)
          prm.leave_subsection();
        throw;
      }
    catch (const dealii::ExceptionBase &e)
      {
        for (; entered > 0; --entered)
          prm.leave_subsection();
        throw InputError("--set \"" + assignment + "\": parameter '" + path +
                         "': " + exception_text(e));
      }
    for (; entered > 0; --entered)
      prm.leave_subsection();
    overridden[path] = assignment;
  }

  namespace
  {
    std::unique_ptr<dealii::Patterns::PatternBase> to_dealii(const patterns::Pattern &p)
    {
      using K = patterns::Pattern::Kind;
      namespace P = dealii::Patterns;
      switch (p.kind())
        {
          case K::anything:
            return std::make_unique<P::Anything>();
          case K::integer:
            {
              const auto &i = static_cast<const patterns::Integer &>(p);
              return std::make_unique<P::Integer>(i.lower, i.upper);
            }
          case K::real:
            {
              const auto &d = static_cast<const patterns::Double &>(p);
              return std::make_unique<P::Double>(d.lower, d.upper);
            }
          case K::selection:
            return std::make_unique<P::Selection>(static_cast<const patterns::Selection &>(p).choices);
          case K::list:
            {
              const auto &l = static_cast<const patterns::List &>(p);
              return std::make_unique<P::List>(*to_dealii(*l.element), l.min_elements,
                                               l.max_elements, l.separator);
            }
          case K::map:
            {
              const auto &m = static_cast<const patterns::Map &>(p);
              return std::make_unique<P::Map>(*to_dealii(*m.key), *to_dealii(*m.value),
                                              m.min_elements, m.max_elements, m.separator,
                                              m.key_value_separator);
            }
        }
      throw std::logic_error("declare_schema: unknown pattern kind");
    }

    void declare_section(dealii::ParameterHandler &prm, const ParameterSchema::Section &s)
    {
      for (const auto &name : s.entry_order)
        {
          const auto &e = s.entries.at(name);
          prm.declare_entry(name, e.default_value, *to_dealii(*e.pattern), e.documentation);
        }
      for (const auto &name : s.subsection_order)
        {
          prm.enter_subsection(name);
          declare_section(prm, s.subsections.at(name));
          prm.leave_subsection();
        }
    }
  } // namespace

  void declare_schema(dealii::ParameterHandler &prm, const ParameterSchema &schema)
  {
    declare_section(prm, schema.root());
  }

  void DealiiParameterReader::enter_subsection(const std::string &name)
  {
    prm.enter_subsection(name);
  }

  void DealiiParameterReader::leave_subsection()
  {
    prm.leave_subsection();
  }

  std::string DealiiParameterReader::get(const std::string &name) const
  {
    return prm.get(name);
  }

  std::string exception_text(const dealii::ExceptionBase &e)
  {
    std::ostringstream os;
    e.print_info(os);
    return dealii::Utilities::trim(std::regex_replace(os.str(), std::regex("\\s+"), " "));
  }

  std::map<std::string, std::string> flat_parameters(const dealii::ParameterHandler &prm)
  {
    std::ostringstream os;
    prm.print_parameters(os, dealii::ParameterHandler::OutputStyle(dealii::ParameterHandler::JSON |
                                                                   dealii::ParameterHandler::Short));
    std::map<std::string, std::string> flat;
    // An entry is its value (the short form) or an object with a "value"; everything else
    // is a subsection.
    const std::function<void(const Json &, const std::string &)> walk = [&](const Json &node,
                                                                           const std::string &prefix) {
      for (const auto &[key, child] : node.items())
        if (child.is_string())
          flat[prefix + key] = child.get<std::string>();
        else if (child.is_object() && child.contains("value") && child["value"].is_string())
          flat[prefix + key] = child["value"].get<std::string>();
        else if (child.is_object())
          walk(child, prefix + key + "/");
    };
    walk(Json::parse(os.str()), "");
    return flat;
  }
} // namespace radiotwin
