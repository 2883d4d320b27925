// RadioTwin: the curved geometry of the generated meshes (a ball inside concentric spherical
// shells, optionally inside a cube) as one chart over the flat coarse mesh.
//
// The coarse mesh is a "cubed sphere": a central cube, then layers of six frustums whose
// lateral edges run along the rays through the cube corners. Its flat (polyhedral) version is
// the chart: each layer lies between two concentric cubes of half-widths b_j < b_{j+1}. A
// chart point x in the pyramid of face k (z = x - c, m = |z_k| = |z|_inf, face coordinates
// u = z_d / m in [-1, 1]) goes to the ray v = (+-1 on axis k, w(u) on the others) with the
// equiangular warp w(u) = tan(pi u / 4) (uniform in angle, as in the equiangular cubed
// sphere of Ronchi et al. 1996), at the distance
//     |y - c| = (1 - t) D_j(q) + t D_{j+1}(q),  t = (m - b_j) / (b_{j+1} - b_j),  q = |v|,
// where D(q) = R for a sphere of radius R = sqrt(3) b and D(q) = b q for a flat cube (the
// central cube, a host cube). The central cube is warped per coordinate, b0 w(z_d / b0), so
// that its faces carry the same coordinates as the layer around it. Spheres are spheres
// exactly and cubes stay flat; every coarse vertex is a fixed point; the map is continuous
// across coarse faces and smooth inside each coarse cell; its inverse is in closed form
// (pull_back), so refinement through the chart costs two cheap maps per point.
// (Without the warp, w = u, the cells at the corners of a cube face are half the size of
// those at its centre, and Q2 reached an L2 rate of only 2.80 on level 3 of the MMS test.)
//
// Why: refining through deal.II's SphericalManifold and TransfiniteInterpolationManifold
// took 12 s per million cells (a Newton iteration per new point); refining flat and then
// mapping every vertex once takes a small fraction of that (docs/benchmarks.md), and later
// refinement (adaptivity, restarts) through this chart puts new points exactly where the
// flat-then-map route would.
#pragma once

#include <deal.II/base/point.h>
#include <deal.II/grid/manifold.h>

#include <memory>
#include <vector>

namespace radiotwin
{
  class ConcentricSpheresManifold : public dealii::ChartManifold<3, 3, 3>
  {
  public:
    /// A layer boundary: a sphere of the given radius [m], or a flat cube of the given
    /// half-width [m].
    struct Surface
    {
      bool   spherical;
      double size_m;
    };

    /// `central_cube_half_width_m`: the flat central cube (identity inside); `surfaces`: the
    /// layer boundaries from the inside out.
    ConcentricSpheresManifold(const dealii::Point<3> &centre, double central_cube_half_width_m,
                              const std::vector<Surface> &surfaces);

    std::unique_ptr<dealii::Manifold<3, 3>> clone() const override;

    /// Flat chart point -> curved point.
    dealii::Point<3> push_forward(const dealii::Point<3> &chart_point) const override;
    /// Curved point -> flat chart point (closed form).
    dealii::Point<3> pull_back(const dealii::Point<3> &space_point) const override;
    /// By central differences (used only for tangent vectors and normals).
    dealii::DerivativeForm<1, 3, 3>
    push_forward_gradient(const dealii::Point<3> &chart_point) const override;

  private:
    /// Distance from the centre [m] of surface j along a ray with q = |z| / |z|_inf.
    double distance(unsigned int j, double q) const;

    dealii::Point<3>    centre;
    std::vector<double> half_width_m; ///< b_j: chart cube half-widths, b_0 the central cube
    std::vector<bool>   spherical;    ///< whether surface j is a sphere (else a flat cube)
  };
} // namespace radiotwin
