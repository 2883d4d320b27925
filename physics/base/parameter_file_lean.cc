// The deal.II-free members of ParameterFile (parameter_file.h): where a parameter was set,
// and reading a .prm file into the lean path's ParameterValues.
#include <fstream>
#include <sstream>

#include "physics/base/parameter_file.h"

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
          parts.push_back(trim(current));
          current.clear();
        }
      else
        current += c;
    const std::string name = trim(current);
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
        line = trim(line);
        if (line.rfind("subsection ", 0) == 0)
          sections.push_back(trim(line.substr(11)));
        else if (line == "end" && !sections.empty())
          sections.pop_back();
        else if (line.rfind("set ", 0) == 0)
          {
            const auto eq = line.find('=');
            if (eq != std::string::npos)
              line_of_path[join_path(sections, trim(line.substr(4, eq - 4)))] = n;
          }
      }
  }

  void ParameterFile::read(ParameterValues &values, const std::string &filename,
                           const std::vector<std::string> &overrides)
  {
    file = filename;
    const bool is_prm = filename.size() > 4 && filename.substr(filename.size() - 4) == ".prm";
    if (!is_prm)
      throw NeedsFullParameterHandler(filename + ": not a .prm file");
    std::ifstream in(filename);
    if (!in)
      throw NeedsFullParameterHandler(filename + ": cannot open");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    scan_prm_text(text);
    values.parse_prm(text);
    for (const auto &o : overrides)
      apply_override(values, o);
  }

  void ParameterFile::apply_override(ParameterValues &values, const std::string &assignment)
  {
    // As the deal.II version: enter sections while the next part names one, the rest is the
    // entry's name; anything doubtful goes to the full program.
    const auto eq = assignment.find('=');
    if (eq == std::string::npos)
      throw NeedsFullParameterHandler("--set \"" + assignment + "\": no '='");
    const std::string path  = trim(assignment.substr(0, eq));
    const std::string value = trim(assignment.substr(eq + 1));
    const auto [parts, last] = split_parameter_path(path);
    std::vector<std::string> tokens = parts;
    tokens.push_back(last);
    unsigned int entered = 0;
    try
      {
        while (entered + 1 < tokens.size() && values.subsection_path_exists({tokens[entered]}))
          values.enter_subsection(tokens[entered++]);
        if (entered == 0 && tokens.size() > 1)
          throw NeedsFullParameterHandler("--set \"" + assignment + "\": no subsection");
        std::string name = tokens[entered];
        for (std::size_t i = entered + 1; i < tokens.size(); ++i)
          name += "/" + tokens[i];
        values.set(name, value);
      }
    catch (...)
      {
        for (; entered > 0; --entered)
          values.leave_subsection();
        throw;
      }
    for (; entered > 0; --entered)
      values.leave_subsection();
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
} // namespace radiotwin
