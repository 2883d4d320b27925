#include "physics/ligand_kinetics.h"

#include <cmath>
#include <stdexcept>

#include "physics/binding.h"

namespace radiotwin::physics
{
  namespace
  {
    using Matrix = std::array<std::array<double, 6>, 6>;

    /// Jacobian of ligand_rates.
    Matrix ligand_jacobian(const LigandKinetics &k, const LigandState &y)
    {
      Matrix J{};
      const double r_free = k.receptors - y[bound_hot] - y[bound_cold];
      const double phi    = k.porosity;
      for (unsigned int s = 0; s < 2; ++s)
        {
          const unsigned int c = free_hot + s, b = bound_hot + s, m = internalised_hot + s;
          // binding flux f_s = k_on c_s r_free - k_off b_s, with d r_free / d b_(any) = -1
          const double df_dc = k.k_on * r_free;
          J[c][c] -= df_dc / phi;
          J[b][c] += df_dc;
          for (unsigned int s2 = 0; s2 < 2; ++s2)
            {
              const unsigned int b2 = bound_hot + s2;
              const double df_db = -k.k_on * y[c] - (s2 == s ? k.k_off : 0.0);
              J[c][b2] -= df_db / phi;
              J[b][b2] += df_db;
            }
          J[b][b] -= k.lambda_int;
          J[m][b] += k.lambda_int;
          J[m][m] -= k.lambda_rel;
        }
      for (const unsigned int p : {free_hot, bound_hot, internalised_hot})
        {
          J[p][p] -= k.lambda;
          J[p + 1][p] += k.lambda;
        }
      return J;
    }

    /// Solve A x = r (6x6, partial pivoting); r is overwritten by x.
    void solve6(Matrix A, LigandState &r)
    {
      for (unsigned int col = 0; col < 6; ++col)
        {
          unsigned int pivot = col;
          for (unsigned int i = col + 1; i < 6; ++i)
            if (std::abs(A[i][col]) > std::abs(A[pivot][col]))
              pivot = i;
          if (A[pivot][col] == 0.0)
            throw std::runtime_error("ligand kinetics: singular Newton matrix");
          std::swap(A[col], A[pivot]);
          std::swap(r[col], r[pivot]);
          for (unsigned int i = col + 1; i < 6; ++i)
            {
              const double f = A[i][col] / A[col][col];
              for (unsigned int j = col; j < 6; ++j)
                A[i][j] -= f * A[col][j];
              r[i] -= f * r[col];
            }
        }
      for (int i = 5; i >= 0; --i)
        {
          for (unsigned int j = i + 1; j < 6; ++j)
            r[i] -= A[i][j] * r[j];
          r[i] /= A[i][i];
        }
    }

    /// Solve the stage equation z = base + h gamma f(z) by Newton, starting from guess.
    LigandState stage(const LigandKinetics &k, const LigandState &base, const double hg,
                      LigandState z)
    {
      for (unsigned int it = 0; it < 30; ++it)
        {
          const LigandState f = ligand_rates(k, z);
          LigandState       r;
          double            size = 0, change = 0;
          for (unsigned int i = 0; i < 6; ++i)
            {
              r[i] = -(z[i] - base[i] - hg * f[i]);
              size = std::max(size, std::abs(z[i]));
            }
          Matrix A = ligand_jacobian(k, z);
          for (unsigned int i = 0; i < 6; ++i)
            for (unsigned int j = 0; j < 6; ++j)
              A[i][j] = (i == j ? 1.0 : 0.0) - hg * A[i][j];
          solve6(A, r);
          for (unsigned int i = 0; i < 6; ++i)
            {
              z[i] += r[i];
              change = std::max(change, std::abs(r[i]));
            }
          // The residual is quadratic in the state: Newton converges in a few iterations.
          if (change <= 1e-13 * std::max(size, 1e-300))
            break;
        }
      return z;
    }
  } // namespace

  LigandState ligand_rates(const LigandKinetics &k, const LigandState &y)
  {
    LigandState  f{};
    const double r_free = k.receptors - y[bound_hot] - y[bound_cold];
    for (unsigned int s = 0; s < 2; ++s)
      {
        const unsigned int c = free_hot + s, b = bound_hot + s, m = internalised_hot + s;
        const double bind = binding_rate(k.k_on, y[c], r_free, k.k_off, y[b]);
        f[c] -= bind / k.porosity;
        f[b] += bind - k.lambda_int * y[b];
        f[m] += k.lambda_int * y[b] - k.lambda_rel * y[m];
      }
    for (const unsigned int p : {free_hot, bound_hot, internalised_hot})
      {
        f[p] -= k.lambda * y[p];
        f[p + 1] += k.lambda * y[p];
      }
    return f;
  }

  std::array<double, 2> advance_ligand_kinetics(const LigandKinetics &k, LigandState &y,
                                                const double dt, const unsigned int n_steps)
  {
    // Alexander's SDIRK2: z1 = y + h g f(z1); z2 = y + h (1-g) f(z1) + h g f(z2); y_new = z2.
    const double gamma = 1.0 - 1.0 / std::sqrt(2.0);
    const double h     = dt / n_steps;
    std::array<double, 2> released{{0.0, 0.0}};
    for (unsigned int n = 0; n < n_steps; ++n)
      {
        const LigandState z1 = stage(k, y, h * gamma, y);
        const LigandState f1 = ligand_rates(k, z1);
        LigandState       base;
        for (unsigned int i = 0; i < 6; ++i)
          base[i] = y[i] + h * (1 - gamma) * f1[i];
        const LigandState z2 = stage(k, base, h * gamma, z1);
        // Release with the method's own weights (1-g, g): the balance closes to round-off.
        for (unsigned int s = 0; s < 2; ++s)
          released[s] += h * k.lambda_rel *
                         ((1 - gamma) * z1[internalised_hot + s] + gamma * z2[internalised_hot + s]);
        y = z2;
      }
    return released;
  }
} // namespace radiotwin::physics
