// Vessel network files: a Y network round-trips through .vtp and the CSV pair, polylines are
// split into segments, and every malformed input ends in one InputError that names the file
// and the offending node or segment. Runs on 1 rank; files go to ./vessel_network_test/.
#define BOOST_TEST_MODULE vessel_network
#include "../test_main.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkDoubleArray.h>
#include <vtkIntArray.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkXMLPolyDataReader.h>
#include <vtkXMLPolyDataWriter.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "physics/base/input_error.h"
#include "meshes/vessel_network.h"
#include "physics/base/units.h"

using namespace radiotwin;
using namespace dealii;
namespace tt = boost::test_tools;

namespace
{
  const std::string dir = "vessel_network_test/";

  std::string path(const std::string &name)
  {
    std::filesystem::create_directories(dir);
    return dir + name;
  }

  void write_text(const std::string &file, const std::string &text)
  {
    std::ofstream out(file);
    out << text;
  }

  /// A Y: inlet 1 -> junction 0 -> outlets 2 and 3, pressure on the three ends. Odd
  /// coordinates and values so that lost digits show.
  VesselNetwork y_network()
  {
    VesselNetwork net;
    net.nodes = {Point<3>(0.1234567890123e-3, 0, 0), Point<3>(-1.1e-3, 0.3e-3, 0),
                 Point<3>(1.7e-3, 0.5e-3, 0.1e-3), Point<3>(1.3e-3, -0.7e-3, 0.2e-3)};
    net.boundary.resize(4);
    net.boundary[1] = {VesselBoundary::Type::pressure, 25.3 * units::mmHg};
    net.boundary[2] = {VesselBoundary::Type::pressure, 12.1 * units::mmHg};
    net.boundary[3] = {VesselBoundary::Type::pressure, 11.7 * units::mmHg};
    net.segments.resize(3);
    net.segments[0] = {1, 0, 12.3 * units::um};
    net.segments[1] = {0, 2, 8.7 * units::um};
    net.segments[2] = {0, 3, 6.1 * units::um};
    net.segments[1].wall_conductivity = 2.8e-7 * units::cm_per_mmHg_s;
    net.segments[2].wall_conductivity = 3.1e-7 * units::cm_per_mmHg_s;
    net.segments[2].permeability = 1.7e-6 * units::cm;
    return net;
  }

  bool same_or_both_nan(const double a, const double b)
  {
    return (std::isnan(a) && std::isnan(b)) ||
           std::abs(a - b) <= 1e-14 * std::max(std::abs(a), std::abs(b));
  }

  /// Equal up to the round-off of the unit conversions (mm, um, mmHg, cm/(mmHg s)).
  void check_same(const VesselNetwork &a, const VesselNetwork &b)
  {
    BOOST_REQUIRE(a.n_nodes() == b.n_nodes());
    BOOST_REQUIRE(a.n_segments() == b.n_segments());
    for (unsigned int n = 0; n < a.n_nodes(); ++n)
      {
        for (unsigned int d = 0; d < 3; ++d)
          BOOST_TEST(same_or_both_nan(a.nodes[n][d], b.nodes[n][d]));
        BOOST_TEST((a.boundary[n].type == b.boundary[n].type));
        BOOST_TEST(same_or_both_nan(a.boundary[n].value, b.boundary[n].value));
      }
    for (unsigned int s = 0; s < a.n_segments(); ++s)
      {
        BOOST_TEST(a.segments[s].node_a == b.segments[s].node_a);
        BOOST_TEST(a.segments[s].node_b == b.segments[s].node_b);
        BOOST_TEST(same_or_both_nan(a.segments[s].radius_m, b.segments[s].radius_m));
        BOOST_TEST(
          same_or_both_nan(a.segments[s].wall_conductivity, b.segments[s].wall_conductivity));
        BOOST_TEST(same_or_both_nan(a.segments[s].permeability, b.segments[s].permeability));
      }
  }

