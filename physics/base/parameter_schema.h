// RadioTwin: parameter declarations and values without deal.II, for the lean pbrpk path.
//
// The whole-body model's parameters are declared once, into a ParameterSchema (names,
// defaults, patterns, documentation); the full program copies the schema into its deal.II
// ParameterHandler (parameter_file.h: declare_schema), the lean `radiotwin pbrpk` reads
// .prm files into ParameterValues directly. Both read values through ParameterReader.
//
// ParameterValues accepts only what deal.II's ParameterHandler would accept with the same
// values, and is stricter where that is simpler (no line continuations, includes, escapes
// or JSON; numbers in plain decimal form): what it cannot vouch for it refuses with
// NeedsFullParameterHandler, and the caller hands the run to the full program, which gives
// deal.II's verdict and message.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace radiotwin
{
  /// The patterns of deal.II's Patterns namespace that the schema's parameters use, with
  /// the same constructor arguments.
  namespace patterns
  {
    class Pattern
    {
    public:
      enum class Kind
      {
        anything,
        integer,
        real,
        selection,
        list,
        map
      };
      virtual ~Pattern() = default;
      virtual Kind                     kind() const = 0;
      /// True only if deal.II's pattern matches too (possibly false where deal.II's would
      /// match: the caller then defers to deal.II).
      virtual bool                     match(const std::string &value) const = 0;
      virtual std::unique_ptr<Pattern> clone() const = 0;
    };

    class Anything : public Pattern
    {
    public:
      Kind                     kind() const override { return Kind::anything; }
      bool                     match(const std::string &) const override { return true; }
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<Anything>(*this); }
    };

    class Integer : public Pattern
    {
    public:
      static constexpr int min_int_value = -2147483647 - 1, max_int_value = 2147483647;
      explicit Integer(int lower_bound = min_int_value, int upper_bound = max_int_value)
        : lower(lower_bound)
        , upper(upper_bound)
      {}
      Kind                     kind() const override { return Kind::integer; }
      bool                     match(const std::string &value) const override;
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<Integer>(*this); }
      int                      lower, upper;
    };

    class Double : public Pattern
    {
    public:
      static constexpr double min_double_value = -1.7976931348623157e308,
                              max_double_value = 1.7976931348623157e308;
      explicit Double(double lower_bound = min_double_value, double upper_bound = max_double_value)
        : lower(lower_bound)
        , upper(upper_bound)
      {}
      Kind                     kind() const override { return Kind::real; }
      bool                     match(const std::string &value) const override;
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<Double>(*this); }
      double                   lower, upper;
    };

    class Selection : public Pattern
    {
    public:
      /// Choices separated by '|', as in deal.II.
      explicit Selection(const std::string &choices_text);
      Kind                     kind() const override { return Kind::selection; }
      bool                     match(const std::string &value) const override;
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<Selection>(*this); }
      std::string              choices; ///< "a|b|c"
    };

    class List : public Pattern
    {
    public:
      static constexpr unsigned int max_int_value = 2147483647;
      List(const Pattern &element, unsigned int min_elements = 0,
           unsigned int max_elements = max_int_value, const std::string &separator = ",");
      List(const List &other);
      Kind                     kind() const override { return Kind::list; }
      bool                     match(const std::string &value) const override;
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<List>(*this); }
      std::unique_ptr<Pattern> element;
      unsigned int             min_elements, max_elements;
      std::string              separator;
    };

    class Map : public Pattern
    {
    public:
      static constexpr unsigned int max_int_value = 2147483647;
      Map(const Pattern &key, const Pattern &value, unsigned int min_elements = 0,
          unsigned int max_elements = max_int_value, const std::string &separator = ",",
          const std::string &key_value_separator = ":");
      Map(const Map &other);
      Kind                     kind() const override { return Kind::map; }
      bool                     match(const std::string &value) const override;
      std::unique_ptr<Pattern> clone() const override { return std::make_unique<Map>(*this); }
      std::unique_ptr<Pattern> key, value;
      unsigned int             min_elements, max_elements;
      std::string              separator, key_value_separator;
    };
  } // namespace patterns

  /// Thrown by ParameterValues for input it does not vouch for: the full program must read
  /// it (its message says why, for a log).
  class NeedsFullParameterHandler : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// Leading and trailing white space removed.
  std::string trim(const std::string &text);
  /// deal.II's Utilities::split_string_list: pieces between separators, trimmed; a trailing
  /// separator adds no empty piece.
  std::vector<std::string> split_list(const std::string &text, const std::string &separator);

  /// Reading access to parameter values, deal.II's ParameterHandler style.
  class ParameterReader
  {
  public:
    virtual ~ParameterReader() = default;
    virtual void        enter_subsection(const std::string &name) = 0;
    virtual void        leave_subsection() = 0;
    virtual std::string get(const std::string &name) const = 0;
    /// The value as a number, read as deal.II reads it (std::istream >> double).
    double              get_double(const std::string &name) const;
    long int            get_integer(const std::string &name) const;
  };

  /// Declared parameters: a tree of subsections with entries (default, pattern, doc).
  class ParameterSchema
  {
  public:
    struct Entry
    {
      std::string                        default_value, documentation;
      std::shared_ptr<patterns::Pattern> pattern;
    };
    struct Section
    {
      std::map<std::string, Entry>   entries;     ///< by name
      std::vector<std::string>       entry_order; ///< declaration order
      std::map<std::string, Section> subsections;
      std::vector<std::string>       subsection_order;
    };

    void enter_subsection(const std::string &name);
    void leave_subsection();
    void declare_entry(const std::string &name, const std::string &default_value,
                       const patterns::Pattern &pattern = patterns::Anything(),
                       const std::string &documentation = "");
    const Section &root() const { return top; }

  private:
    Section                  top;
    std::vector<std::string> path;
    Section &                current();
  };

  /// The values of a schema's parameters, read from a .prm text and overrides.
  class ParameterValues : public ParameterReader
  {
  public:
    explicit ParameterValues(const ParameterSchema &schema);

    /// Parse a .prm text (deal.II's grammar: subsection / set / end, '#' comments).
    void parse_prm(const std::string &text);
    /// Set the entry @p name of the current subsection.
    void set(const std::string &name, const std::string &value);
    bool subsection_path_exists(const std::vector<std::string> &path) const;

    void        enter_subsection(const std::string &name) override;
    void        leave_subsection() override;
    std::string get(const std::string &name) const override;

    /// Every value in deal.II's ShortPRM form (ParameterHandler::print_parameters).
    void print_short_prm(std::ostream &out) const;

  private:
    const ParameterSchema &                       schema;
    std::map<std::vector<std::string>, std::map<std::string, std::string>> values; ///< set ones
    std::vector<std::string>                      path;
    const ParameterSchema::Section *              section_at(const std::vector<std::string> &p) const;
  };
} // namespace radiotwin
