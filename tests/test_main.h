// RadioTwin tests: Boost.Test with MPI initialised once for the whole test module, and the
// source tree's location for configs.
#pragma once

#include <deal.II/base/mpi.h>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

struct MpiFixture
{
  MpiFixture()
  {
    auto &suite = boost::unit_test::framework::master_test_suite();
    mpi = std::make_unique<dealii::Utilities::MPI::MPI_InitFinalize>(suite.argc, suite.argv, 1);
  }
  std::unique_ptr<dealii::Utilities::MPI::MPI_InitFinalize> mpi;
};
BOOST_TEST_GLOBAL_FIXTURE(MpiFixture);

inline std::string source_path(const std::string &relative)
{
  return std::string(RADIOTWIN_SOURCE_DIR) + "/" + relative;
}