  /// `f` throws an InputError whose message contains `file` and every phrase.
  template <typename F>
  void expect_error(F &&f, const std::string &file, const std::vector<std::string> &phrases)
  {
    try
      {
        f();
        BOOST_ERROR("no InputError for " + file + " (expected: " + phrases.front() + ")");
      }
    catch (const InputError &e)
      {
        const std::string what = e.what();
        BOOST_TEST_MESSAGE(what);
        BOOST_TEST(what.find(file) != std::string::npos, what);
        for (const auto &p : phrases)
          BOOST_TEST(what.find(p) != std::string::npos, "'" + p + "' not in: " + what);
        BOOST_TEST(what.find('\n') == std::string::npos, what);
      }
  }

  const std::string y_nodes_csv = "# a Y\n"
                                  "id,x_mm,y_mm,z_mm,boundary,value\n"
                                  "10,0,0,0,none,0\n"
                                  "11,-1,0,0,pressure_mmHg,25\n"
                                  "\n"
                                  "12,1,0.5,0,pressure_mmHg,10\n"
                                  "13,1,-0.5,0,inflow_nL_per_min,-3\n";
  const std::string y_segments_csv = "id,node_a,node_b,radius_um\n"
                                     "7,11,10,10\n"
                                     "8,10,12,8\n"
                                     "9,10,13,6\n";

  /// Read a CSV pair given as text.
  VesselNetwork csv(const std::string &name, const std::string &nodes,
                    const std::string &segments)
  {
    write_text(path(name + "_nodes.csv"), nodes);
    write_text(path(name + "_segments.csv"), segments);
    return read_network_csv(path(name + "_nodes.csv"), path(name + "_segments.csv"));
  }

  /// Write `poly` with VTK itself, as another program would.
  void write_raw_vtp(vtkPolyData *poly, const std::string &file)
  {
    auto writer = vtkSmartPointer<vtkXMLPolyDataWriter>::New();
    writer->SetFileName(file.c_str());
    writer->SetInputData(poly);
    BOOST_REQUIRE(writer->Write() == 1);
  }

  vtkSmartPointer<vtkDoubleArray> array(const char *name, const std::vector<double> &v)
  {
    auto a = vtkSmartPointer<vtkDoubleArray>::New();
    a->SetName(name);
    for (const double x : v)
      a->InsertNextValue(x);
    return a;
  }

  /// Points 0..3 along x every 1 mm (in mm: read with length unit 1e-3), one polyline.
  vtkSmartPointer<vtkPolyData> polyline()
  {
    auto poly = vtkSmartPointer<vtkPolyData>::New();
    auto points = vtkSmartPointer<vtkPoints>::New();
    points->SetDataTypeToDouble(); // VTK's default float would round 0.4 in the 8th digit
    for (int i = 0; i < 4; ++i)
      points->InsertNextPoint(i, 0.1 * i * i, 0);
    poly->SetPoints(points);
    auto            lines = vtkSmartPointer<vtkCellArray>::New();
    const vtkIdType ids[4] = {0, 1, 2, 3};
    lines->InsertNextCell(4, ids);
    poly->SetLines(lines);
    auto type = vtkSmartPointer<vtkIntArray>::New();
    type->SetName("boundary_type");
    for (const int t : {1, 0, 0, 2})
      type->InsertNextValue(t);
    poly->GetPointData()->AddArray(type);
    poly->GetPointData()->AddArray(array("boundary_value", {20, 0, 0, 5}));
    return poly;
  }
} // namespace

BOOST_AUTO_TEST_CASE(y_network_geometry)
{
  const VesselNetwork net = y_network();
  BOOST_CHECK_NO_THROW(net.check());
  double length = 0, surface = 0;
  for (unsigned int s = 0; s < 3; ++s)
    {
      length += net.length(s);
      surface += 2 * M_PI * net.segments[s].radius_m * net.length(s);
    }
  BOOST_TEST(net.total_length() == length, tt::tolerance(1e-14));
  BOOST_TEST(net.total_surface() == surface, tt::tolerance(1e-14));
  const auto at = net.node_segments();
  BOOST_TEST(at[0] == (std::vector<unsigned int>{0, 1, 2}), tt::per_element());
  BOOST_TEST(at[3] == (std::vector<unsigned int>{2}), tt::per_element());
  const auto [component, n] = net.components();
  BOOST_TEST(n == 1u);
  BOOST_TEST(component == (std::vector<unsigned int>(4, 0)), tt::per_element());

  // Inside a 1.5 mm ball: node 2 at 1.78 mm is out.
  const auto ball = [](const Point<3> &p) { return p.norm() < 1.5e-3; };
  expect_error([&] { net.check(ball); }, "<generated>", {"node 2 at (1.7, 0.5, 0.1) mm",
                                                          "outside the domain"});
}

