// RadioTwin: seeded synthetic tumour vasculature (see vessel_generator.h).
//
// Algorithm (all lengths in m; c = tumour centre, R = tumour radius, Rc = core radius,
// D = domain radius or cube half-size, h = sprout step, a = anastomosis distance):
//
//  1. Parent vessels. For each of the n_parent_vessels: a random unit normal n and a random
//     unit direction t perpendicular to it; the vessel is the chord x(s) = c + d n + s t of the
//     domain shrunk by max(2 h, 0.2 mm), which passes the tumour centre at the distance d,
//     uniform in [R + 0.3 mm, R + (D - R)/2] (both limits pulled in for thin host shells).
//     It bows sideways (along n x t, so it never comes closer to the tumour) by a random
//     parabolic offset up to 5% of its length, is cut into equal segments <= h of
//     radius parent_radius, and gets the pressure inlet_pressure at its first node and
//     outlet_pressure at its last.
//  2. TAF field. c(x) = 1 in the viable rim Rc < |x-c| <= R, 0 in the core, exp(-(|x-c|-R)/L)
//     outside (L = taf_decay_length). Its direction g: radially inward outside the tumour;
//     inside the rim, where c is flat, the tangential part of (old direction + random unit
//     vector), a random walk along the shells that keeps tips in the rim.
//  3. Tip cells. Time advances in steps. In each step every interior parent-vessel node that
//     has not sprouted yet starts a sprout with probability branching_probability * c there
//     (drawn as the expected count, its fraction by a Bernoulli trial, then the nodes with
//     probability proportional to c); more start while fewer than n_parent_vessels tips are
//     active. A sprout heads up the gradient, with some noise. Then every active tip takes
//       d = normalise(1.0 d_old + w g + 0.35 N(0, I)),  w = 0.8 outside, 0.5 in the rim,
//     and moves to x + h d, adding a segment of radius capillary_radius. A step whose
//     segment would touch the necrotic core is turned tangentially (plus a little outward,
//     which never touches it); a step that would end within 0.2 mm of the domain boundary
//     is discarded and the tip stops (a blind end).
//     Anastomosis: the nearest node within a of the new tip, except the nodes within
//     K = max(3, ceil(2a/h) + 1) segments of it in the graph (its own recent path, its
//     sprouting node's neighbours), and reachable without touching the core, is joined to
//     it by a segment; the tip stops. This closes loops through the parent vessels:
//     perfusable paths. A uniform hash grid of cell size a makes the search O(1).
//     Branching: otherwise, with probability branching_probability * c(x), a new tip starts
//     at the new node, its direction turned by 60 degrees about a random axis.
//  4. Stop as soon as the vessel length in the viable rim (measured exactly as
//     vessel_density_by_region does) reaches target density * rim volume, or after
//     4 * (target length / h) + 10^5 attempted tip steps (at most 5 10^6), or when every
//     parent node has sprouted and no tip is left (a target beyond what the rules can reach:
//     large anastomosis distance, no branching). Then the network made so far is returned;
//     vessel_density_by_region reports what was achieved.
//  Nothing is removed: every node hangs on a parent vessel by construction, so every
//  connected component has pressure nodes. Unconnected sprout tips are blind ends (no BC).
//
// Reproducibility: the random numbers come from std::mt19937_64 (its output sequence is fixed
// by the C++ standard) through this file's own transforms (53-bit uniform, Marsaglia polar
// normal, rejection-sampled unit vectors), never the implementation-defined
// std::*_distribution, and no decision depends on hash-table order. Same seed -> the same
// network on every rank and run. Across platforms the results are bit-identical where the
// floating-point arithmetic is: exp (TAF) and log (normal transform) are the only libm calls
// besides the exact sqrt; x86-64 builds without -march have no FMA to contract into, other
// targets (aarch64, -march=native) need -ffp-contract=off for bit-equality.

#include "meshes/vessel_generator.h"

#include <deal.II/base/tensor.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <unordered_map>
#include <vector>

