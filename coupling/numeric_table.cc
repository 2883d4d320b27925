#include "coupling/numeric_table.h"

#include <deal.II/base/utilities.h>

#include <cmath>
#include <fstream>

#include "coupling/input_error.h"

namespace radiotwin
{
  using namespace dealii;

  std::vector<NumericRow> read_numeric_table(const std::string &filename, const unsigned int n_columns,
                                             const std::string &columns, const std::string &context)
  {
    std::ifstream in(filename);
    if (!in)
      throw InputError(context + ": cannot open '" + filename + "' (missing or unreadable)");
    static const char *words[] = {"zero", "one", "two", "three", "four", "five"};
    const std::string  count   = n_columns < 6 ? words[n_columns] : std::to_string(n_columns);
    std::vector<NumericRow> rows;
    std::string             line;
    unsigned int            number = 0;
    bool                    header = false;
    while (std::getline(in, line))
      {
        ++number;
        const auto hash = line.find('#');
        if (hash != std::string::npos)
          line = line.substr(0, hash);
        if (Utilities::trim(line).empty())
          continue;
        const std::string at = filename + ":" + std::to_string(number) + ": ";
        NumericRow        row{number, {}};
        bool              numeric = true;
        for (const auto &field : Utilities::split_string_list(line, ','))
          {
            try
              {
                std::size_t used = 0;
                row.values.push_back(std::stod(field, &used));
                numeric &= used == field.size() && std::isfinite(row.values.back());
              }
            catch (const std::exception &)
              {
                numeric = false;
              }
          }
        if (!numeric)
          {
            if (rows.empty() && !header)
              {
                header = true; // the first line that is not a comment
                continue;
              }
            throw InputError(at + "expected " + count + " numbers '" + columns + "', got '" +
                             Utilities::trim(line) + "' (" + context + ")");
          }
        if (row.values.size() != n_columns)
          throw InputError(at + "expected " + count + " numbers '" + columns + "', got " +
                           std::to_string(row.values.size()) + " (" + context + ")");
        rows.push_back(std::move(row));
      }
    return rows;
  }
} // namespace radiotwin