BOOST_AUTO_TEST_CASE(vtp_round_trip)
{
  const VesselNetwork net = y_network();
  const std::string   file = path("y.vtp");
  write_network_vtp(net, file, {{"pressure_mmHg", {1, 2, 3, 4}}},
                    {{"flow_nL_per_min", {5, 6, 7}}});
  BOOST_TEST(!std::filesystem::exists(file + ".tmp"));
  const VesselNetwork back = read_network_vtp(file);
  BOOST_TEST(back.source == file);
  check_same(net, back);
  // Coordinates are stored in m as Float64: bit for bit.
  for (unsigned int n = 0; n < net.n_nodes(); ++n)
    BOOST_TEST(back.nodes[n] == net.nodes[n]);

  auto reader = vtkSmartPointer<vtkXMLPolyDataReader>::New();
  reader->SetFileName(file.c_str());
  reader->Update();
  vtkPolyData *poly = reader->GetOutput();
  BOOST_TEST(poly->GetNumberOfLines() == 3);
  BOOST_REQUIRE(poly->GetCellData()->GetArray("length_um") != nullptr);
  BOOST_TEST(poly->GetCellData()->GetArray("length_um")->GetComponent(1, 0) ==
               net.length(1) / units::um,
             tt::tolerance(1e-14));
  BOOST_REQUIRE(poly->GetCellData()->GetArray("flow_nL_per_min") != nullptr);
  BOOST_TEST(poly->GetCellData()->GetArray("flow_nL_per_min")->GetComponent(2, 0) == 7);
  BOOST_REQUIRE(poly->GetPointData()->GetArray("pressure_mmHg") != nullptr);
  BOOST_TEST(poly->GetPointData()->GetArray("pressure_mmHg")->GetComponent(3, 0) == 4);

  BOOST_CHECK_THROW(write_network_vtp(net, file, {{"short", {1, 2}}}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(csv_round_trip)
{
  const VesselNetwork net = y_network();
  write_network_csv(net, path("y_nodes.csv"), path("y_segments.csv"));
  BOOST_TEST(!std::filesystem::exists(path("y_nodes.csv.tmp")));
  const VesselNetwork back = read_network_csv(path("y_nodes.csv"), path("y_segments.csv"));
  check_same(net, back);

  // The file's own ids survive a .vtp and a CSV round trip, and name nodes in messages.
  const VesselNetwork ids = csv("ids", y_nodes_csv, y_segments_csv);
  BOOST_TEST(ids.node_ids == (std::vector<long>{10, 11, 12, 13}), tt::per_element());
  BOOST_TEST(ids.segment_ids == (std::vector<long>{7, 8, 9}), tt::per_element());
  BOOST_TEST(ids.segments[0].node_a == 1u);
  BOOST_TEST(ids.nodes[1][0] == -1e-3, tt::tolerance(1e-15));
  BOOST_TEST((ids.boundary[3].type == VesselBoundary::Type::inflow));
  BOOST_TEST(ids.boundary[3].value == -3 * units::nL_per_min, tt::tolerance(1e-14));
  BOOST_TEST(std::isnan(ids.segments[0].wall_conductivity));
  write_network_vtp(ids, path("ids.vtp"));
  const VesselNetwork via_vtp = read_network_vtp(path("ids.vtp"));
  check_same(ids, via_vtp);
  BOOST_TEST(via_vtp.node_ids == ids.node_ids, tt::per_element());
  BOOST_TEST(via_vtp.segment_ids == ids.segment_ids, tt::per_element());
  write_network_csv(ids, path("ids2_nodes.csv"), path("ids2_segments.csv"));
  const VesselNetwork via_csv = read_network_csv(path("ids2_nodes.csv"), path("ids2_segments.csv"));
  check_same(ids, via_csv);
  BOOST_TEST(via_csv.node_ids == ids.node_ids, tt::per_element());
}

BOOST_AUTO_TEST_CASE(vtp_polylines_are_split)
{
  auto poly = polyline();
  poly->GetCellData()->AddArray(array("radius_um", {15}));
  poly->GetCellData()->AddArray(array("wall_Lp_cm_per_mmHg_s", {2e-7}));
  write_raw_vtp(poly, path("polyline.vtp"));
  const VesselNetwork net = read_network_vtp(path("polyline.vtp"), 1e-3);
  BOOST_TEST(net.n_nodes() == 4u);
  BOOST_REQUIRE(net.n_segments() == 3u);
  for (unsigned int s = 0; s < 3; ++s)
    {
      BOOST_TEST(net.segments[s].node_a == s);
      BOOST_TEST(net.segments[s].node_b == s + 1);
      BOOST_TEST(net.segments[s].radius_m == 15e-6, tt::tolerance(1e-14));
      BOOST_TEST(net.segments[s].wall_conductivity == 2e-7 * 0.01 / 133.322387415,
                 tt::tolerance(1e-14));
    }
  BOOST_TEST(net.nodes[2][1] == 0.4e-3, tt::tolerance(1e-14));
  BOOST_TEST((net.boundary[0].type == VesselBoundary::Type::pressure));
  BOOST_TEST(net.boundary[0].value == 20 * 133.322387415, tt::tolerance(1e-14));
  BOOST_TEST((net.boundary[3].type == VesselBoundary::Type::inflow));
  BOOST_TEST(net.boundary[3].value == 5e-12 / 60, tt::tolerance(1e-14));

  // Point radii are averaged onto the segments.
  auto by_point = polyline();
  by_point->GetPointData()->AddArray(array("radius_um", {10, 20, 30, 40}));
  write_raw_vtp(by_point, path("polyline_point_radius.vtp"));
  const VesselNetwork averaged = read_network_vtp(path("polyline_point_radius.vtp"));
  BOOST_TEST(averaged.segments[1].radius_m == 25e-6, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(malformed_csv)
{
  const std::string n = "bad_nodes.csv", s = "bad_segments.csv";
  const auto        read = [&](const std::string &nodes, const std::string &segments) {
    return [=] { csv("bad", nodes, segments); };
  };

  expect_error(read(y_nodes_csv, y_segments_csv + "10,12,99,5\n"), s,
               {":5: segment 10 refers to node 99 which is not in " + dir + n});
  expect_error(read(y_nodes_csv + "14,nan,0,0,none,0\n", y_segments_csv), n,
               {":8: column 'x_mm': 'nan' is not a finite number"});
  expect_error(read(y_nodes_csv + "14,abc,0,0,none,0\n", y_segments_csv), n,
               {":8: column 'x_mm': 'abc' is not a number"});
  expect_error(read(y_nodes_csv, y_segments_csv + "10,12,13,-3\n"), s,
               {"segment 10: radius -3 um must be > 0"});
  expect_error(read(y_nodes_csv + "14,1,0.5,0,none,0\n", y_segments_csv + "10,12,14,5\n"), s,
               {"segment 10: zero length"});
  expect_error(read(y_nodes_csv + "14,2,2,2,none,0\n", y_segments_csv), n,
               {"node 14 is not connected to any segment"});
  expect_error(read(y_nodes_csv + "14,2,2,2,none,0\n15,3,2,2,none,0\n", y_segments_csv + "10,14,15,5\n"), n,
               {"component containing node 14 has no pressure boundary node"});
  expect_error(read(y_nodes_csv + "12,2,2,2,none,0\n", y_segments_csv), n,
               {":8: duplicate node id 12 (first on line 6)"});
  expect_error(read(y_nodes_csv + "14,2,2\n", y_segments_csv), n,
               {":8: expected 6 columns"});
  expect_error(read(y_nodes_csv + "14,2,2,2,pressure_Pa,3\n", y_segments_csv), n,
               {":8: column 'boundary': 'pressure_Pa'"});
  expect_error(read("id,x_mm,y_mm\n", y_segments_csv), n, {"no column 'z_mm'"});
  expect_error(read(y_nodes_csv, "id,node_a,node_b,radius_mm\n"), s,
               {"unknown column 'radius_mm'"});
  expect_error(read(y_nodes_csv, y_segments_csv + "10,12,13,5,-1\n"), s,
               {"expected 4 columns"});
  expect_error(read(y_nodes_csv, "id,node_a,node_b,radius_um,wall_Lp_cm_per_mmHg_s\n7,11,10,10,-1\n"
                                 "8,10,12,8,nan\n9,10,13,6,\n"),
               s, {"segment 7: wall_Lp -1 cm/(mmHg s) must be finite and >= 0"});
  expect_error([] { read_network_csv(dir + "none_nodes.csv", dir + "none_segments.csv"); },
               "none_nodes.csv", {"cannot open vessel network file"});
}

BOOST_AUTO_TEST_CASE(malformed_vtp)
{
  expect_error([] { read_network_vtp(dir + "none.vtp"); }, "none.vtp",
               {"cannot open vessel network file"});

  write_text(path("garbage.vtp"), "this is not XML\n");
  expect_error([] { read_network_vtp(dir + "garbage.vtp"); }, "garbage.vtp",
               {"not a readable VTK XML PolyData file"});

  auto no_radius = polyline();
  write_raw_vtp(no_radius, path("no_radius.vtp"));
  expect_error([] { read_network_vtp(dir + "no_radius.vtp"); }, "no_radius.vtp",
               {"no array 'radius_um'"});

  VesselNetwork negative = y_network();
  negative.segments[1].radius_m = -3e-6;
  write_network_vtp(negative, path("negative_radius.vtp"));
  expect_error([] { read_network_vtp(dir + "negative_radius.vtp"); }, "negative_radius.vtp",
               {"segment 1: radius -3 um must be > 0"});

  auto bad_type = polyline();
  bad_type->GetCellData()->AddArray(array("radius_um", {15}));
  bad_type->GetPointData()->GetArray("boundary_type")->SetComponent(1, 0, 3);
  write_raw_vtp(bad_type, path("bad_type.vtp"));
  expect_error([] { read_network_vtp(dir + "bad_type.vtp"); }, "bad_type.vtp",
               {"point 1: boundary_type 3 is not 0 (none), 1 (pressure) or 2 (inflow)"});

  // No pressure node: the end with an inflow alone leaves the pressure level free.
  auto no_pressure = polyline();
  no_pressure->GetCellData()->AddArray(array("radius_um", {15}));
  no_pressure->GetPointData()->GetArray("boundary_type")->SetComponent(0, 0, 0);
  write_raw_vtp(no_pressure, path("no_pressure.vtp"));
  expect_error([] { read_network_vtp(dir + "no_pressure.vtp"); }, "no_pressure.vtp",
               {"component containing node 0 has no pressure boundary node: the flow problem "
                "is singular"});
}

BOOST_AUTO_TEST_CASE(malformed_generated_network)
{
  VesselNetwork net = y_network();
  net.boundary.pop_back();
  expect_error([&] { net.check(); }, "<generated>", {"3 boundary conditions for 4 nodes"});

  net = y_network();
  net.segments[2].node_b = 7;
  expect_error([&] { net.check(); }, "<generated>", {"segment 2: node index 7 is out of range"});

  net = y_network();
  net.nodes[3][1] = std::numeric_limits<double>::quiet_NaN();
  expect_error([&] { net.check(); }, "<generated>", {"node 3: coordinate y = nan is not finite"});

  net = y_network();
  net.segments[0].permeability = std::numeric_limits<double>::infinity();
  expect_error([&] { net.check(); }, "<generated>", {"segment 0: permeability inf cm/s"});

  net = y_network();
  net.segments.clear();
  expect_error([&] { net.check(); }, "<generated>", {"no segments"});
}
