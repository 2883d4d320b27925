// RadioTwin: tissue regions. Each cell carries one as its material id.
#pragma once

#include <deal.II/base/types.h>

#include <array>
#include <string>

namespace radiotwin
{
  enum class Region : dealii::types::material_id
  {
    tumour        = 1, ///< viable tumour rim
    necrotic_core = 2, ///< necrotic core: no vessels, no receptors
    host          = 3  ///< normal host tissue around the tumour
  };

  constexpr std::array<Region, 3> all_regions = {{Region::tumour, Region::necrotic_core,
                                                 Region::host}};

  inline dealii::types::material_id material_id(const Region r)
  {
    return static_cast<dealii::types::material_id>(r);
  }

  /// Name used in parameter sections and outputs.
  inline std::string region_name(const Region r)
  {
    switch (r)
      {
        case Region::tumour:
          return "Tumour";
        case Region::necrotic_core:
          return "Necrotic core";
        case Region::host:
          return "Host";
      }
    return "?";
  }

  /// Name used as a key in summary.json and CSV headers.
  inline std::string region_key(const Region r)
  {
    switch (r)
      {
        case Region::tumour:
          return "tumour";
        case Region::necrotic_core:
          return "necrotic_core";
        case Region::host:
          return "host";
      }
    return "?";
  }

  /// Index 0..2 of a region, for per-region arrays.
  inline unsigned int region_index(const dealii::types::material_id id)
  {
    return static_cast<unsigned int>(id) - 1;
  }
} // namespace radiotwin
