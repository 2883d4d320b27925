// RadioTwin: the one reader of comma-separated files given by users (plasma curves,
// dose-point kernels, vessel networks). '#' starts a comment to the end of the line, blank
// lines are skipped, fields are trimmed, and every error names the file and the line.
#pragma once

#include <string>
#include <vector>

namespace radiotwin
{
  struct CsvRow
  {
    unsigned int             line = 0; ///< 1-based line number in the file
    std::vector<std::string> fields;
    std::string              text; ///< the line without its comment, trimmed
  };

  /// A table whose first line names its columns.
  struct CsvTable
  {
    std::string              file;
    std::vector<std::string> header;
    std::vector<CsvRow>      rows;

    /// Index of the column, or -1.
    int column(const std::string &name) const;
    /// "FILE:LINE" of a row, for messages.
    std::string where(const CsvRow &row) const { return file + ":" + std::to_string(row.line); }
    /// The number in column @p c of @p row: the whole field, finite. With @p empty_is_nan an
    /// empty field (an unset optional value) is NaN. Throws InputError naming file, line and
    /// column.
    double number(const CsvRow &row, int c, bool empty_is_nan = false) const;
  };

  /// The rows of @p file (comments and blank lines dropped). Throws InputError
  /// "@p open_error" when the file cannot be read.
  std::vector<CsvRow> read_csv_rows(const std::string &file, const std::string &open_error);

  /// A table with a header: every column of @p required must be there, and no column outside
  /// @p required and @p optional (a misspelt optional column, or one in another unit, is not
  /// silently replaced by its default); every row has the header's number of fields.
  CsvTable read_csv_table(const std::string &file, const std::vector<std::string> &required,
                          const std::vector<std::string> &optional, const std::string &open_error);

  struct NumericRow
  {
    unsigned int        line = 0; ///< 1-based line number in the file
    std::vector<double> values;
  };

  /// The rows of a table of `n_columns` finite numbers per row; the first row may be a
  /// header. Throws InputError "FILE:LINE: expected N numbers 'COLUMNS', got ... (CONTEXT)"
  /// for any other row, and "CONTEXT: cannot open ..." when the file cannot be read.
  std::vector<NumericRow> read_numeric_table(const std::string &filename, unsigned int n_columns,
                                             const std::string &columns, const std::string &context);
} // namespace radiotwin
