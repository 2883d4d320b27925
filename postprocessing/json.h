// RadioTwin: a minimal ordered JSON object for summary files (keys keep insertion order, so
// summaries read top-down in the order the run produced them).
#pragma once

#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace radiotwin
{
  class Json
  {
  public:
    Json &set(const std::string &key, const double value)
    {
      std::ostringstream os;
      if (std::isfinite(value))
        os << std::setprecision(12) << value;
      else
        os << "null";
      return set_raw(key, os.str());
    }
    Json &set(const std::string &key, const int value) { return set_raw(key, std::to_string(value)); }
    Json &set(const std::string &key, const unsigned int value) { return set_raw(key, std::to_string(value)); }
    Json &set(const std::string &key, const unsigned long value) { return set_raw(key, std::to_string(value)); }
    Json &set(const std::string &key, const unsigned long long value) { return set_raw(key, std::to_string(value)); }
    Json &set(const std::string &key, const bool value) { return set_raw(key, value ? "true" : "false"); }
    Json &set(const std::string &key, const char *value) { return set(key, std::string(value)); }
    Json &set(const std::string &key, const std::string &value) { return set_raw(key, quote(value)); }
    Json &set(const std::string &key, const Json &object)
    {
      entries.emplace_back(key, std::make_shared<Json>(object));
      return *this;
    }

    std::string dump(const unsigned int indent = 0) const
    {
      const std::string pad(indent + 2, ' ');
      std::string       out = "{\n";
      for (std::size_t i = 0; i < entries.size(); ++i)
        {
          out += pad + quote(entries[i].first) + ": ";
          out += entries[i].second.object ? entries[i].second.object->dump(indent + 2) :
                                            entries[i].second.text;
          out += (i + 1 < entries.size() ? ",\n" : "\n");
        }
      return out + std::string(indent, ' ') + "}";
    }

  private:
    struct Value
    {
      Value(std::string t)
        : text(std::move(t))
      {}
      Value(std::shared_ptr<Json> o)
        : object(std::move(o))
      {}
      std::string           text;
      std::shared_ptr<Json> object;
    };

    Json &set_raw(const std::string &key, const std::string &text)
    {
      entries.emplace_back(key, Value(text));
      return *this;
    }

    static std::string quote(const std::string &s)
    {
      std::string out = "\"";
      for (const char c : s)
        {
          if (c == '"' || c == '\\')
            out += '\\';
          if (c == '\n')
            {
              out += "\\n";
              continue;
            }
          out += c;
        }
      return out + "\"";
    }

    std::vector<std::pair<std::string, Value>> entries;
  };
} // namespace radiotwin
