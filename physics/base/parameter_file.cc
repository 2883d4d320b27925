#include "physics/base/parameter_file.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/utilities.h>

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "physics/base/json.h"

namespace radiotwin
{
  namespace
  {
    std::string join_path(const std::vector<std::string> &sections, const std::string &name)
    {
      std::string path;
      for (const auto &s : sections)
        path += s + "/";
      return path + name;
    }
  } // namespace

  std::pair<std::vector<std::string>, std::string> split_parameter_path(const std::string &path)
  {
    std::vector<std::string> parts;
    std::string              current;
    for (const char c : path)
      if (c == '/')
        {
          parts.push_back(dealii::Utilities::trim(current));
          current.clear();
        }
      else
        current += c;
    const std::string name = dealii::Utilities::trim(current);
    return {parts, name};
  }

  void ParameterFile::scan_prm_text(const std::string &text)
  {
    // A light scan of the prm grammar (subsection/end/set) that remembers the line of each
    // assignment: deal.II reports line numbers for syntax errors, but not for the values
    // that later turn out inconsistent with each other.
    std::istringstream       in(text);
    std::string              line;
    std::vector<std::string> sections;
    int                      n = 0;
    while (std::getline(in, line))
      {
        ++n;
        const auto hash = line.find('#');
        if (hash != std::string::npos)
          line = line.substr(0, hash);
        line = dealii::Utilities::trim(line);
        if (line.rfind("subsection ", 0) == 0)
          sections.push_back(dealii::Utilities::trim(line.substr(11)));
        else if (line == "end" && !sections.empty())
          sections.pop_back();
        else if (line.rfind("set ", 0) == 0)
          {
            const auto eq = line.find('=');
            if (eq != std::string::npos)
              line_of_path[join_path(sections, dealii::Utilities::trim(line.substr(4, eq - 4)))] = n;
          }
      }
  }

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

  ParameterLocation ParameterFile::locate(const std::string &path) const
  {
    ParameterLocation loc;
    loc.path = path;
    if (const auto o = overridden.find(path); o != overridden.end())
      {
        loc.file = "--set \"" + o->second + "\"";
        return loc;
      }
    loc.file = file;
    if (const auto l = line_of_path.find(path); l != line_of_path.end())
      loc.line = l->second;
    else
      loc.file += " (default value)";
    return loc;
  }

  void ParameterFile::fail(const std::string &path, const std::string &message) const
  {
    throw InputError(locate(path).describe() + ": " + message);
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
