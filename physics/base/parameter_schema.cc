#include "physics/base/parameter_schema.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <regex>
#include <sstream>

namespace radiotwin
{
  std::string trim(const std::string &text)
  {
    std::size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
      ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
      --end;
    return text.substr(begin, end - begin);
  }

  std::vector<std::string> split_list(const std::string &text, const std::string &separator)
  {
    std::vector<std::string> pieces;
    std::string              rest = text;
    while (!rest.empty())
      {
        const auto at = rest.find(separator);
        pieces.push_back(trim(rest.substr(0, at)));
        rest = at == std::string::npos ? std::string() : rest.substr(at + separator.size());
      }
    return pieces;
  }

  namespace patterns
  {
    namespace
    {
      // Plain decimal numbers only: what both std::istream and strtod read the same way
      // (no hexadecimal floats, inf or nan, which deal.II's patterns treat differently).
      const std::regex integer_text("[+-]?[0-9]+");
      const std::regex real_text("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    } // namespace

    bool Integer::match(const std::string &value) const
    {
      if (!std::regex_match(value, integer_text) || value.size() > 12)
        return false;
      const long long v = std::stoll(value);
      return lower > upper || (lower <= v && v <= upper);
    }

    bool Double::match(const std::string &value) const
    {
      if (!std::regex_match(value, real_text))
        return false;
      std::istringstream in(value);
      double             v = 0;
      in >> v;
      if (in.fail())
        return false; // out of range of double
      return lower > upper || (lower <= v && v <= upper);
    }

    Selection::Selection(const std::string &choices_text)
      : choices(choices_text)
    {}

    bool Selection::match(const std::string &value) const
    {
      for (const auto &c : split_list(choices, "|"))
        if (c == value && !c.empty())
          return true;
      return false;
    }

    List::List(const Pattern &e, const unsigned int min, const unsigned int max,
               const std::string &sep)
      : element(e.clone())
      , min_elements(min)
      , max_elements(max)
      , separator(sep)
    {}

    List::List(const List &other)
      : Pattern()
      , element(other.element->clone())
      , min_elements(other.min_elements)
      , max_elements(other.max_elements)
      , separator(other.separator)
    {}

    bool List::match(const std::string &value) const
    {
      const auto pieces = split_list(value, separator);
      if (pieces.size() < min_elements || pieces.size() > max_elements)
        return false;
      for (const auto &p : pieces)
        if (p.empty() || !element->match(p))
          return false;
      return true;
    }

    Map::Map(const Pattern &k, const Pattern &v, const unsigned int min, const unsigned int max,
             const std::string &sep, const std::string &kv_sep)
      : key(k.clone())
      , value(v.clone())
      , min_elements(min)
      , max_elements(max)
      , separator(sep)
      , key_value_separator(kv_sep)
    {}

    Map::Map(const Map &other)
      : Pattern()
      , key(other.key->clone())
      , value(other.value->clone())
      , min_elements(other.min_elements)
      , max_elements(other.max_elements)
      , separator(other.separator)
      , key_value_separator(other.key_value_separator)
    {}

    bool Map::match(const std::string &text) const
    {
      const auto pieces = split_list(text, separator);
      if (pieces.size() < min_elements || pieces.size() > max_elements)
        return false;
      for (const auto &p : pieces)
        {
          const auto kv = split_list(p, key_value_separator);
          if (kv.size() != 2 || kv[0].empty() || kv[1].empty() || !key->match(kv[0]) ||
              !value->match(kv[1]))
            return false;
        }
      return true;
    }
  } // namespace patterns

  double ParameterReader::get_double(const std::string &name) const
  {
    const std::string  text = get(name);
    std::istringstream in(text);
    double             v = 0;
    in >> v;
    if (in.fail())
      throw std::invalid_argument("parameter '" + name + "': '" + text + "' is not a number");
    return v;
  }

  long int ParameterReader::get_integer(const std::string &name) const
  {
    const std::string  text = get(name);
    std::istringstream in(text);
    long int           v = 0;
    in >> v;
    if (in.fail())
      throw std::invalid_argument("parameter '" + name + "': '" + text + "' is not an integer");
    return v;
  }

  // ---------------------------------------------------------------------------------------

  ParameterSchema::Section &ParameterSchema::current()
  {
    Section *s = &top;
    for (const auto &p : path)
      s = &s->subsections.at(p);
    return *s;
  }

  void ParameterSchema::enter_subsection(const std::string &name)
  {
    Section &s = current();
    if (s.subsections.find(name) == s.subsections.end())
      {
        s.subsections[name];
        s.subsection_order.push_back(name);
      }
    path.push_back(name);
  }

  void ParameterSchema::leave_subsection()
  {
    if (path.empty())
      throw std::logic_error("ParameterSchema: leave_subsection() at the top level");
    path.pop_back();
  }

  void ParameterSchema::declare_entry(const std::string &name, const std::string &default_value,
                                      const patterns::Pattern &pattern,
                                      const std::string &documentation)
  {
    if (!pattern.match(default_value) && pattern.kind() != patterns::Pattern::Kind::anything)
      throw std::logic_error("ParameterSchema: the default '" + default_value + "' of '" + name +
                             "' does not match its pattern");
    Section &s = current();
    if (s.entries.find(name) == s.entries.end())
      s.entry_order.push_back(name);
    s.entries[name] = Entry{default_value, documentation, std::shared_ptr<patterns::Pattern>(pattern.clone())};
  }

