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
          J[c][c] -= k.exchange_out / phi;
        }
      for (const unsigned int p : {free_hot, bound_hot, internalised_hot})
        {
          J[p][p] -= k.lambda;
          J[p + 1][p] += k.lambda;
        }
      return J;
    }

    /// LU factors of a 6x6 matrix (partial pivoting): one factorisation, several solves.
    class LU6
    {
    public:
      explicit LU6(Matrix A) : lu(A)
      {
        for (unsigned int i = 0; i < 6; ++i)
          perm[i] = i;
        for (unsigned int col = 0; col < 6; ++col)
          {
            unsigned int pivot = col;
            for (unsigned int i = col + 1; i < 6; ++i)
              if (std::abs(lu[i][col]) > std::abs(lu[pivot][col]))
                pivot = i;
            if (lu[pivot][col] == 0.0)
              throw std::runtime_error("ligand kinetics: singular Newton matrix");
            std::swap(lu[col], lu[pivot]);
            std::swap(perm[col], perm[pivot]);
            for (unsigned int i = col + 1; i < 6; ++i)
              {
                const double f = lu[i][col] /= lu[col][col];
                for (unsigned int j = col + 1; j < 6; ++j)
                  lu[i][j] -= f * lu[col][j];
              }
          }
      }
      /// r is overwritten by A^-1 r.
      void solve(LigandState &r) const
      {
        LigandState x;
        for (unsigned int i = 0; i < 6; ++i)
          {
            x[i] = r[perm[i]];
            for (unsigned int j = 0; j < i; ++j)
              x[i] -= lu[i][j] * x[j];
          }
        for (int i = 5; i >= 0; --i)
          {
            for (unsigned int j = i + 1; j < 6; ++j)
              x[i] -= lu[i][j] * x[j];
            x[i] /= lu[i][i];
          }
        r = x;
      }

    private:
      Matrix                      lu;
      std::array<unsigned int, 6> perm;
    };

    /// I - hg J
    Matrix newton_matrix(const Matrix &J, const double hg)
    {
      Matrix A;
      for (unsigned int i = 0; i < 6; ++i)
        for (unsigned int j = 0; j < 6; ++j)
          A[i][j] = (i == j ? 1.0 : 0.0) - hg * J[i][j];
      return A;
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
          LU6(newton_matrix(ligand_jacobian(k, z), hg)).solve(r);
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
        f[c] += (k.exchange_in * k.plasma[s] - k.exchange_out * y[c] - bind) / k.porosity;
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

  KineticsStep advance_ligand_kinetics(const LigandKinetics &k, LigandState &y, const double dt,
                                       const unsigned int n_steps, const bool sensitivity)
  {
    // Alexander's SDIRK2: z1 = y + h g f(z1); z2 = y + h (1-g) f(z1) + h g f(z2); y_new = z2.
    const double gamma = 1.0 - 1.0 / std::sqrt(2.0);
    const double h     = dt / n_steps;
    KineticsStep out;
    // Forward sensitivities dy/dc_p (columns: c_p hot, c_p cold): the stage equations
    // differentiated, (I - h g J(z)) dz = d(base) + h g df/dc_p, with J at the converged
    // stage (one factorisation per stage for both columns).
    std::array<LigandState, 2> &S = out.state_sensitivity; // S[p][i] = dy_i / dc_p,p
    const double dfp = k.exchange_in / k.porosity;         // df_(c_p) / d c_p,p
    for (unsigned int n = 0; n < n_steps; ++n)
      {
        const LigandState z1 = stage(k, y, h * gamma, y);
        const LigandState f1 = ligand_rates(k, z1);
        LigandState       base;
        for (unsigned int i = 0; i < 6; ++i)
          base[i] = y[i] + h * (1 - gamma) * f1[i];
        const LigandState z2 = stage(k, base, h * gamma, z1);
        for (unsigned int s = 0; s < 2; ++s)
          {
            const unsigned int c = free_hot + s, m = internalised_hot + s;
            out.released[s] += h * k.lambda_rel * ((1 - gamma) * z1[m] + gamma * z2[m]);
            out.uptake[s] += h * (k.exchange_in * k.plasma[s] -
                                  k.exchange_out * ((1 - gamma) * z1[c] + gamma * z2[c]));
          }
        if (sensitivity)
          {
            const Matrix J1 = ligand_jacobian(k, z1);
            const LU6    A1(newton_matrix(J1, h * gamma));
            const LU6    A2(newton_matrix(ligand_jacobian(k, z2), h * gamma));
            for (unsigned int p = 0; p < 2; ++p)
              {
                LigandState s1 = S[p];
                s1[free_hot + p] += h * gamma * dfp;
                A1.solve(s1);
                LigandState s2 = S[p];
                for (unsigned int i = 0; i < 6; ++i)
                  for (unsigned int j = 0; j < 6; ++j)
                    s2[i] += h * (1 - gamma) * J1[i][j] * s1[j];
                s2[free_hot + p] += h * dfp;
                A2.solve(s2);
                for (unsigned int s = 0; s < 2; ++s)
                  {
                    const unsigned int c = free_hot + s, m = internalised_hot + s;
                    out.uptake_sensitivity[s][p] +=
                      h * ((s == p ? k.exchange_in : 0.0) -
                           k.exchange_out * ((1 - gamma) * s1[c] + gamma * s2[c]));
                    out.released_sensitivity[s][p] +=
                      h * k.lambda_rel * ((1 - gamma) * s1[m] + gamma * s2[m]);
                  }
                S[p] = s2;
              }
          }
        y = z2;
      }
    return out;
  }
} // namespace radiotwin::physics
