#include "meshes/concentric_spheres_manifold.h"

#include <deal.II/base/exceptions.h>

#include <algorithm>
#include <cmath>

namespace radiotwin
{
  using namespace dealii;

  ConcentricSpheresManifold::ConcentricSpheresManifold(const Point<3> &centre,
                                                       const double central_cube_half_width_m,
                                                       const std::vector<Surface> &surfaces)
    : centre(centre)
  {
    half_width_m.push_back(central_cube_half_width_m);
    spherical.push_back(false);
    for (const Surface &s : surfaces)
      {
        half_width_m.push_back(s.spherical ? s.size_m / std::sqrt(3.0) : s.size_m);
        spherical.push_back(s.spherical);
        AssertThrow(half_width_m.back() > half_width_m[half_width_m.size() - 2],
                    ExcMessage("ConcentricSpheresManifold: the surfaces must grow outwards"));
      }
  }

  std::unique_ptr<Manifold<3, 3>> ConcentricSpheresManifold::clone() const
  {
    return std::make_unique<ConcentricSpheresManifold>(*this);
  }

  double ConcentricSpheresManifold::distance(const unsigned int j, const double q) const
  {
    return spherical[j] ? std::sqrt(3.0) * half_width_m[j] : half_width_m[j] * q;
  }

  namespace
  {
    // The equiangular warp of the face coordinates, u in [-1, 1] -> w in [-1, 1].
    constexpr double quarter_pi = M_PI / 4;
    double warp(const double u) { return std::tan(quarter_pi * u); }
    double unwarp(const double w) { return std::atan(w) / quarter_pi; }

    unsigned int dominant_axis(const Tensor<1, 3> &z)
    {
      unsigned int k = 0;
      for (unsigned int d = 1; d < 3; ++d)
        if (std::abs(z[d]) > std::abs(z[k]))
          k = d;
      return k;
    }
  } // namespace

  Point<3> ConcentricSpheresManifold::push_forward(const Point<3> &chart_point) const
  {
    const Tensor<1, 3> z = chart_point - centre;
    const double       b0 = half_width_m[0];
    const unsigned int k  = dominant_axis(z);
    const double       m  = std::abs(z[k]);
    Point<3>           y  = centre;
    if (m <= b0)
      {
        // The central cube, warped per coordinate so that its faces carry the same
        // equiangular coordinates as the layer around it.
        for (unsigned int d = 0; d < 3; ++d)
          y[d] += b0 * warp(z[d] / b0);
        return y;
      }
    // The ray through the warped face coordinates: v_k = +-1, v_d = warp(z_d / m).
    Tensor<1, 3> v;
    for (unsigned int d = 0; d < 3; ++d)
      v[d] = d == k ? (z[k] > 0 ? 1.0 : -1.0) : warp(z[d] / m);
    const double q = v.norm();
    // The layer holding m; beyond the last surface (round-off) the last layer extrapolates.
    unsigned int j = 0;
    while (j + 2 < half_width_m.size() && m > half_width_m[j + 1])
      ++j;
    const double t = (m - half_width_m[j]) / (half_width_m[j + 1] - half_width_m[j]);
    const double r = (1 - t) * distance(j, q) + t * distance(j + 1, q);
    return y + v * (r / q);
  }

  Point<3> ConcentricSpheresManifold::pull_back(const Point<3> &space_point) const
  {
    const Tensor<1, 3> z  = space_point - centre;
    const double       b0 = half_width_m[0];
    const unsigned int k  = dominant_axis(z);
    const double       n  = std::abs(z[k]);
    Point<3>           x  = centre;
    if (n <= b0)
      {
        for (unsigned int d = 0; d < 3; ++d)
          x[d] += b0 * unwarp(z[d] / b0);
        return x;
      }
    const Tensor<1, 3> v = z / n; // v_k = +-1, the other two the warped face coordinates
    const double       q = v.norm();
    const double       r = z.norm();
    unsigned int       j = 0;
    while (j + 2 < half_width_m.size() && r > distance(j + 1, q))
      ++j;
    const double d0 = distance(j, q), d1 = distance(j + 1, q);
    const double t  = (r - d0) / (d1 - d0);
    const double m  = half_width_m[j] + t * (half_width_m[j + 1] - half_width_m[j]);
    for (unsigned int d = 0; d < 3; ++d)
      x[d] += d == k ? (z[k] > 0 ? m : -m) : m * unwarp(v[d]);
    return x;
  }

  DerivativeForm<1, 3, 3>
  ConcentricSpheresManifold::push_forward_gradient(const Point<3> &chart_point) const
  {
    const double h = 1e-7 * std::max(half_width_m.back(), 1e-300);
    DerivativeForm<1, 3, 3> gradient;
    for (unsigned int d = 0; d < 3; ++d)
      {
        Point<3> plus = chart_point, minus = chart_point;
        plus[d] += h;
        minus[d] -= h;
        const Tensor<1, 3> column = (push_forward(plus) - push_forward(minus)) / (2 * h);
        for (unsigned int i = 0; i < 3; ++i)
          gradient[i][d] = column[i];
      }
    return gradient;
  }
} // namespace radiotwin