  // ---------------------------------------------------------------------------------------

  ParameterValues::ParameterValues(const ParameterSchema &s)
    : schema(s)
  {}

  const ParameterSchema::Section *
  ParameterValues::section_at(const std::vector<std::string> &p) const
  {
    const ParameterSchema::Section *s = &schema.root();
    for (const auto &name : p)
      {
        const auto it = s->subsections.find(name);
        if (it == s->subsections.end())
          return nullptr;
        s = &it->second;
      }
    return s;
  }

  bool ParameterValues::subsection_path_exists(const std::vector<std::string> &p) const
  {
    std::vector<std::string> full = path;
    full.insert(full.end(), p.begin(), p.end());
    return section_at(full) != nullptr;
  }

  void ParameterValues::enter_subsection(const std::string &name)
  {
    path.push_back(name);
    if (section_at(path) == nullptr)
      {
        path.pop_back();
        throw NeedsFullParameterHandler("no subsection '" + name + "'");
      }
  }

  void ParameterValues::leave_subsection()
  {
    if (path.empty())
      throw std::logic_error("ParameterValues: leave_subsection() at the top level");
    path.pop_back();
  }

  std::string ParameterValues::get(const std::string &name) const
  {
    const ParameterSchema::Section *s = section_at(path);
    const auto                      e = s->entries.find(name);
    if (e == s->entries.end())
      throw std::logic_error("ParameterValues: parameter '" + name + "' was not declared");
    if (const auto v = values.find(path); v != values.end())
      if (const auto it = v->second.find(name); it != v->second.end())
        return it->second;
    return e->second.default_value;
  }

  void ParameterValues::set(const std::string &name, const std::string &value)
  {
    const ParameterSchema::Section *s = section_at(path);
    const auto                      e = s->entries.find(name);
    if (e == s->entries.end())
      throw NeedsFullParameterHandler("no parameter '" + name + "'");
    if (!e->second.pattern->match(value))
      throw NeedsFullParameterHandler("parameter '" + name + "': '" + value +
                                      "' not vouched for by its pattern");
    values[path][name] = value;
  }

  void ParameterValues::parse_prm(const std::string &text)
  {
    std::istringstream in(text);
    std::string        line;
    const auto         depth = path.size();
    unsigned int       number = 0;
    while (std::getline(in, line))
      {
        ++number;
        const std::string where = "line " + std::to_string(number) + ": ";
        if (line.find('\\') != std::string::npos)
          throw NeedsFullParameterHandler(where + "continuation or escape");
        if (const auto hash = line.find('#'); hash != std::string::npos)
          line.erase(hash);
        std::replace(line.begin(), line.end(), '\t', ' ');
        line = trim(line);
        if (line.empty())
          continue;
        if (line.rfind("subsection ", 0) == 0)
          enter_subsection(trim(line.substr(11)));
        else if (line == "end")
          {
            if (path.size() <= depth)
              throw NeedsFullParameterHandler(where + "'end' without a subsection");
            leave_subsection();
          }
        else if (line.rfind("set ", 0) == 0 && line.find('=') != std::string::npos)
          {
            const auto eq = line.find('=');
            set(trim(line.substr(4, eq - 4)), trim(line.substr(eq + 1)));
          }
        else
          throw NeedsFullParameterHandler(where + "not 'subsection', 'set' or 'end'");
      }
    if (path.size() != depth)
      throw NeedsFullParameterHandler("a subsection without 'end'");
  }

  namespace
  {
    /// deal.II's key mangling (ParameterHandler sorts entries by their mangled names).
    std::string mangle(const std::string &s)
    {
      static const char hex[] = "0123456789abcdef";
      std::string       m;
      for (const char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)))
          m += c;
        else
          {
            m += '_';
            m += hex[static_cast<unsigned char>(c) / 16];
            m += hex[static_cast<unsigned char>(c) % 16];
          }
      return m;
    }

    std::vector<std::string> sorted_by_mangled_name(std::vector<std::string> names)
    {
      std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
        return mangle(a) < mangle(b);
      });
      return names;
    }
  } // namespace

  void ParameterValues::print_short_prm(std::ostream &out) const
  {
    std::vector<std::string> at;
    const std::function<void(const ParameterSchema::Section &, unsigned int)> print =
      [&](const ParameterSchema::Section &s, const unsigned int indent) {
        const std::string pad(2 * indent, ' ');
        std::size_t       width = 0;
        for (const auto &[name, e] : s.entries)
          width = std::max(width, name.size());
        const auto v = values.find(at);
        for (const auto &name : sorted_by_mangled_name(s.entry_order))
          {
            std::string value = s.entries.at(name).default_value;
            if (v != values.end())
              if (const auto it = v->second.find(name); it != v->second.end())
                value = it->second;
            out << pad << "set " << name << std::string(width - name.size(), ' ') << " = "
                << value << '\n';
          }
        for (const auto &name : sorted_by_mangled_name(s.subsection_order))
          {
            out << pad << "subsection " << name << '\n';
            at.push_back(name);
            print(s.subsections.at(name), indent + 1);
            at.pop_back();
            out << pad << "end" << '\n';
          }
      };
    print(schema.root(), 0);
  }
} // namespace radiotwin
