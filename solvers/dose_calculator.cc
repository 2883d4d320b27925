#include "solvers/dose_calculator.h"

#include <deal.II/base/mpi.h>
#include <deal.II/base/partitioner.h>
#include <deal.II/dofs/dof_tools.h>

#include <cmath>
#include <iomanip>
#include <sstream>
#include <unordered_map>

#include "physics/base/input_error.h"
#include "physics/base/csv_table.h"
#include "physics/oxygen.h"
#include "physics/radiobiology.h"
#include "physics/tissue_dosimetry.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  // ---------------------------------------------------------------- dose-point kernel

  DosePointKernel::DosePointKernel(std::vector<double> r_m, std::vector<double> F_per_m)
    : r(std::move(r_m))
    , F(std::move(F_per_m))
    , cumulative(r.size(), 0.0)
  {
    for (std::size_t i = 1; i < r.size(); ++i)
      cumulative[i] = cumulative[i - 1] + 0.5 * (F[i] + F[i - 1]) * (r[i] - r[i - 1]);
  }

  DosePointKernel DosePointKernel::read(const std::string &file, const double tolerance)
  {
    const std::string   context = "dose-point kernel";
    std::vector<double> r, F;
    for (const NumericRow &row : read_numeric_table(file, 2, "r_mm, energy_fraction_per_mm", context))
      {
        const std::string at = file + ":" + std::to_string(row.line) + ": ";
        if (row.values[0] < 0 || row.values[1] < 0)
          throw InputError(at + "negative radius or energy fraction (" + context + ")");
        if (!r.empty() && row.values[0] * units::mm <= r.back())
          throw InputError(at + "radii must increase strictly (" + context + ")");
        r.push_back(row.values[0] * units::mm);
        F.push_back(row.values[1] / units::mm);
      }
    if (r.size() < 2)
      throw InputError(file + ": a dose-point kernel needs at least two rows");
    DosePointKernel k(r, F);
    if (std::abs(k.integral() - 1) > tolerance)
      throw InputError(file + ": the kernel's energy fractions integrate to " +
                       Utilities::to_string(k.integral()) + " over 0-" +
                       Utilities::to_string(r.back() / units::mm) +
                       " mm, not 1 (tolerance " + Utilities::to_string(tolerance) +
                       ", 'Dosimetry/Kernel normalisation tolerance'): a dose-point kernel "
                       "must deposit all the non-penetrating energy");
    return k;
  }

  double DosePointKernel::density(const double x) const
  {
    if (x <= r.front() || x >= r.back())
      return x == r.front() ? F.front() : 0.0;
    const std::size_t i = std::upper_bound(r.begin(), r.end(), x) - r.begin();
    const double      w = (x - r[i - 1]) / (r[i] - r[i - 1]);
    return (1 - w) * F[i - 1] + w * F[i];
  }

  double DosePointKernel::fraction_within(const double x) const
  {
    if (x <= r.front())
      return 0;
    if (x >= r.back())
      return cumulative.back();
    const std::size_t i = std::upper_bound(r.begin(), r.end(), x) - r.begin();
    const double      h = x - r[i - 1];
    return cumulative[i - 1] + 0.5 * h * (F[i - 1] + density(x)); // F is linear in between
  }

  // ---------------------------------------------------------------- parameters

  void DoseCalculator::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Dosimetry");
    prm.declare_entry("Energy deposition", "local", Patterns::Selection("local|dose point kernel"),
                      "'local': the electrons' energy stays where the decay happens (177Lu: mean "
                      "beta range 0.28 mm); 'dose point kernel': convolution with the radial "
                      "kernel of 'Kernel file' (for sub-millimetre uptake patterns).");
    prm.declare_entry("Kernel file", "", Patterns::Anything(),
                      "Radial dose-point kernel table 'r_mm, energy_fraction_per_mm' (fraction of "
                      "a point source's non-penetrating energy absorbed per mm of radius; must "
                      "integrate to 1). Relative to the parameter file. Shipped: "
                      "configs/data/lu177_dose_point_kernel.csv.");
    prm.declare_entry("Kernel cut-off radius [mm]", "1", Patterns::Double(0.01, 10),
                      "Neighbours farther than this do not enter the convolution (the kernel's "
                      "energy beyond it is deposited locally; the fraction is reported). Cost "
                      "grows as (cut-off / mesh size)^3. Unit: mm. Range: 0.01-10.");
    prm.declare_entry("Kernel normalisation tolerance", "0.02", Patterns::Double(0, 1),
                      "Largest accepted |integral of the kernel table - 1|. Unit: none. Range: 0-1.");
    prm.declare_entry("Dose thresholds [Gy]", "5, 10, 20, 40", Patterns::List(Patterns::Double(0, 1e5), 1, 20),
                      "Doses X for the volume fractions V(dose > X) in summary.json. Unit: Gy. "
                      "Range: 0-1e5, 1-20 values.");
    prm.declare_entry("Target BED [Gy]", "20", Patterns::Double(0, 1e5),
                      "BED whose coverage (volume fraction with BED >= target, plain and "
                      "hypoxia-adjusted) summary.json reports per set. Unit: Gy. Range: 0-1e5.");
    prm.declare_entry("Rim thickness [mm]", "0.5", Patterns::Double(0, 1e3),
                      "The 'rim' set is the tumour within this distance of the tumour surface "
                      "(radius from the centre); the 'core' set is the rest of the tumour. Unit: "
                      "mm. Range: 0-1000.");
    prm.declare_entry("DVH rows", "201", Patterns::Integer(2, 100000),
                      "Rows of dvh.csv and dvh_bed_hypoxia_adjusted.csv. Range: 2-100000.");
    prm.leave_subsection();
  }

  void DoseCalculator::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    // The radionuclide, the density and the regions' radiobiology: the run's one set
    // (physics/tissue_dosimetry.h), shared with the whole-body model.
    TissueDosimetry tissue_dosimetry;
    tissue_dosimetry.parse_parameters(prm, file);
    energy_J          = tissue_dosimetry.radionuclide().electron_energy_keV * constants::joule_per_keV;
    density_kg_per_m3 = tissue_dosimetry.density_kg_per_L() * 1e3;
    for (const Region r : all_regions)
      {
        const TissueRadiobiology *rb = tissue_dosimetry.radiobiology(region_key(r));
        if (rb == nullptr)
          file.fail("Radiobiology/Tissues", "the meshed tumour's region '" + region_key(r) +
                                               "' has no entry (needed for its BED)");
        radiobiology[region_index(material_id(r))] = {rb->alpha_beta_Gy, rb->repair_half_time_h,
                                                      rb->alpha_per_Gy};
      }
    prm.enter_subsection("Dosimetry");
    kernel_mode       = prm.get("Energy deposition") == "dose point kernel";
    cutoff_m          = prm.get_double("Kernel cut-off radius [mm]") * units::mm;
    const double tolerance = prm.get_double("Kernel normalisation tolerance");
    const std::string kernel_file = prm.get("Kernel file");
    thresholds_Gy = Utilities::string_to_double(Utilities::split_string_list(prm.get("Dose thresholds [Gy]")));
    target_bed_Gy   = prm.get_double("Target BED [Gy]");
    rim_thickness_m = prm.get_double("Rim thickness [mm]") * units::mm;
    dvh_rows        = prm.get_integer("DVH rows");
    prm.leave_subsection();

    prm.enter_subsection("Oxygen");
    prm.enter_subsection("Hypoxia couplings");
    use_oer     = prm.get_bool("Radiosensitivity (OER)");
    oer_m_alpha = prm.get_double("OER m alpha");
    oer_m_beta  = prm.get_double("OER m beta");
    oer_K_mmHg  = prm.get_double("OER K [mmHg]");
    prm.leave_subsection();
    prm.leave_subsection();

    if (kernel_mode)
      {
        if (Utilities::trim(kernel_file).empty())
          file.fail("Dosimetry/Kernel file", "'Energy deposition = dose point kernel' needs a kernel table");
        try
          {
            kernel = DosePointKernel::read(file.resolve_path(kernel_file), tolerance);
          }
        catch (const InputError &e)
          {
            file.fail("Dosimetry/Kernel file", e.what());
          }
      }
  }

  DoseCalculator::DoseCalculator(const TransportSolver &transport, TimerOutput &timer)
    : transport(transport)
    , timer(timer)
    , comm(transport.dof_handler().get_communicator())
  {}

  void DoseCalculator::set_oxygen(const DoFHandler<3> &dofs, const VectorType &po2_mmHg,
                                  const double threshold)
  {
    o2_dofs           = &dofs;
    o2                = &po2_mmHg;
    hypoxia_threshold = threshold;
  }

  void DoseCalculator::set_kernel(const DosePointKernel &k, const double cutoff)
  {
    kernel      = k;
    cutoff_m    = cutoff;
    kernel_mode = true;
  }

  // ---------------------------------------------------------------- fields

  void DoseCalculator::activity(VectorType &A) const
  {
    const auto &y   = transport.fields();
    const auto &phi = transport.nodal_porosity();
    for (const auto i : transport.dof_handler().locally_owned_dofs())
      A(i) = (phi(i) * y[0](i) + y[2](i) + y[4](i)) * activity_per_nM;
  }

  void DoseCalculator::setup(const Mapping<3> &m, const double activity_MBq_per_nmol)
  {
    mapping = &m;
    TimerOutput::Scope scope(timer, "Dose: setup");
    const auto &dofs     = transport.dof_handler();
    const IndexSet owned = dofs.locally_owned_dofs();
    const IndexSet relevant = DoFTools::extract_locally_relevant_dofs(dofs);
    // nmol/L -> nmol/m^3 (1e3) -> Bq (MBq 1e6)
    activity_per_nM = activity_MBq_per_nmol * 1e6 * 1e3;
    for (VectorType *v : {&rate_prev, &D, &Q, &I, &oer_a, &oer_b, &mu_per_s, &alpha_beta, &alpha,
                          &scratch_activity})
      v->reinit(owned, relevant, comm);

    // Radiobiology of the region holding most of each node's volume.
    const auto &volume = transport.region_lumped_volumes();
    if (o2 && (o2_dofs->n_dofs() != dofs.n_dofs() || o2_dofs->locally_owned_dofs() != owned))
      throw std::logic_error("DoseCalculator: the pO2 DoFs are not numbered like the transport's");
    for (const auto i : owned)
      {
        unsigned int r = 0;
        for (unsigned int k = 1; k < volume.size(); ++k)
          if (volume[k](i) > volume[r](i))
            r = k;
        const Radiobiology &b = radiobiology[r];
        mu_per_s(i)   = std::log(2.0) / (b.repair_half_time_h * units::h);
        alpha_beta(i) = b.alpha_beta_Gy;
        alpha(i)      = b.alpha_per_Gy;
        const double P = o2 ? (*o2)(i) : 1e9; // no oxygen model: oxygenated
        oer_a(i) = use_oer ? physics::oxygen_enhancement_ratio(P, oer_m_alpha, oer_K_mmHg) : 1.0;
        oer_b(i) = use_oer ? physics::oxygen_enhancement_ratio(P, oer_m_beta, oer_K_mmHg) : 1.0;
      }
    if (kernel_mode)
      setup_kernel();
    activity(scratch_activity);
    dose_rate(scratch_activity, rate_prev);
    for (VectorType *v : {&oer_a, &oer_b, &mu_per_s, &alpha_beta, &alpha})
      v->update_ghost_values();
  }

  void DoseCalculator::setup_kernel()
  {
    const auto &         dofs  = transport.dof_handler();
    const IndexSet       owned = dofs.locally_owned_dofs();
    const auto           support = support_points();
    // Every rank learns every node's position: the neighbours of a node may live on any
    // rank. (n_dofs x 4 doubles; a halo exchange would scale further.)
    std::vector<double> mine;
    mine.reserve(4 * owned.n_elements());
    for (const auto i : owned)
      {
        const Point<3> &x = support.at(i);
        mine.insert(mine.end(), {double(i), x[0], x[1], x[2]});
      }
    const auto all = Utilities::MPI::all_gather(comm, mine);
    // Buckets of the cut-off size: the neighbours of a node lie in the 27 around it.
    const auto key = [&](const Point<3> &x) {
      std::array<long, 3> c;
      for (unsigned int d = 0; d < 3; ++d)
        c[d] = static_cast<long>(std::floor(x[d] / cutoff_m));
      return c;
    };
    const auto hash = [](const std::array<long, 3> &c) {
      return (c[0] * 73856093L) ^ (c[1] * 19349663L) ^ (c[2] * 83492791L);
    };
    std::unordered_map<long, std::vector<std::pair<types::global_dof_index, Point<3>>>> buckets;
    for (const auto &part : all)
      for (std::size_t k = 0; k < part.size(); k += 4)
        {
          const Point<3> x(part[k + 1], part[k + 2], part[k + 3]);
          buckets[hash(key(x))].emplace_back(static_cast<types::global_dof_index>(part[k]), x);
        }
    std::vector<std::pair<types::global_dof_index, double>> entries;
    std::vector<types::global_dof_index>                     ghosts;
    std::vector<types::global_dof_index>                     global_neighbour;
    row_start.assign(1, 0);
    weight.clear();
    for (const auto i : owned)
      {
        const Point<3> &x = support.at(i);
        const auto      c = key(x);
        for (long a = -1; a <= 1; ++a)
          for (long b = -1; b <= 1; ++b)
            for (long d = -1; d <= 1; ++d)
              {
                const auto it = buckets.find(hash({{c[0] + a, c[1] + b, c[2] + d}}));
                if (it == buckets.end())
                  continue;
                for (const auto &[j, y] : it->second)
                  {
                    const auto cj = key(y); // hash collisions: keep the true bucket only
                    if (cj[0] != c[0] + a || cj[1] != c[1] + b || cj[2] != c[2] + d || j == i)
                      continue;
                    const double r = x.distance(y);
                    if (r >= cutoff_m)
                      continue;
                    global_neighbour.push_back(j);
                    weight.push_back(kernel.density(r) / (4 * numbers::PI * r * r));
                    if (!owned.is_element(j))
                      ghosts.push_back(j);
                  }
              }
        row_start.push_back(weight.size());
      }
    std::sort(ghosts.begin(), ghosts.end());
    ghosts.erase(std::unique(ghosts.begin(), ghosts.end()), ghosts.end());
    IndexSet ghost_set(dofs.n_dofs());
    ghost_set.add_indices(ghosts.begin(), ghosts.end());
    kernel_partitioner = std::make_shared<Utilities::MPI::Partitioner>(owned, ghost_set, comm);
    extended.reinit(kernel_partitioner);
    neighbour.resize(global_neighbour.size());
    for (std::size_t k = 0; k < neighbour.size(); ++k)
      neighbour[k] = kernel_partitioner->global_to_local(global_neighbour[k]);
    // Weights V_j k(r_ij): the neighbours' lumped volumes through the same ghost layer.
    const auto &volume = transport.lumped_volume();
    for (const auto i : owned)
      extended(i) = volume(i);
    extended.update_ghost_values();
    for (std::size_t k = 0; k < weight.size(); ++k)
      weight[k] *= extended.local_element(neighbour[k]);
  }

  std::map<types::global_dof_index, Point<3>> DoseCalculator::support_points() const
  {
    std::map<types::global_dof_index, Point<3>> points;
    DoFTools::map_dofs_to_support_points(*mapping, transport.dof_handler(), points);
    return points;
  }

  std::size_t DoseCalculator::n_kernel_weights() const
  {
    return Utilities::MPI::sum(weight.size(), comm);
  }

  void DoseCalculator::dose_rate(const VectorType &A, VectorType &rate) const
  {
    const double per_decay = energy_J / density_kg_per_m3; // Gy per (Bq/m^3 s)
    const auto  &owned     = transport.dof_handler().locally_owned_dofs();
    if (!kernel_mode)
      {
        for (const auto i : owned)
          rate(i) = per_decay * A(i);
        return;
      }
    for (const auto i : owned)
      extended(i) = A(i);
    extended.update_ghost_values();
    std::size_t row = 0;
    for (const auto i : owned)
      {
        const double Ai  = A(i);
        double       sum = Ai;
        for (std::size_t k = row_start[row]; k < row_start[row + 1]; ++k)
          sum += weight[k] * (extended.local_element(neighbour[k]) - Ai);
        rate(i) = per_decay * sum;
        ++row;
      }
  }

  void DoseCalculator::advance(const double dt_s)
  {
    activity(scratch_activity);
    advance(dt_s, scratch_activity);
  }

  void DoseCalculator::advance(const double dt_s, const VectorType &A)
  {
    TimerOutput::Scope scope(timer, "Dose: accumulation");
    VectorType rate(rate_prev);
    dose_rate(A, rate);
    const double dt_h = dt_s / units::h;
    for (const auto i : transport.dof_handler().locally_owned_dofs())
      {
        physics::DoseAccumulator acc;
        acc.mu_per_h      = mu_per_s(i) * units::h;
        acc.alpha_beta_Gy = alpha_beta(i);
        acc.D             = D(i);
        acc.Q             = Q(i);
        acc.I             = I(i);
        acc.add(dt_h, rate_prev(i) * units::h, rate(i) * units::h);
        D(i) = acc.D;
        Q(i) = acc.Q;
        I(i) = acc.I;
      }
    // Owned values only: no communication per step (the output copies get their ghosts).
    rate_prev = rate;
  }

  DoseCalculator::VectorType DoseCalculator::dose_Gy() const
  {
    VectorType v(D);
    // Hanging nodes carry no volume; their dose is what their constraints imply.
    transport.distribute_constraints(v);
    return v;
  }

  DoseCalculator::VectorType DoseCalculator::dose_rate_Gy_per_h() const
  {
    VectorType v(rate_prev);
    v *= units::h;
    transport.distribute_constraints(v);
    return v;
  }

  DoseCalculator::VectorType DoseCalculator::bed_Gy() const
  {
    VectorType v(D);
    for (const auto i : transport.dof_handler().locally_owned_dofs())
      v(i) = physics::bed_hypoxia_adjusted_Gy(D(i), I(i), alpha_beta(i), 1.0, 1.0);
    transport.distribute_constraints(v);
    return v;
  }

  DoseCalculator::VectorType DoseCalculator::bed_hypoxia_adjusted_Gy() const
  {
    VectorType v(D);
    for (const auto i : transport.dof_handler().locally_owned_dofs())
      v(i) = physics::bed_hypoxia_adjusted_Gy(D(i), I(i), alpha_beta(i), oer_a(i), oer_b(i));
    transport.distribute_constraints(v);
    return v;
  }

  // ---------------------------------------------------------------- statistics

  namespace
  {
    /// A set of tissue: a volume weight per owned node [m^3].
    struct TissueSet
    {
      std::string         key;
      std::vector<double> weight;
    };

    /// Cumulative volume histogram of a nodal quantity over a set, on [0, max] in `bins`
    /// equal bins: above[b] = volume fraction with value >= b * max / bins.
    struct Cumulative
    {
      double              max = 0;
      std::vector<double> above;
      /// Largest value v such that a fraction >= x of the volume has at least v (D_x).
      double quantile(const double x) const
      {
        const unsigned int bins = above.size() - 1;
        for (unsigned int b = 0; b < bins; ++b)
          if (above[b + 1] < x)
            {
              const double drop = above[b] - above[b + 1];
              const double f    = drop > 0 ? (above[b] - x) / drop : 0.0;
              return (b + std::clamp(f, 0.0, 1.0)) * max / bins;
            }
        return max;
      }
      /// Fraction of the volume with value >= v (linear within a bin).
      double fraction_above(const double v) const
      {
        const unsigned int bins = above.size() - 1;
        if (max <= 0)
          return v <= 0 ? above[0] : 0.0;
        const double       s = v / max * bins;
        const unsigned int b = std::min<unsigned int>(static_cast<unsigned int>(s), bins - 1);
        const double       f = std::clamp(s - b, 0.0, 1.0);
        return (1 - f) * above[b] + f * above[b + 1];
      }
    };

    Cumulative cumulative(const std::vector<double> &value, const std::vector<double> &w,
                          const double global_max, const unsigned int bins, MPI_Comm comm)
    {
      Cumulative c;
      c.max = global_max;
      std::vector<double> hist(bins + 1, 0.0);
      double              total = 0;
      for (std::size_t k = 0; k < value.size(); ++k)
        if (w[k] > 0)
          {
            const unsigned int b =
              global_max > 0 ? std::min<unsigned int>(static_cast<unsigned int>(value[k] / global_max * bins), bins) : 0;
            hist[b] += w[k];
            total += w[k];
          }
      hist.push_back(total);
      Utilities::MPI::sum(hist, comm, hist);
      total = hist.back();
      hist.pop_back();
      // hist[bins] holds the values equal to the maximum.
      c.above.assign(bins + 1, 0.0);
      double running = 0;
      for (int b = bins; b >= 0; --b)
        {
          running += hist[b];
          c.above[b] = total > 0 ? running / total : 0.0;
        }
      // above[b] = fraction >= lower edge of bin b; the last entry is the fraction at max.
      return c;
    }
  } // namespace

  DoseCalculator::Report DoseCalculator::report(const Geometry &geometry) const
  {
    TimerOutput::Scope scope(timer, "Dose: statistics");
    const auto &dofs   = transport.dof_handler();
    const auto &owned  = dofs.locally_owned_dofs();
    const auto &volume = transport.region_lumped_volumes();
    const auto  support = support_points();
    const unsigned int t = region_index(material_id(Region::tumour)),
                       c = region_index(material_id(Region::necrotic_core)),
                       h = region_index(material_id(Region::host));

    const VectorType bed = bed_Gy(), bed_h = bed_hypoxia_adjusted_Gy();
    std::vector<double> dose_v, bed_v, bed_h_v, alpha_v;
    std::vector<TissueSet> sets = {{"tumour", {}},         {"viable_tumour", {}}, {"rim", {}},
                                   {"core", {}},           {"necrotic_core", {}}, {"host", {}}};
    if (o2)
      {
        sets.push_back({"hypoxic_tumour", {}});
        sets.push_back({"normoxic_tumour", {}});
      }
    const double rim_inner = geometry.tumour_radius() - rim_thickness_m;
    Report       result;
    double       energy = 0;
    for (const auto i : owned)
      {
        dose_v.push_back(D(i));
        bed_v.push_back(bed(i));
        bed_h_v.push_back(bed_h(i));
        alpha_v.push_back(alpha(i));
        double node_volume = 0;
        for (const auto &v : volume)
          node_volume += v(i);
        energy += density_kg_per_m3 * D(i) * node_volume;
        const double lesion = volume[t](i) + volume[c](i);
        const bool   in_rim = support.at(i).distance(geometry.centre()) >= rim_inner;
        const bool   hypoxic = o2 && (*o2)(i) < hypoxia_threshold;
        sets[0].weight.push_back(lesion);
        sets[1].weight.push_back(volume[t](i));
        sets[2].weight.push_back(in_rim ? lesion : 0.0);
        sets[3].weight.push_back(in_rim ? 0.0 : lesion);
        sets[4].weight.push_back(volume[c](i));
        sets[5].weight.push_back(volume[h](i));
        if (o2)
          {
            sets[6].weight.push_back(hypoxic ? volume[t](i) : 0.0);
            sets[7].weight.push_back(hypoxic ? 0.0 : volume[t](i));
          }
      }
    result.energy_deposited_J = Utilities::MPI::sum(energy, comm);

    const auto global_max = [&](const std::vector<double> &v) {
      double m = 0;
      for (const double x : v)
        m = std::max(m, x);
      return Utilities::MPI::max(m, comm);
    };
    const double       max_dose = global_max(dose_v), max_bed_h = global_max(bed_h_v);
    constexpr unsigned int bins = 4000;
    std::ostringstream dvh, dvh_bed;
    dvh << std::setprecision(8) << "dose_Gy";
    dvh_bed << std::setprecision(8) << "bed_hypoxia_adjusted_Gy";
    std::vector<Cumulative> dose_cum, bed_cum;
    for (const auto &s : sets)
      {
        double vol = 0, sum_D = 0, sum_bed = 0, sum_bed_h = 0, eud = 0, eud_h = 0, bed_ok = 0,
               bed_h_ok = 0, sum_alpha = 0;
        std::vector<double> above(thresholds_Gy.size(), 0.0);
        for (std::size_t k = 0; k < s.weight.size(); ++k)
          {
            const double w = s.weight[k];
            if (w == 0)
              continue;
            vol += w;
            sum_alpha += w * alpha_v[k];
            sum_D += w * dose_v[k];
            sum_bed += w * bed_v[k];
            sum_bed_h += w * bed_h_v[k];
            eud += w * std::exp(-alpha_v[k] * bed_v[k]);
            eud_h += w * std::exp(-alpha_v[k] * bed_h_v[k]);
            bed_ok += bed_v[k] >= target_bed_Gy ? w : 0.0;
            bed_h_ok += bed_h_v[k] >= target_bed_Gy ? w : 0.0;
            for (std::size_t x = 0; x < thresholds_Gy.size(); ++x)
              above[x] += dose_v[k] > thresholds_Gy[x] ? w : 0.0;
          }
        std::vector<double> sums = {vol, sum_D, sum_bed, sum_bed_h, eud, eud_h, bed_ok, bed_h_ok, sum_alpha};
        sums.insert(sums.end(), above.begin(), above.end());
        Utilities::MPI::sum(sums, comm, sums);
        vol = sums[0];
        if (vol <= 0)
          continue; // e.g. no necrotic core, no hypoxic tumour
        dvh << "," << s.key << "_volume_fraction";
        dvh_bed << "," << s.key << "_volume_fraction";
        dose_cum.push_back(cumulative(dose_v, s.weight, max_dose, bins, comm));
        bed_cum.push_back(cumulative(bed_h_v, s.weight, max_bed_h, bins, comm));
        const double a = sums[8] / vol; // alpha of the set: volume-weighted mean, for the EUD
        Json         j;
        j["volume_mL"] = vol / units::mL;
        j["dose_mean_Gy"] = sums[1] / vol;
        j["D50_Gy"] = dose_cum.back().quantile(0.5);
        j["D90_Gy"] = dose_cum.back().quantile(0.9);
        j["D98_Gy"] = dose_cum.back().quantile(0.98);
        for (std::size_t x = 0; x < thresholds_Gy.size(); ++x)
          j["V_dose_above_" + Utilities::to_string(thresholds_Gy[x]) + "Gy_fraction"] = sums[9 + x] / vol;
        j["bed_mean_Gy"] = sums[2] / vol;
        j["bed_hypoxia_adjusted_mean_Gy"] = sums[3] / vol;
        j["eud_Gy"] = -std::log(sums[4] / vol) / a;
        j["eud_hypoxia_adjusted_Gy"] = -std::log(sums[5] / vol) / a;
        j["fraction_bed_above_target"] = sums[6] / vol;
        j["fraction_bed_hypoxia_adjusted_above_target"] = sums[7] / vol;
        result.sets[s.key] = j;
      }
    dvh << "\n";
    dvh_bed << "\n";
    for (unsigned int row = 0; row < dvh_rows; ++row)
      {
        const double dose = max_dose * row / (dvh_rows - 1), b = max_bed_h * row / (dvh_rows - 1);
        dvh << dose;
        dvh_bed << b;
        for (std::size_t s = 0; s < dose_cum.size(); ++s)
          {
            dvh << "," << dose_cum[s].fraction_above(dose);
            dvh_bed << "," << bed_cum[s].fraction_above(b);
          }
        dvh << "\n";
        dvh_bed << "\n";
      }
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        result.dvh_dose_csv = dvh.str();
        result.dvh_bed_csv  = dvh_bed.str();
      }
    return result;
  }
} // namespace radiotwin
