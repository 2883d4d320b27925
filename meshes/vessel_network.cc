#include "meshes/vessel_network.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkDoubleArray.h>
#include <vtkExecutive.h>
#include <vtkIdTypeArray.h>
#include <vtkIntArray.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkXMLPolyDataReader.h>
#include <vtkXMLPolyDataWriter.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "physics/base/csv_table.h"
#include "physics/base/input_error.h"
#include "physics/base/units.h"
#include "physics/base/atomic_file.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    /// Shorter than this a segment is a duplicated point, not a vessel [m].
    constexpr double min_segment_length = 1e-12;

    /// Solute permeability [cm/s] -> [m/s].
    constexpr double cm_per_s = units::cm / units::s;

    /// A number for a message: 6 significant digits, as a user would type it.
    std::string fmt(const double x)
    {
      std::ostringstream s;
      s << x;
      return s.str();
    }

    std::string fmt_mm(const Point<3> &p)
    {
      return "(" + fmt(p[0] / units::mm) + ", " + fmt(p[1] / units::mm) + ", " +
             fmt(p[2] / units::mm) + ") mm";
    }

    /// Full precision, so that written files read back to the same doubles.
    std::string fmt_full(const double x)
    {
      if (std::isnan(x))
        return "nan"; // not "-nan": the sign of a NaN means nothing here
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", x);
      return buffer;
    }

    std::string trim(const std::string &s)
    {
      const auto first = s.find_first_not_of(" \t\r\n");
      if (first == std::string::npos)
        return "";
      const auto last = s.find_last_not_of(" \t\r\n");
      return s.substr(first, last - first + 1);
    }

    /// Value of a boundary condition in the unit of the files (mmHg, nL/min).
    double boundary_value_in_file_unit(const VesselBoundary &b)
    {
      switch (b.type)
        {
          case VesselBoundary::Type::pressure:
            return b.value / units::mmHg;
          case VesselBoundary::Type::inflow:
            return b.value / units::nL_per_min;
          default:
            return 0;
        }
    }

    // ---------------------------------------------------------------- CSV parsing

    /// A non-negative integer id in column `c`.
    long parse_id(const CsvTable &t, const CsvRow &row, const int c)
    {
      const std::string &text = row.fields[c];
      char              *end = nullptr;
      errno = 0;
      const long long id = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || id < 0)
        throw InputError(t.where(row) + ": column '" + t.header[c] + "': '" + text +
                         "' is not a non-negative integer id");
      return id;
    }

    // ---------------------------------------------------------------- VTK helpers

    /// Collects VTK's error messages instead of letting them go to stderr, so that a bad
    /// file ends in one InputError line.
    class VtkErrorCollector : public vtkCommand
    {
    public:
      static VtkErrorCollector *New() { return new VtkErrorCollector; }

      void Execute(vtkObject *, unsigned long, void *call_data) override
      {
        if (!message.empty() || call_data == nullptr)
          return;
        // VTK's text is "ERROR: In FILE, line N\nClass (0x...): what\n\n": keep `what`.
        std::string text = static_cast<const char *>(call_data);
        const auto  newline = text.find('\n');
        if (text.rfind("ERROR:", 0) == 0 && newline != std::string::npos)
          text = text.substr(newline + 1);
        const auto colon = text.find("): ");
        if (colon != std::string::npos)
          text = text.substr(colon + 3);
        text = trim(text);
        for (auto &ch : text)
          if (ch == '\n')
            ch = ' ';
        message = text.empty() ? "VTK error" : text;
      }

      std::string message;
    };

    /// A one-component array of `data`, or nullptr when absent.
    vtkDataArray *find_array(vtkFieldData *data, const char *name, const std::string &file,
                             const vtkIdType n_tuples)
    {
      vtkDataArray *a = data->GetArray(name);
      if (a == nullptr)
        return nullptr;
      if (a->GetNumberOfComponents() != 1)
        throw InputError(file + ": array '" + name + "' has " +
                         std::to_string(a->GetNumberOfComponents()) +
                         " components, expected 1");
      if (a->GetNumberOfTuples() < n_tuples)
        throw InputError(file + ": array '" + name + "' has " +
                         std::to_string(a->GetNumberOfTuples()) + " values, expected " +
                         std::to_string(n_tuples));
      return a;
    }

    /// File ids from an integer array: used only when all are non-negative integers and
    /// unique, otherwise the array means something else and the index stays the id.
    std::vector<long> ids_from_array(const std::vector<double> &values)
    {
      std::set<long>    seen;
      std::vector<long> ids;
      for (const double v : values)
        {
          if (!(v >= 0) || v != std::floor(v) || v > 9e15 || !seen.insert(long(v)).second)
            return {};
          ids.push_back(long(v));
        }
      return ids;
    }

    vtkSmartPointer<vtkDoubleArray> make_array(const std::string &name,
                                               const std::vector<double> &values)
    {
      auto a = vtkSmartPointer<vtkDoubleArray>::New();
      a->SetName(name.c_str());
      a->SetNumberOfComponents(1);
      a->SetNumberOfTuples(values.size());
      for (std::size_t i = 0; i < values.size(); ++i)
        a->SetValue(i, values[i]);
      return a;
    }
  } // namespace

  // ------------------------------------------------------------------ VesselNetwork

  double VesselNetwork::total_length() const
  {
    double sum = 0;
    for (unsigned int s = 0; s < n_segments(); ++s)
      sum += length(s);
    return sum;
  }

  double VesselNetwork::total_surface() const
  {
    double sum = 0;
    for (unsigned int s = 0; s < n_segments(); ++s)
      sum += 2 * M_PI * segments[s].radius_m * length(s);
    return sum;
  }

  std::vector<std::vector<unsigned int>> VesselNetwork::node_segments() const
  {
    std::vector<std::vector<unsigned int>> at(n_nodes());
    for (unsigned int s = 0; s < n_segments(); ++s)
      for (const unsigned int n : {segments[s].node_a, segments[s].node_b})
        if (n < n_nodes()) // out-of-range ids are check()'s to report
          at[n].push_back(s);
    return at;
  }

  std::pair<std::vector<unsigned int>, unsigned int> VesselNetwork::components() const
  {
    // Union-find with path halving; component numbers in order of the first node.
    std::vector<unsigned int> parent(n_nodes());
    std::iota(parent.begin(), parent.end(), 0u);
    const auto root = [&parent](unsigned int n) {
      while (parent[n] != n)
        n = parent[n] = parent[parent[n]];
      return n;
    };
    for (const auto &seg : segments)
      if (seg.node_a < n_nodes() && seg.node_b < n_nodes())
        parent[root(seg.node_a)] = root(seg.node_b);

    const unsigned int        none = static_cast<unsigned int>(-1);
    std::vector<unsigned int> number_of_root(n_nodes(), none);
    std::vector<unsigned int> component(n_nodes());
    unsigned int              n_components = 0;
    for (unsigned int n = 0; n < n_nodes(); ++n)
      {
        const unsigned int r = root(n);
        if (number_of_root[r] == none)
          number_of_root[r] = n_components++;
        component[n] = number_of_root[r];
      }
    return {component, n_components};
  }

  void VesselNetwork::check(const std::function<bool(const Point<3> &)> &inside) const
  {
    const std::string &seg_file = segment_source.empty() ? source : segment_source;
    const auto node_error = [&](const unsigned int n, const std::string &what) {
      throw InputError(source + ": node " + std::to_string(node_id(n)) + what);
    };
    const auto segment_error = [&](const unsigned int s, const std::string &what) {
      throw InputError(seg_file + ": segment " + std::to_string(segment_id(s)) + ": " + what);
    };

    if (boundary.size() != nodes.size())
      throw InputError(source + ": " + std::to_string(boundary.size()) +
                       " boundary conditions for " + std::to_string(nodes.size()) +
                       " nodes; there must be one per node");
    for (unsigned int n = 0; n < n_nodes(); ++n)
      {
        for (unsigned int d = 0; d < 3; ++d)
          if (!std::isfinite(nodes[n][d]))
            node_error(n, ": coordinate " + std::string(1, char('x' + d)) + " = " +
                            fmt(nodes[n][d]) + " is not finite");
        const auto &b = boundary[n];
        if (b.type != VesselBoundary::Type::none && !std::isfinite(b.value))
          node_error(n, ": boundary value " + fmt(boundary_value_in_file_unit(b)) +
                          (b.type == VesselBoundary::Type::pressure ? " mmHg" : " nL/min") +
                          " is not finite");
      }

    if (segments.empty())
      throw InputError(seg_file + ": the vessel network has no segments");
    for (unsigned int s = 0; s < n_segments(); ++s)
      {
        const auto &seg = segments[s];
        for (const unsigned int n : {seg.node_a, seg.node_b})
          if (n >= n_nodes())
            segment_error(s, "node index " + std::to_string(n) + " is out of range (the network has " +
                               std::to_string(n_nodes()) + " nodes)");
        if (seg.node_a == seg.node_b)
          segment_error(s, "starts and ends at node " + std::to_string(node_id(seg.node_a)));
        if (!(length(s) >= min_segment_length))
          segment_error(s, "zero length: nodes " + std::to_string(node_id(seg.node_a)) +
                             " and " + std::to_string(node_id(seg.node_b)) + " coincide");
        if (!std::isfinite(seg.radius_m) || !(seg.radius_m > 0))
          segment_error(s, "radius " + fmt(seg.radius_m / units::um) + " um must be > 0");
        // NaN means "the region's value"; only negative or infinite values are wrong.
        const double lp = seg.wall_conductivity;
        if (std::isinf(lp) || lp < 0)
          segment_error(s, "wall_Lp " + fmt(lp / units::cm_per_mmHg_s) +
                             " cm/(mmHg s) must be finite and >= 0");
        const double p = seg.permeability;
        if (std::isinf(p) || p < 0)
          segment_error(s, "permeability " + fmt(p / cm_per_s) +
                             " cm/s must be finite and >= 0");
      }

    const auto at = node_segments();
    for (unsigned int n = 0; n < n_nodes(); ++n)
      if (at[n].empty())
        throw InputError(source + ": node " + std::to_string(node_id(n)) +
                         " is not connected to any segment");

    // Without a pressure node a component's pressure is fixed only up to a constant.
    const auto [component, n_components] = components();
    std::vector<bool> has_pressure(n_components, false);
    for (unsigned int n = 0; n < n_nodes(); ++n)
      if (boundary[n].type == VesselBoundary::Type::pressure)
        has_pressure[component[n]] = true;
    for (unsigned int n = 0; n < n_nodes(); ++n)
      if (!has_pressure[component[n]])
        throw InputError(source + ": component containing node " + std::to_string(node_id(n)) +
                         " has no pressure boundary node: the flow problem is singular");

    if (inside)
      {
        for (unsigned int n = 0; n < n_nodes(); ++n)
          if (!inside(nodes[n]))
            node_error(n, " at " + fmt_mm(nodes[n]) + " is outside the domain");
        for (unsigned int s = 0; s < n_segments(); ++s)
          {
            const Point<3> mid = 0.5 * (nodes[segments[s].node_a] + nodes[segments[s].node_b]);
            if (!inside(mid))
              segment_error(s, "midpoint " + fmt_mm(mid) + " is outside the domain");
          }
      }
  }

  // ------------------------------------------------------------------ .vtp

  VesselNetwork read_network_vtp(const std::string &file, const double length_unit_m)
  {
    if (!(length_unit_m > 0) || !std::isfinite(length_unit_m))
      throw InputError(file + ": length unit " + fmt(length_unit_m) + " m must be > 0");
    if (!std::ifstream(file))
      throw InputError(file + ": cannot open vessel network file");

    auto reader = vtkSmartPointer<vtkXMLPolyDataReader>::New();
    auto errors = vtkSmartPointer<VtkErrorCollector>::New();
    reader->SetReaderErrorObserver(errors);
    reader->SetParserErrorObserver(errors);
    reader->AddObserver(vtkCommand::ErrorEvent, errors);
    reader->GetExecutive()->AddObserver(vtkCommand::ErrorEvent, errors);
    reader->SetFileName(file.c_str());
    reader->Update();
    vtkPolyData *poly = reader->GetOutput();
    if (!errors->message.empty() || poly == nullptr)
      throw InputError(file + ": not a readable VTK XML PolyData file (" +
                       (errors->message.empty() ? std::string("no output") : errors->message) +
                       ")");

    const vtkIdType n_points = poly->GetNumberOfPoints();
    if (n_points == 0)
      throw InputError(file + ": the file has no points (vessel network nodes)");
    vtkCellArray *lines = poly->GetLines();
    if (lines == nullptr || lines->GetNumberOfCells() == 0)
      throw InputError(file + ": the file has no line cells (vessel segments)");

    VesselNetwork network;
    network.source = file;
    network.nodes.resize(n_points);
    for (vtkIdType i = 0; i < n_points; ++i)
      {
        double x[3];
        poly->GetPoint(i, x);
        network.nodes[i] = Point<3>(x[0], x[1], x[2]) * length_unit_m;
      }

    // Cell data are ordered verts, lines, polys, strips: line k is cell n_verts + k.
    const vtkIdType n_verts = poly->GetNumberOfVerts();
    const vtkIdType n_cells = poly->GetNumberOfCells();
    vtkCellData    *cd = poly->GetCellData();
    vtkPointData   *pd = poly->GetPointData();
    vtkDataArray   *cell_radius = find_array(cd, "radius_um", file, n_cells);
    vtkDataArray   *point_radius =
      cell_radius != nullptr ? nullptr : find_array(pd, "radius_um", file, n_points);
    if (cell_radius == nullptr && point_radius == nullptr)
      throw InputError(file + ": no array 'radius_um' (cell or point data): vessel radii "
                              "are required");
    vtkDataArray *lp = find_array(cd, "wall_Lp_cm_per_mmHg_s", file, n_cells);
    vtkDataArray *perm = find_array(cd, "permeability_cm_per_s", file, n_cells);
    vtkDataArray *cell_ids = find_array(cd, "segment_id", file, n_cells);

    std::vector<double> file_segment_ids;
    bool                only_two_point_lines = true;
    vtkIdType           line_index = 0;
    vtkIdType           n_line_points = 0;
    const vtkIdType    *points = nullptr;
    lines->InitTraversal();
    while (lines->GetNextCell(n_line_points, points))
      {
        const vtkIdType cell = n_verts + line_index;
        const std::string where = file + ": line cell " + std::to_string(line_index);
        if (n_line_points < 2)
          throw InputError(where + " has " + std::to_string(n_line_points) +
                           " point(s); a vessel needs at least 2");
        for (vtkIdType k = 0; k < n_line_points; ++k)
          if (points[k] < 0 || points[k] >= n_points)
            throw InputError(where + " refers to point " + std::to_string(points[k]) +
                             ", but the file has " + std::to_string(n_points) + " points");
        only_two_point_lines = only_two_point_lines && n_line_points == 2;
        for (vtkIdType k = 0; k + 1 < n_line_points; ++k)
          {
            VesselSegment seg;
            seg.node_a = points[k];
            seg.node_b = points[k + 1];
            const double r_um =
              cell_radius != nullptr ?
                cell_radius->GetComponent(cell, 0) :
                0.5 * (point_radius->GetComponent(seg.node_a, 0) +
                       point_radius->GetComponent(seg.node_b, 0));
            seg.radius_m = r_um * units::um;
            if (lp != nullptr)
              seg.wall_conductivity = lp->GetComponent(cell, 0) * units::cm_per_mmHg_s;
            if (perm != nullptr)
              seg.permeability = perm->GetComponent(cell, 0) * cm_per_s;
            network.segments.push_back(seg);
          }
        if (cell_ids != nullptr)
          file_segment_ids.push_back(cell_ids->GetComponent(cell, 0));
        ++line_index;
      }
    // A split polyline has no id per segment: keep the index then.
    if (cell_ids != nullptr && only_two_point_lines)
      network.segment_ids = ids_from_array(file_segment_ids);
    if (vtkDataArray *ids = find_array(pd, "node_id", file, n_points))
      {
        std::vector<double> values(n_points);
        for (vtkIdType i = 0; i < n_points; ++i)
          values[i] = ids->GetComponent(i, 0);
        network.node_ids = ids_from_array(values);
      }

    network.boundary.resize(n_points);
    if (vtkDataArray *type = find_array(pd, "boundary_type", file, n_points))
      {
        vtkDataArray *value = find_array(pd, "boundary_value", file, n_points);
        for (vtkIdType i = 0; i < n_points; ++i)
          {
            const double t = type->GetComponent(i, 0);
            auto        &b = network.boundary[i];
            if (t == 0)
              continue;
            if (t != 1 && t != 2)
              throw InputError(file + ": point " + std::to_string(network.node_id(i)) +
                               ": boundary_type " + fmt(t) +
                               " is not 0 (none), 1 (pressure) or 2 (inflow)");
            if (value == nullptr)
              throw InputError(file + ": point data 'boundary_type' sets boundary conditions "
                                      "but there is no point data 'boundary_value'");
            b.type = t == 1 ? VesselBoundary::Type::pressure : VesselBoundary::Type::inflow;
            b.value = value->GetComponent(i, 0) *
                      (t == 1 ? units::mmHg : units::nL_per_min);
          }
      }

    network.check();
    return network;
  }

  void write_network_vtp(const VesselNetwork &network, const std::string &file,
                         const std::vector<NetworkField> &node_fields,
                         const std::vector<NetworkField> &segment_fields)
  {
    const unsigned int n_nodes = network.n_nodes(), n_segments = network.n_segments();
    for (const auto &f : node_fields)
      if (f.values.size() != n_nodes)
        throw std::logic_error("write_network_vtp: node field '" + f.name + "' has " +
                               std::to_string(f.values.size()) + " values for " +
                               std::to_string(n_nodes) + " nodes");
    for (const auto &f : segment_fields)
      if (f.values.size() != n_segments)
        throw std::logic_error("write_network_vtp: segment field '" + f.name + "' has " +
                               std::to_string(f.values.size()) + " values for " +
                               std::to_string(n_segments) + " segments");
    if (network.boundary.size() != n_nodes)
      throw std::logic_error("write_network_vtp: one boundary condition per node expected");

    auto poly = vtkSmartPointer<vtkPolyData>::New();
    auto points = vtkSmartPointer<vtkPoints>::New();
    points->SetDataTypeToDouble(); // coordinates read back bit for bit
    points->SetNumberOfPoints(n_nodes);
    for (unsigned int n = 0; n < n_nodes; ++n)
      points->SetPoint(n, network.nodes[n][0], network.nodes[n][1], network.nodes[n][2]);
    poly->SetPoints(points);

    auto lines = vtkSmartPointer<vtkCellArray>::New();
    for (const auto &seg : network.segments)
      {
        const vtkIdType ends[2] = {seg.node_a, seg.node_b};
        lines->InsertNextCell(2, ends);
      }
    poly->SetLines(lines);

    std::vector<double> radius(n_segments), length(n_segments), id(n_segments),
      lp(n_segments), perm(n_segments);
    bool any_lp = false, any_perm = false;
    for (unsigned int s = 0; s < n_segments; ++s)
      {
        const auto &seg = network.segments[s];
        radius[s] = seg.radius_m / units::um;
        length[s] = network.length(s) / units::um;
        id[s] = network.segment_id(s);
        // NaN (the region's value) is written as NaN: the reader takes it back as such.
        lp[s] = seg.wall_conductivity / units::cm_per_mmHg_s;
        perm[s] = seg.permeability / cm_per_s;
        any_lp = any_lp || !std::isnan(lp[s]);
        any_perm = any_perm || !std::isnan(perm[s]);
      }
    vtkCellData *cd = poly->GetCellData();
    cd->AddArray(make_array("radius_um", radius));
    cd->AddArray(make_array("length_um", length));
    auto ids = vtkSmartPointer<vtkIdTypeArray>::New();
    ids->SetName("segment_id");
    ids->SetNumberOfTuples(n_segments);
    for (unsigned int s = 0; s < n_segments; ++s)
      ids->SetValue(s, network.segment_id(s));
    cd->AddArray(ids);
    if (any_lp)
      cd->AddArray(make_array("wall_Lp_cm_per_mmHg_s", lp));
    if (any_perm)
      cd->AddArray(make_array("permeability_cm_per_s", perm));
    for (const auto &f : segment_fields)
      cd->AddArray(make_array(f.name, f.values));

    vtkPointData *pd = poly->GetPointData();
    auto          type = vtkSmartPointer<vtkIntArray>::New();
    type->SetName("boundary_type");
    type->SetNumberOfTuples(n_nodes);
    std::vector<double> value(n_nodes);
    for (unsigned int n = 0; n < n_nodes; ++n)
      {
        type->SetValue(n, static_cast<int>(network.boundary[n].type));
        value[n] = boundary_value_in_file_unit(network.boundary[n]);
      }
    pd->AddArray(type);
    pd->AddArray(make_array("boundary_value", value));
    if (network.node_ids.size() == n_nodes)
      {
        auto node_ids = vtkSmartPointer<vtkIdTypeArray>::New();
        node_ids->SetName("node_id");
        node_ids->SetNumberOfTuples(n_nodes);
        for (unsigned int n = 0; n < n_nodes; ++n)
          node_ids->SetValue(n, network.node_ids[n]);
        pd->AddArray(node_ids);
      }
    for (const auto &f : node_fields)
      pd->AddArray(make_array(f.name, f.values));

    const std::string tmp = file + ".tmp";
    auto              writer = vtkSmartPointer<vtkXMLPolyDataWriter>::New();
    auto              errors = vtkSmartPointer<VtkErrorCollector>::New();
    writer->AddObserver(vtkCommand::ErrorEvent, errors);
    writer->SetFileName(tmp.c_str());
    writer->SetInputData(poly);
    writer->SetDataModeToBinary();
    if (writer->Write() != 1 || !errors->message.empty())
      {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot write '" + tmp + "'" +
                                 (errors->message.empty() ? "" : ": " + errors->message));
      }
    if (std::rename(tmp.c_str(), file.c_str()) != 0)
      {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + file + "'");
      }
  }

  // ------------------------------------------------------------------ CSV

  VesselNetwork read_network_csv(const std::string &nodes_file, const std::string &segments_file)
  {
    VesselNetwork network;
    network.source = nodes_file;
    network.segment_source = segments_file;

    const CsvTable nodes =
      read_csv_table(nodes_file, {"id", "x_mm", "y_mm", "z_mm"}, {"boundary", "value"},
                     nodes_file + ": cannot open vessel network file");
    const int c_id = nodes.column("id"), c_boundary = nodes.column("boundary"),
              c_value = nodes.column("value");
    if ((c_boundary < 0) != (c_value < 0))
      throw InputError(nodes_file + ": columns 'boundary' and 'value' come together");
    if (nodes.rows.empty())
      throw InputError(nodes_file + ": no nodes");

    std::map<long, std::pair<unsigned int, unsigned int>> node_of_id; // id -> (index, line)
    for (const auto &row : nodes.rows)
      {
        const long id = parse_id(nodes, row, c_id);
        const auto [it, inserted] =
          node_of_id.emplace(id, std::make_pair(network.n_nodes(), row.line));
        if (!inserted)
          throw InputError(nodes.where(row) + ": duplicate node id " + std::to_string(id) +
                           " (first on line " + std::to_string(it->second.second) + ")");
        Point<3> p;
        for (unsigned int d = 0; d < 3; ++d)
          p[d] = nodes.number(row, nodes.column(std::string(1, char('x' + d)) + "_mm")) *
                 units::mm;
        VesselBoundary b;
        if (c_boundary >= 0)
          {
            const std::string &kind = row.fields[c_boundary];
            if (kind == "pressure_mmHg")
              b = {VesselBoundary::Type::pressure,
                   nodes.number(row, c_value) * units::mmHg};
            else if (kind == "inflow_nL_per_min")
              b = {VesselBoundary::Type::inflow,
                   nodes.number(row, c_value) * units::nL_per_min};
            else if (kind != "none" && !kind.empty())
              throw InputError(nodes.where(row) + ": column 'boundary': '" + kind +
                               "' is not none, pressure_mmHg or inflow_nL_per_min");
          }
        network.nodes.push_back(p);
        network.boundary.push_back(b);
        network.node_ids.push_back(id);
      }

    const CsvTable segments =
      read_csv_table(segments_file, {"id", "node_a", "node_b", "radius_um"},
                     {"wall_Lp_cm_per_mmHg_s", "permeability_cm_per_s"},
                     segments_file + ": cannot open vessel network file");
    const int c_sid = segments.column("id"), c_a = segments.column("node_a"),
              c_b = segments.column("node_b"), c_r = segments.column("radius_um"),
              c_lp = segments.column("wall_Lp_cm_per_mmHg_s"),
              c_perm = segments.column("permeability_cm_per_s");
    std::map<long, unsigned int> line_of_segment;
    for (const auto &row : segments.rows)
      {
        const long id = parse_id(segments, row, c_sid);
        const auto [it, inserted] = line_of_segment.emplace(id, row.line);
        if (!inserted)
          throw InputError(segments.where(row) + ": duplicate segment id " +
                           std::to_string(id) + " (first on line " +
                           std::to_string(it->second) + ")");
        VesselSegment seg;
        for (const int c : {c_a, c_b})
          {
            const long node = parse_id(segments, row, c);
            const auto found = node_of_id.find(node);
            if (found == node_of_id.end())
              throw InputError(segments.where(row) + ": segment " + std::to_string(id) +
                               " refers to node " + std::to_string(node) +
                               " which is not in " + nodes_file);
            (c == c_a ? seg.node_a : seg.node_b) = found->second.first;
          }
        seg.radius_m = segments.number(row, c_r) * units::um;
        // Empty or 'nan': the region's value.
        if (c_lp >= 0)
          seg.wall_conductivity = segments.number(row, c_lp, true) * units::cm_per_mmHg_s;
        if (c_perm >= 0)
          seg.permeability = segments.number(row, c_perm, true) * cm_per_s;
        network.segments.push_back(seg);
        network.segment_ids.push_back(id);
      }

    network.check();
    return network;
  }

  void write_network_csv(const VesselNetwork &network, const std::string &nodes_file,
                         const std::string &segments_file)
  {
    if (network.boundary.size() != network.n_nodes())
      throw std::logic_error("write_network_csv: one boundary condition per node expected");

    std::ostringstream nodes;
    nodes << "# RadioTwin vessel network nodes (" << network.source << ")\n"
          << "id,x_mm,y_mm,z_mm,boundary,value\n";
    for (unsigned int n = 0; n < network.n_nodes(); ++n)
      {
        const auto &b = network.boundary[n];
        nodes << network.node_id(n);
        for (unsigned int d = 0; d < 3; ++d)
          nodes << ',' << fmt_full(network.nodes[n][d] / units::mm);
        switch (b.type)
          {
            case VesselBoundary::Type::pressure:
              nodes << ",pressure_mmHg," << fmt_full(b.value / units::mmHg);
              break;
            case VesselBoundary::Type::inflow:
              nodes << ",inflow_nL_per_min," << fmt_full(b.value / units::nL_per_min);
              break;
            default:
              nodes << ",none,0";
          }
        nodes << '\n';
      }

    std::ostringstream segments;
    segments << "# RadioTwin vessel network segments (" << network.source << "); nan: the "
             << "tissue region's value\n"
             << "id,node_a,node_b,radius_um,wall_Lp_cm_per_mmHg_s,permeability_cm_per_s\n";
    for (unsigned int s = 0; s < network.n_segments(); ++s)
      {
        const auto &seg = network.segments[s];
        segments << network.segment_id(s) << ',' << network.node_id(seg.node_a) << ','
                 << network.node_id(seg.node_b) << ',' << fmt_full(seg.radius_m / units::um)
                 << ',' << fmt_full(seg.wall_conductivity / units::cm_per_mmHg_s) << ','
                 << fmt_full(seg.permeability / cm_per_s) << '\n';
      }

    write_file_atomically(nodes_file, nodes.str());
    write_file_atomically(segments_file, segments.str());
  }
} // namespace radiotwin