#include "physics/base/input_error.h"
#include "physics/regions.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    using Vec = Tensor<1, 3>;

    // Walk weights (dimensionless), see the algorithm above.
    constexpr double persistence_weight     = 1.0;
    constexpr double host_chemotaxis_weight = 0.8;
    constexpr double rim_guidance_weight    = 0.5;
    constexpr double noise_sigma            = 0.35;
    constexpr double sprout_noise_sigma     = 0.5;
    constexpr double core_escape_outward    = 0.2; ///< radial part added when turning off the core

    constexpr double node_margin_m     = 0.2e-3; ///< nodes stay this far inside the domain
    constexpr double pass_clearance_m  = 0.3e-3; ///< parent vessels pass the tumour at least this far
    constexpr double sample_spacing_m  = 5e-6;   ///< density sampling along segments
    constexpr std::size_t max_steps_cap = 5000000;

    const unsigned int rim_index  = region_index(material_id(Region::tumour));
    const unsigned int core_index = region_index(material_id(Region::necrotic_core));
    const unsigned int host_index = region_index(material_id(Region::host));

    /// Platform-independent random numbers from the raw mt19937_64 stream.
    class Random
    {
    public:
      explicit Random(const std::uint64_t seed)
        : engine(seed)
      {}

      /// Uniform in [0, 1) with 53 random bits.
      double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

      /// Uniform in (-1, 1).
      double symmetric()
      {
        double u;
        do
          u = 2 * uniform() - 1;
        while (u <= -1);
        return u;
      }

      /// Standard normal (Marsaglia polar method; the second value is kept for the next call).
      double normal()
      {
        if (has_spare)
          {
            has_spare = false;
            return spare;
          }
        double u, v, s;
        do
          {
            u = symmetric();
            v = symmetric();
            s = u * u + v * v;
          }
        while (s >= 1 || s == 0);
        const double f = std::sqrt(-2 * std::log(s) / s);
        spare          = v * f;
        has_spare      = true;
        return u * f;
      }

      Vec normal_vector()
      {
        Vec v;
        for (unsigned int d = 0; d < 3; ++d)
          v[d] = normal();
        return v;
      }

      /// Uniform on the unit sphere (rejection from the cube).
      Vec unit_vector()
      {
        while (true)
          {
            Vec v;
            for (unsigned int d = 0; d < 3; ++d)
              v[d] = symmetric();
            const double n2 = v.norm_square();
            if (n2 <= 1 && n2 > 1e-6)
              return v / std::sqrt(n2);
          }
      }

      /// Uniform unit vector perpendicular to the unit vector @p n.
      Vec unit_perpendicular(const Vec &n)
      {
        while (true)
          {
            Vec       v  = unit_vector();
            v           -= (v * n) * n;
            const double l = v.norm();
            if (l > 1e-3)
              return v / l;
          }
      }

    private:
      std::mt19937_64 engine;
      double          spare     = 0;
      bool            has_spare = false;
    };

    /// The tumour geometry: regions, domain and TAF field.
    struct Shape
    {
      explicit Shape(const VesselGeneratorParameters &p)
        : centre(p.centre)
        , R(p.tumour_radius_m)
        , Rc(p.core_radius_m)
        , D(p.domain_radius_m)
        , cube(p.cube_domain)
        , taf_length(p.taf_decay_length_m)
      {}

      double radius(const Point<3> &x) const { return (x - centre).norm(); }

      /// Distance from @p x to the domain boundary, positive inside.
      double depth(const Point<3> &x) const
      {
        if (!cube)
          return D - radius(x);
        double m = 0;
        for (unsigned int d = 0; d < 3; ++d)
          m = std::max(m, std::abs(x[d] - centre[d]));
        return D - m;
      }

      /// Region index of @p x, or -1 outside the domain.
      int region(const Point<3> &x) const
      {
        const double r = radius(x);
        if (r < Rc)
          return core_index;
        if (r <= R)
          return rim_index;
        return depth(x) >= 0 ? static_cast<int>(host_index) : -1;
      }

      double taf(const Point<3> &x) const
      {
        const double r = radius(x);
        if (r < Rc)
          return 0;
        if (r <= R)
          return 1;
        return std::exp(-(r - R) / taf_length);
      }

      /// Outward radial unit vector at @p x (any unit vector at the centre).
      Vec radial(const Point<3> &x) const
      {
        const Vec    v = x - centre;
        const double r = v.norm();
        if (r > 0)
          return v / r;
        Vec e;
        e[0] = 1;
        return e;
      }

      double volume(const unsigned int region_idx) const
      {
        const double ball = 4.0 / 3.0 * M_PI;
        if (region_idx == core_index)
          return ball * Rc * Rc * Rc;
        if (region_idx == rim_index)
          return ball * (R * R * R - Rc * Rc * Rc);
        return (cube ? 8 * D * D * D : ball * D * D * D) - ball * R * R * R;
      }

      Point<3> centre;
      double   R, Rc, D;
      bool     cube;
      double   taf_length;
    };

    double distance_to_segment(const Point<3> &a, const Point<3> &b, const Point<3> &p)
    {
      const Vec    ab = b - a;
      const double l2 = ab.norm_square();
      double       t  = l2 > 0 ? ((p - a) * ab) / l2 : 0;
      t               = std::min(1.0, std::max(0.0, t));
      return (a + t * ab - p).norm();
    }

    /// Adds the length (and wall surface 2 pi r dl) of the segment a-b to the regions of its
    /// sample points: midpoints of max(4, ceil(L / 5 um)) equal pieces. Outside: dropped.
    void add_by_region(const Point<3> &a, const Point<3> &b, const double radius,
                       const Shape &shape, std::array<double, 3> &length,
                       std::array<double, 3> *surface = nullptr)
    {
      const Vec          ab = b - a;
      const double       L  = ab.norm();
      const unsigned int n =
        std::max(4u, static_cast<unsigned int>(std::ceil(L / sample_spacing_m)));
      const double dl = L / n;
      for (unsigned int i = 0; i < n; ++i)
        {
          const int r = shape.region(a + ((i + 0.5) / n) * ab);
          if (r < 0)
            continue;
          length[r] += dl;
          if (surface)
            (*surface)[r] += 2 * M_PI * radius * dl;
        }
    }

    /// Uniform hash grid of node ids for the anastomosis search.
    class HashGrid
    {
    public:
      HashGrid(const Point<3> &lower_corner, const double extent, const double cell)
        : lo(lower_corner)
        , h(std::max(cell, extent / (1 << 20)))
      {
        cells.reserve(1 << 16);
      }

      void insert(const Point<3> &x, const unsigned int id) { cells[key(index(x))].push_back(id); }

      /// Calls f(id) for every node in the cells that overlap the ball (x, r).
      template <typename F>
      void for_each_near(const Point<3> &x, const double r, F &&f) const
      {
        Point<3> lo_x = x, hi_x = x;
        for (unsigned int d = 0; d < 3; ++d)
          {
            lo_x[d] -= r;
            hi_x[d] += r;
          }
        const auto i0 = index(lo_x), i1 = index(hi_x);
        for (long i = i0[0]; i <= i1[0]; ++i)
          for (long j = i0[1]; j <= i1[1]; ++j)
            for (long k = i0[2]; k <= i1[2]; ++k)
              {
                const auto it = cells.find(key({{i, j, k}}));
                if (it != cells.end())
                  for (const unsigned int id : it->second)
                    f(id);
              }
      }

    private:
      std::array<long, 3> index(const Point<3> &x) const
      {
        std::array<long, 3> i;
        for (unsigned int d = 0; d < 3; ++d)
          i[d] = std::min<long>((1 << 21) - 1,
                                std::max<long>(0, static_cast<long>(std::floor((x[d] - lo[d]) / h))));
        return i;
      }
      static std::uint64_t key(const std::array<long, 3> &i)
      {
        return (static_cast<std::uint64_t>(i[0]) << 42) | (static_cast<std::uint64_t>(i[1]) << 21) |
               static_cast<std::uint64_t>(i[2]);
      }

      Point<3> lo;
      double   h;
      std::unordered_map<std::uint64_t, std::vector<unsigned int>> cells;
    };

    class Generator
    {
    public:
      explicit Generator(const VesselGeneratorParameters &p)
        : p(p)
        , shape(p)
        , rng(p.seed)
        , grid(Point<3>(p.centre[0] - p.domain_radius_m, p.centre[1] - p.domain_radius_m,
                        p.centre[2] - p.domain_radius_m),
               2 * p.domain_radius_m, p.anastomosis_distance_m)
      {
        exclusion_depth = std::max(
          3u, static_cast<unsigned int>(std::ceil(2 * p.anastomosis_distance_m / p.sprout_step_m)) + 1);
        tip_margin = std::min(node_margin_m, 0.25 * (shape.D - shape.R));
      }

      VesselNetwork run()
      {
        make_parent_vessels();

        const double target =
          p.target_rim_length_density_per_mm2 / (units::mm * units::mm) * shape.volume(rim_index);
        const std::size_t max_steps =
          std::min<std::size_t>(max_steps_cap,
                                4 * static_cast<std::size_t>(std::ceil(target / p.sprout_step_m)) +
                                  100000);
        const unsigned int min_tips = std::max(1u, p.n_parent_vessels);

        std::vector<Tip> tips, next;
        std::size_t      steps = 0;
        while (length[rim_index] < target && steps < max_steps)
          {
            // Parent vessels sprout like tips branch: every interior node that has not
            // sprouted yet with probability branching_probability * TAF per step; at least
            // min_tips tips stay active while unsprouted nodes remain.
            const double expected = p.branching_probability * taf_scale * sprout_weight.back();
            std::size_t  n_new    = static_cast<std::size_t>(std::floor(expected));
            if (rng.uniform() < expected - n_new)
              ++n_new;
            n_new = std::max(n_new, tips.size() < min_tips ? min_tips - tips.size() : 0);
            for (std::size_t i = 0; i < n_new && sprout_weight.back() > 0; ++i)
              tips.push_back(new_sprout());
            if (tips.empty())
              break; // every parent node has sprouted and every tip has stopped
            next.clear();
            for (const Tip &tip : tips)
              {
                Tip t = tip;
                ++steps;
                if (advance(t, next))
                  next.push_back(t);
                if (length[rim_index] >= target || steps >= max_steps)
                  break;
              }
            std::swap(tips, next);
          }

        network.source = "<generator seed " + std::to_string(p.seed) + ">";
        const Shape s = shape;
        network.check([s](const Point<3> &x) { return s.depth(x) > 0; });
        return std::move(network);
      }

    private:
      struct Tip
      {
        unsigned int node;
        Vec          dir;
      };

      unsigned int add_node(const Point<3> &x, const VesselBoundary &bc = {})
      {
        const unsigned int id = network.nodes.size();
        network.nodes.push_back(x);
        network.boundary.push_back(bc);
        neighbours.emplace_back();
        visited.push_back(0);
        grid.insert(x, id);
        return id;
      }

      void add_segment(const unsigned int a, const unsigned int b, const double radius)
      {
        VesselSegment s;
        s.node_a   = a;
        s.node_b   = b;
        s.radius_m = radius;
        network.segments.push_back(s);
        neighbours[a].push_back(b);
        neighbours[b].push_back(a);
        add_by_region(network.nodes[a], network.nodes[b], radius, shape, length);
      }

      void make_parent_vessels()
      {
        const double R = shape.R, D = shape.D;
        // Ends at least two steps (and the node margin) inside the boundary.
        const double end_margin =
          std::min(std::max(2 * p.sprout_step_m, node_margin_m), 0.5 * (D - R));
        const double D_end = D - end_margin;
        const double d_lo  = R + std::min(pass_clearance_m, 0.25 * (D_end - R));
        const double d_hi  = std::max(d_lo, R + std::min(0.5 * (D - R), 0.75 * (D_end - R)));

        for (unsigned int v = 0; v < p.n_parent_vessels; ++v)
          {
            const Vec    n = rng.unit_vector();
            const Vec    t = rng.unit_perpendicular(n);
            const Vec    b = cross_product_3d(n, t);
            const double d = d_lo + (d_hi - d_lo) * rng.uniform();
            const Point<3> p0 = shape.centre + d * n;

            // Parameter range [s0, s1] of the chord inside the shrunk domain.
            double s0, s1;
            if (!shape.cube)
              {
                const double half = std::sqrt(std::max(0.0, D_end * D_end - d * d));
                s0                = -half;
                s1                = half;
              }
            else
              {
                s0 = -std::numeric_limits<double>::max();
                s1 = std::numeric_limits<double>::max();
                for (unsigned int k = 0; k < 3; ++k)
                  if (std::abs(t[k]) > 1e-12)
                    {
                      const double q  = p0[k] - shape.centre[k];
                      const double a1 = (-D_end - q) / t[k], a2 = (D_end - q) / t[k];
                      s0              = std::max(s0, std::min(a1, a2));
                      s1              = std::min(s1, std::max(a1, a2));
                    }
              }
            // Sideways bow 4 A u (1 - u) (u = 0..1 along the chord), A up to 5% of the chord;
            // its slope is at most 4 A / chord, so pieces of the chord of length
            // h / sqrt(1 + (4 A / chord)^2) give segments no longer than h.
            const double       chord = s1 - s0;
            const double       bow   = 0.05 * chord * rng.uniform();
            const double       slope = 4 * bow / chord;
            const unsigned int n_seg = std::max(
              2u,
              static_cast<unsigned int>(std::ceil(chord * std::sqrt(1 + slope * slope) / p.sprout_step_m)));

            const auto point = [&](const unsigned int i, const double amplitude) {
              const double u = static_cast<double>(i) / n_seg;
              return p0 + (s0 + u * chord) * t + (amplitude * 4 * u * (1 - u)) * b;
            };
            double amplitude = bow;
            for (unsigned int i = 1; i < n_seg; ++i) // the ends lie on the chord
              if (shape.depth(point(i, amplitude)) < tip_margin)
                amplitude = 0; // the bow would leave the domain: keep it straight

            unsigned int previous = 0;
            for (unsigned int i = 0; i <= n_seg; ++i)
              {
                VesselBoundary bc;
                if (i == 0 || i == n_seg)
                  {
                    bc.type  = VesselBoundary::Type::pressure;
                    bc.value = i == 0 ? p.inlet_pressure_Pa : p.outlet_pressure_Pa;
                  }
                const unsigned int id = add_node(point(i, amplitude), bc);
                if (i > 0)
                  add_segment(previous, id, p.parent_radius_m);
                if (i > 0 && i < n_seg)
                  sprout_nodes.push_back(id); // the pressure ends do not sprout
                previous = id;
              }
          }

        // TAF relative to its largest value on the parent vessels (no underflow to all zeros
        // for a short decay length): c = taf_scale * sprout_taf.
        double r_min = std::numeric_limits<double>::max();
        for (const unsigned int id : sprout_nodes)
          r_min = std::min(r_min, shape.radius(network.nodes[id]));
        taf_scale = std::exp(-(r_min - shape.R) / shape.taf_length);
        for (const unsigned int id : sprout_nodes)
          sprout_taf.push_back(
            std::exp(-(shape.radius(network.nodes[id]) - r_min) / shape.taf_length));
        update_sprout_weights();
      }

      void update_sprout_weights()
      {
        sprout_weight.resize(sprout_taf.size());
        double sum = 0;
        for (std::size_t k = 0; k < sprout_taf.size(); ++k)
          sprout_weight[k] = (sum += sprout_taf[k]);
      }

      /// A new tip at a parent-vessel node that has not sprouted yet, drawn with probability
      /// proportional to the TAF there; it heads up the gradient, with some noise.
      Tip new_sprout()
      {
        const double u = rng.uniform() * sprout_weight.back();
        std::size_t  k =
          std::upper_bound(sprout_weight.begin(), sprout_weight.end(), u) - sprout_weight.begin();
        k = std::min(k, sprout_nodes.size() - 1);
        while (sprout_taf[k] == 0 && k > 0) // u rounded up to the total: the last one left
          --k;
        sprout_taf[k] = 0;
        update_sprout_weights();
        const unsigned int id  = sprout_nodes[k];
        const Vec          in  = -shape.radial(network.nodes[id]);
        Vec                dir = in + sprout_noise_sigma * rng.normal_vector();
        const double       l   = dir.norm();
        return {id, l > 1e-12 ? dir / l : in};
      }

      /// Direction of the TAF gradient (or the rim's random walk along the shells) at x.
      Vec guidance(const Point<3> &x, const Vec &old_dir)
      {
        const Vec    er = shape.radial(x);
        const double r  = shape.radius(x);
        if (r > shape.R)
          return -host_chemotaxis_weight * er;
        if (r < shape.Rc)
          return er;
        Vec          g = old_dir + rng.unit_vector();
        g             -= (g * er) * er;
        const double l = g.norm();
        return l > 1e-12 ? (rim_guidance_weight / l) * g : Vec();
      }

      bool touches_core(const Point<3> &a, const Point<3> &b) const
      {
        return shape.Rc > 0 && distance_to_segment(a, b, shape.centre) < shape.Rc * (1 + 1e-9);
      }

      /// One step of a tip; returns false when the tip stops. Branches go into @p new_tips.
      bool advance(Tip &tip, std::vector<Tip> &new_tips)
      {
        const Point<3> x = network.nodes[tip.node];
        Vec d = persistence_weight * tip.dir + guidance(x, tip.dir) + noise_sigma * rng.normal_vector();
        double l = d.norm();
        d        = l > 1e-12 ? d / l : tip.dir;
        Point<3> y = x + p.sprout_step_m * d;

        if (touches_core(x, y))
          {
            // Turn along the core surface, slightly outward: |x(s) - c| then grows from x on.
            const Vec er = shape.radial(x);
            Vec       tg = d - (d * er) * er;
            l            = tg.norm();
            tg           = l > 1e-6 ? tg / l : rng.unit_perpendicular(er);
            d            = tg + core_escape_outward * er;
            d           /= d.norm();
            y            = x + p.sprout_step_m * d;
            if (touches_core(x, y))
              return false;
          }
        if (shape.depth(y) <= tip_margin)
          return false;

        const unsigned int id = add_node(y);
        add_segment(tip.node, id, p.capillary_radius_m);
        tip.node = id;
        tip.dir  = d;

        // Anastomosis with the nearest node not on the tip's recent path.
        const unsigned int partner = find_partner(id);
        if (partner != numbers::invalid_unsigned_int)
          {
            add_segment(id, partner, p.capillary_radius_m);
            return false;
          }

        if (rng.uniform() < p.branching_probability * shape.taf(y))
          {
            Vec b = 0.5 * d + (0.5 * std::sqrt(3.0)) * rng.unit_perpendicular(d);
            new_tips.push_back({id, b / b.norm()});
          }
        return true;
      }

      unsigned int find_partner(const unsigned int tip)
      {
        // Nodes within exclusion_depth segments of the tip (breadth-first), marked with
        // this search's stamp.
        ++stamp;
        excluded.assign(1, tip);
        visited[tip]            = stamp;
        std::size_t level_begin = 0;
        for (unsigned int level = 0; level < exclusion_depth; ++level)
          {
            const std::size_t level_end = excluded.size();
            for (std::size_t i = level_begin; i < level_end; ++i)
              for (const unsigned int nb : neighbours[excluded[i]])
                if (visited[nb] != stamp)
                  {
                    visited[nb] = stamp;
                    excluded.push_back(nb);
                  }
            level_begin = level_end;
          }

        const Point<3> &x        = network.nodes[tip];
        const double    a2       = p.anastomosis_distance_m * p.anastomosis_distance_m;
        unsigned int    best     = numbers::invalid_unsigned_int;
        double          best_d2  = 0;
        grid.for_each_near(x, p.anastomosis_distance_m, [&](const unsigned int id) {
          const double d2 = network.nodes[id].distance_square(x);
          if (d2 > a2 || d2 == 0)
            return;
          if (best != numbers::invalid_unsigned_int && (d2 > best_d2 || (d2 == best_d2 && id > best)))
            return;
          if (visited[id] == stamp)
            return;
          if (touches_core(x, network.nodes[id]))
            return;
          best    = id;
          best_d2 = d2;
        });
        return best;
      }

      const VesselGeneratorParameters &p;
      const Shape                      shape;
      Random                           rng;
      HashGrid                         grid;
      unsigned int                     exclusion_depth = 3;
      double                           tip_margin      = node_margin_m;

      VesselNetwork                          network;
      std::vector<std::vector<unsigned int>> neighbours;
      std::vector<unsigned int>              sprout_nodes;  ///< interior parent-vessel nodes
      std::vector<double>                    sprout_taf;    ///< TAF / taf_scale there, 0 once sprouted
      double                                 taf_scale = 1; ///< TAF at the parent node closest to the tumour
      std::vector<double>                    sprout_weight; ///< cumulative sprout_taf
      std::vector<unsigned int>              excluded; ///< nodes near the tip in the graph
      std::vector<std::uint64_t>             visited;  ///< stamp of the last search that excluded it
      std::uint64_t                          stamp = 0;
      std::array<double, 3>                  length{}; ///< by region index [m]
    };

    void check_parameters(const VesselGeneratorParameters &p)
    {
      const auto fail = [](const std::string &what) {
        throw InputError("Vessel network/Generator: " + what);
      };
      if (!(p.tumour_radius_m > 0))
        fail("the tumour radius must be positive");
      if (!(p.core_radius_m >= 0 && p.core_radius_m < p.tumour_radius_m))
        fail("the necrotic core radius must be smaller than the tumour radius");
      if (!(p.domain_radius_m > 1.02 * p.tumour_radius_m))
        fail("the domain must extend beyond the tumour to hold the parent vessels");
      if (p.n_parent_vessels < 1)
        fail("at least one parent vessel is needed");
      if (!(p.parent_radius_m > 0 && p.capillary_radius_m > 0))
        fail("vessel radii must be positive");
      if (!(p.sprout_step_m > 0 && p.anastomosis_distance_m > 0 && p.taf_decay_length_m > 0))
        fail("sprout step, anastomosis distance and TAF decay length must be positive");
      if (!(p.target_rim_length_density_per_mm2 > 0))
        fail("the target rim vessel length density must be positive");
      if (!(p.branching_probability >= 0 && p.branching_probability <= 1))
        fail("the branching probability must lie in [0, 1]");
    }
  } // namespace

  void declare_vessel_generator_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Seed", "1", Patterns::Integer(0),
                      "Seed of the random number generator (std::mt19937_64); the same seed and "
                      "parameters give the same network on every platform. Unit: none. Range: "
                      "0-2147483647.");
    prm.declare_entry("Number of parent vessels", "4", Patterns::Integer(1, 64),
                      "Straight-ish parent vessels through the host tissue that pass the tumour "
                      "and feed the sprouts; each has a pressure inlet and outlet. Range: 1-64.");
    prm.declare_entry("Parent vessel radius [um]", "40", Patterns::Double(1, 1000),
                      "Radius of the parent vessels. Unit: um. Range: 1-1000.");
    prm.declare_entry("Capillary radius [um]", "6", Patterns::Double(1, 100),
                      "Radius of the sprouted capillaries. Unit: um. Range: 1-100.");
    prm.declare_entry("Target rim vessel length density [mm^-2]", "20", Patterns::Double(0.1, 1000),
                      "Sprouting stops when the vessel length per tissue volume in the viable "
                      "rim (mm of vessel per mm^3 of tissue) reaches this value; roughly twice "
                      "the histological microvessel density counted per mm^2 of section. Unit: "
                      "mm^-2. Range: 0.1-1000.");
    prm.declare_entry("Sprout step [um]", "100", Patterns::Double(1, 1000),
                      "Distance a tip cell moves per step, i.e. the length of a capillary "
                      "segment (parent vessels are cut into segments of at most this length). "
                      "Unit: um. Range: 1-1000.");
    prm.declare_entry("Branching probability", "0.1", Patterns::Double(0, 1),
                      "Probability per tip and step that a tip branches, multiplied by the TAF "
                      "concentration (1 in the viable rim). Unit: none. Range: 0-1.");
    prm.declare_entry("Anastomosis distance [um]", "60", Patterns::Double(1, 1000),
                      "A tip this close to a node of another vessel fuses with it (closing a "
                      "perfusable loop) and stops. Unit: um. Range: 1-1000.");
    prm.declare_entry("TAF decay length [mm]", "1", Patterns::Double(0.01, 100),
                      "Decay length of the tumour angiogenic factor outside the tumour; sets "
                      "which parent-vessel nodes sprout. Unit: mm. Range: 0.01-100.");
    prm.declare_entry("Inlet pressure [mmHg]", "25", Patterns::Double(0, 300),
                      "Blood pressure at the first (arterial) end of each parent vessel. Unit: "
                      "mmHg. Range: 0-300.");
    prm.declare_entry("Outlet pressure [mmHg]", "10", Patterns::Double(0, 300),
                      "Blood pressure at the last (venous) end of each parent vessel. Unit: "
                      "mmHg. Range: 0-300.");
  }

  VesselGeneratorParameters parse_vessel_generator_parameters(ParameterHandler &prm)
  {
    VesselGeneratorParameters p;
    p.seed                              = static_cast<unsigned int>(prm.get_integer("Seed"));
    p.n_parent_vessels                  = prm.get_integer("Number of parent vessels");
    p.parent_radius_m                   = prm.get_double("Parent vessel radius [um]") * units::um;
    p.capillary_radius_m                = prm.get_double("Capillary radius [um]") * units::um;
    p.target_rim_length_density_per_mm2 = prm.get_double("Target rim vessel length density [mm^-2]");
    p.sprout_step_m                     = prm.get_double("Sprout step [um]") * units::um;
    p.branching_probability             = prm.get_double("Branching probability");
    p.anastomosis_distance_m            = prm.get_double("Anastomosis distance [um]") * units::um;
    p.taf_decay_length_m                = prm.get_double("TAF decay length [mm]") * units::mm;
    p.inlet_pressure_Pa                 = prm.get_double("Inlet pressure [mmHg]") * units::mmHg;
    p.outlet_pressure_Pa                = prm.get_double("Outlet pressure [mmHg]") * units::mmHg;
    return p;
  }

  VesselNetwork generate_tumour_vasculature(const VesselGeneratorParameters &p)
  {
    check_parameters(p);
    Generator generator(p);
    return generator.run();
  }

  VesselDensityReport vessel_density_by_region(const VesselNetwork &network,
                                               const VesselGeneratorParameters &geometry)
  {
    const Shape           shape(geometry);
    VesselDensityReport   report;
    std::array<double, 3> length{}, surface{};
    for (const VesselSegment &s : network.segments)
      add_by_region(network.nodes[s.node_a], network.nodes[s.node_b], s.radius_m, shape, length,
                    &surface);
    for (const unsigned int r : {rim_index, core_index, host_index})
      {
        report.volume_m3[r] = shape.volume(r);
        if (report.volume_m3[r] > 0)
          {
            report.length_density_per_m2[r] = length[r] / report.volume_m3[r];
            report.surface_density_per_m[r] = surface[r] / report.volume_m3[r];
          }
      }
    return report;
  }
} // namespace radiotwin
