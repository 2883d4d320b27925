// RadioTwin: small CSV tables of numbers given by users (plasma curves, dose-point kernels).
#pragma once

#include <string>
#include <vector>

namespace radiotwin
{
  struct NumericRow
  {
    unsigned int        line = 0; ///< 1-based line number in the file
    std::vector<double> values;
  };

  /// The rows of a comma-separated table with `n_columns` finite numbers per row. '#' starts
  /// a comment, blank lines are skipped, and the first non-comment line may be a header. Throws
  /// InputError "FILE:LINE: expected N numbers 'COLUMNS', got ... (CONTEXT)" for any other
  /// row, and "FILE: cannot open ..." when the file cannot be read.
  std::vector<NumericRow> read_numeric_table(const std::string &filename, unsigned int n_columns,
                                             const std::string &columns, const std::string &context);
} // namespace radiotwin
