#include "physics/base/csv_table.h"

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "physics/base/input_error.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    std::string join(const std::vector<std::string> &names)
    {
      std::string s;
      for (const auto &n : names)
        s += (s.empty() ? "" : ",") + n;
      return s;
    }

    /// The fields of a line, split at ',' and trimmed. As in any CSV file, "a,b," has three
    /// fields, the last one empty (an unset optional value).
    std::vector<std::string> split(const std::string &line)
    {
      std::vector<std::string> fields;
      std::string::size_type   begin = 0;
      while (true)
        {
          const auto end = line.find(',', begin);
          fields.push_back(Utilities::trim(line.substr(begin, end - begin)));
          if (end == std::string::npos)
            break;
          begin = end + 1;
        }
      return fields;
    }

    /// A whole field as a finite number.
    bool to_finite_number(const std::string &field, double &x)
    {
      char *end = nullptr;
      x         = std::strtod(field.c_str(), &end);
      return !field.empty() && end == field.c_str() + field.size() && std::isfinite(x);
    }
  } // namespace

  int CsvTable::column(const std::string &name) const
  {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }

  double CsvTable::number(const CsvRow &row, const int c, const bool empty_is_nan) const
  {
    const std::string &text = row.fields[c];
    if (empty_is_nan && text.empty())
      return std::nan("");
    const std::string prefix = where(row) + ": column '" + header[c] + "': '" + text + "'";
    char *            end    = nullptr;
    const double      x      = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      throw InputError(prefix + " is not a number");
    if (std::isnan(x) && empty_is_nan) // "nan" written for an unset value
      return x;
    if (!std::isfinite(x))
      throw InputError(prefix + " is not a finite number");
    return x;
  }

  std::vector<CsvRow> read_csv_rows(const std::string &file, const std::string &open_error)
  {
    std::ifstream in(file);
    if (!in)
      throw InputError(open_error);
    std::vector<CsvRow> rows;
    std::string         line;
    unsigned int        number = 0;
    while (std::getline(in, line))
      {
        ++number;
        const auto hash = line.find('#');
        if (hash != std::string::npos)
          line = line.substr(0, hash);
        if (Utilities::trim(line).empty())
          continue;
        const std::string text = Utilities::trim(line);
        rows.push_back({number, split(text), text});
      }
    if (in.bad())
      throw InputError(file + ": read error");
    return rows;
  }

  CsvTable read_csv_table(const std::string &file, const std::vector<std::string> &required,
                          const std::vector<std::string> &optional, const std::string &open_error)
  {
    CsvTable table;
    table.file = file;
    auto rows  = read_csv_rows(file, open_error);
    if (rows.empty())
      throw InputError(file + ": no header line (expected " + join(required) + ")");
    table.header               = rows.front().fields;
    const unsigned int header_line = rows.front().line;
    std::set<std::string> seen;
    for (const auto &name : table.header)
      {
        const std::string where = file + ":" + std::to_string(header_line) + ": ";
        if (std::find(required.begin(), required.end(), name) == required.end() &&
            std::find(optional.begin(), optional.end(), name) == optional.end())
          throw InputError(where + "unknown column '" + name + "' (columns: " + join(required) + "[," +
                           join(optional) + "])");
        if (!seen.insert(name).second)
          throw InputError(where + "column '" + name + "' appears twice");
      }
    for (const auto &name : required)
      if (seen.count(name) == 0)
        throw InputError(file + ":" + std::to_string(header_line) + ": the header has no column '" + name +
                         "' (required: " + join(required) + ")");
    for (std::size_t k = 1; k < rows.size(); ++k)
      {
        if (rows[k].fields.size() != table.header.size())
          throw InputError(table.where(rows[k]) + ": expected " + std::to_string(table.header.size()) +
                           " columns (" + join(table.header) + "), found " +
                           std::to_string(rows[k].fields.size()));
        table.rows.push_back(std::move(rows[k]));
      }
    return table;
  }

  std::vector<NumericRow> read_numeric_table(const std::string &filename, const unsigned int n_columns,
                                             const std::string &columns, const std::string &context)
  {
    static const char *words[] = {"zero", "one", "two", "three", "four", "five"};
    const std::string  count   = n_columns < 6 ? words[n_columns] : std::to_string(n_columns);
    std::vector<NumericRow> rows;
    bool                    header = false;
    for (const CsvRow &line :
         read_csv_rows(filename, context + ": cannot open '" + filename + "' (missing or unreadable)"))
      {
        const std::string at = filename + ":" + std::to_string(line.line) + ": ";
        NumericRow        row{line.line, {}};
        bool              numeric = true;
        for (const auto &field : line.fields)
          {
            double x = 0;
            numeric &= to_finite_number(field, x);
            row.values.push_back(x);
          }
        if (!numeric)
          {
            if (rows.empty() && !header)
              {
                header = true; // the first line that is not a comment
                continue;
              }
            throw InputError(at + "expected " + count + " numbers '" + columns + "', got '" + line.text +
                             "' (" + context + ")");
          }
        if (row.values.size() != n_columns)
          throw InputError(at + "expected " + count + " numbers '" + columns + "', got " +
                           std::to_string(row.values.size()) + " (" + context + ")");
        rows.push_back(std::move(row));
      }
    return rows;
  }
} // namespace radiotwin
