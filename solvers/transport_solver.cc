#include "solvers/transport_solver.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/read_write_vector.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/numerics/vector_tools.h>

#include <algorithm>
#include <cmath>

#include "physics/base/input_error.h"
#include "physics/patlak.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    constexpr double L_per_m3 = 1000.0; // concentrations are per litre, volumes in m^3

    /// Calls f(q, u.n) at the quadrature points of the cell's outer-boundary faces where the
    /// Darcy velocity u = -K grad p leaves the domain (u.n > 0).
    template <typename Function>
    void for_each_outflow_point(const typename DoFHandler<3>::active_cell_iterator &cell,
                                const typename DoFHandler<3>::active_cell_iterator &pressure_cell,
                                FEFaceValues<3> &ffv, FEFaceValues<3> &ffv_p,
                                const VectorType &pressure, const double K,
                                std::vector<Tensor<1, 3>> &grad_face, Function &&f)
    {
      for (const auto face : cell->face_indices())
        if (cell->at_boundary(face))
          {
            ffv.reinit(cell, face);
            ffv_p.reinit(pressure_cell, face);
            ffv_p.get_function_gradients(pressure, grad_face);
            for (const unsigned int q : ffv.quadrature_point_indices())
              {
                const double un = -K * grad_face[q] * ffv.normal_vector(q);
                if (un > 0)
                  f(q, un);
              }
          }
    }

    struct RegionDefaults
    {
      const char *R0, *phi, *D, *P, *sigma, *release;
    };
    RegionDefaults region_defaults(const Region r)
    {
      switch (r)
        {
          case Region::tumour:
            return {"57", "0.38", "1.5e-6", "2e-5", "0", "1.5e-4"};
          case Region::necrotic_core:
            return {"0", "0.38", "1.5e-6", "2e-5", "0", "1.5e-4"};
          case Region::host:
            return {"0", "0.2", "1.5e-6", "2e-5", "0", "2.9e-4"};
        }
      return {};
    }
  } // namespace

  double TransportSolver::StepBalance::defect() const
  {
    double change = 0, net = 0, scale = 0;
    for (unsigned int s = 0; s < 2; ++s)
      {
        change += content_after[s] - content_before[s];
        net += transvascular_net[s] - lymphatic[s] - boundary_outflow[s] - released[s];
        scale += std::abs(content_after[s]) + std::abs(transvascular_net[s]);
      }
    return std::abs(change - net) / std::max(scale, 1e-300);
  }

  TransportSolver::Exchange TransportSolver::exchange(const physics::StarlingCoefficients &c,
                                                      const RegionData &d, const double p,
                                                      const Point<3> &x) const
  {
    // J_s = J_v (1 - sigma) c_p + P S/V B(Pe) (c_p - c): the convective coefficient, and the
    // diffusive one with the Patlak factor B(Pe) = Pe / (e^Pe - 1), Pe = J_v (1-sigma)/(P S/V).
    const double sv  = tissue.vascular_density_scaling(x, c);
    const double PSV = d.permeability * c.vessel_surface_density * sv; // [1/s]
    Exchange     e;
    e.convective = physics::transvascular_flux(c, p, sv) * (1 - d.reflection);
    e.diffusive  = PSV > 0 ? PSV * physics::bernoulli_function(e.convective / PSV) : 0.0;
    e.lymphatic  = physics::lymphatic_flux(c, p);
    return e;
  }

  void TransportSolver::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Transport");
    prm.declare_entry("Enabled", "false", Patterns::Bool(),
                      "Simulate radioligand transport and binding after the Darcy solve "
                      "(docs/physics.md section 3).");
    for (const Region r : all_regions)
      {
        const auto d = region_defaults(r);
        prm.enter_subsection(region_name(r));
        prm.declare_entry("Receptor density R0 [nmol L^-1]", d.R0, Patterns::Double(0, 1e5),
                          "Receptors per tissue volume. Unit: nmol/L. Range: 0-1e5. Tumour 57 "
                          "(19-266 across lesions).");
        prm.declare_entry("Interstitial fraction phi [-]", d.phi, Patterns::Double(0.01, 1),
                          "Interstitial volume fraction. Range: 0.01-1. Tumour 0.38; host 0.2 "
                          "(assumed).");
        prm.declare_entry("Diffusivity D [cm^2 s^-1]", d.D, Patterns::Double(0, 1e-3),
                          "Free ligand diffusivity in the interstitium. Unit: cm^2/s. Range: "
                          "0-1e-3. 1.5e-6 (assumed, ~1 kDa peptide).");
        prm.declare_entry("Vessel permeability P [cm s^-1]", d.P, Patterns::Double(0, 1),
                          "Capillary permeability to the ligand. Unit: cm/s. Range: 0-1. ~2e-5.");
        prm.declare_entry("Solute reflection coefficient sigma_f [-]", d.sigma,
                          Patterns::Double(0, 1), "Range: 0-1. ~0 for a 1 kDa peptide (assumed).");
        prm.declare_entry("Release rate lambda_rel [min^-1]", d.release, Patterns::Double(0, 1),
                          "Release of internalised ligand. Unit: 1/min. Range: 0-1.");
        prm.declare_entry("k_on [L nmol^-1 min^-1]", "0.046", Patterns::Double(0, 100),
                          "Receptor association rate. Unit: L/(nmol min). Range: 0-100.");
        prm.declare_entry("k_off [min^-1]", "0.368", Patterns::Double(0, 100),
                          "Receptor dissociation rate (K_D = 8 nM with k_on). Unit: 1/min. "
                          "Range: 0-100.");
        prm.declare_entry("Internalisation rate lambda_int [min^-1]", "0.001",
                          Patterns::Double(0, 10), "Unit: 1/min. Range: 0-10.");
        prm.leave_subsection();
      }
    prm.enter_subsection("Time stepping");
    prm.declare_entry("End time [h]", "168", Patterns::Double(1e-6, 1e5),
                      "Simulated time after injection. Unit: h. Range: 1e-6-1e5.");
    prm.declare_entry("Initial time step [min]", "1", Patterns::Double(1e-6, 1e4),
                      "Unit: min. Range: 1e-6-1e4.");
    prm.declare_entry("Maximum time step [min]", "60", Patterns::Double(1e-6, 1e5),
                      "Unit: min. Range: 1e-6-1e5.");
    prm.declare_entry("Time step growth factor [-]", "1.2", Patterns::Double(1, 10),
                      "Each step is this much longer than the last, up to the maximum (with "
                      "'Step control = error estimate': at most this much). Range: 1-10.");
    prm.declare_entry("Step control", "growth", Patterns::Selection("growth|error estimate"),
                      "growth: each step the growth factor times the last, up to the maximum. "
                      "error estimate: the next step from the last step's estimated local error "
                      "(dt^2/2 times the second time derivative, from the last two steps, of "
                      "the ligand per tissue volume phi c + b + m, hot and cold; lumped-mass "
                      "L2 norm, relative to the largest the tissue has held), "
                      "aiming at the tolerance; steps are not repeated.");
    prm.declare_entry("Tolerance [-]", "1e-3", Patterns::Double(1e-12, 1),
                      "Relative local error per step aimed at by 'Step control = error "
                      "estimate'. Range: 1e-12-1.");
    prm.declare_entry("Theta [-]", "1", Patterns::Double(0.5, 1),
                      "Transport time scheme: 1 implicit Euler (first order, L-stable), 0.5 "
                      "Crank-Nicolson (second order). Reaction and transport are combined by "
                      "Strang splitting (second order), so the scheme's order is that of "
                      "the transport step.");
    prm.declare_entry("Maximum reaction step [min]", "10", Patterns::Double(1e-6, 1e4),
                      "Largest SDIRK2 sub-step of the binding kinetics (L-stable: accuracy only). "
                      "Unit: min. Range: 1e-6-1e4.");
    prm.declare_entry("Output times [h]", "1, 4, 24, 48, 96, 168",
                      Patterns::List(Patterns::Double(0), 0),
                      "Times at which fields are written (the steps land on them). Unit: h.");
    prm.leave_subsection();
    prm.declare_entry("Receptor density scaling", "1", Patterns::Anything(),
                      "Spatial multiplier of every region's R0: an expression in x, y, z [mm] "
                      "(muparser syntax). Unit: none. Must be >= 0.");
    prm.declare_entry("Receptor density map", "", Patterns::Anything(),
                      "A further spatial multiplier of every region's R0: a voxel field (VTK XML image "
                      "data, .vti, coordinates in mm; relative to this file), interpolated trilinearly "
                      "(the patient twin's lesion uptake pattern, docs/twin.md). Empty: none. Unit: none.");
    prm.declare_entry("SUPG", "true", Patterns::Bool(),
                      "Streamline-upwind stabilisation of the convective term.");
    prm.leave_subsection();
  }

  void TransportSolver::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Transport");
    for (const Region r : all_regions)
      {
        prm.enter_subsection(region_name(r));
        RegionData &d   = region[region_index(material_id(r))];
        d.receptors_nM  = prm.get_double("Receptor density R0 [nmol L^-1]");
        d.porosity      = prm.get_double("Interstitial fraction phi [-]");
        d.diffusivity   = prm.get_double("Diffusivity D [cm^2 s^-1]") * units::cm * units::cm;
        d.permeability  = prm.get_double("Vessel permeability P [cm s^-1]") * units::cm;
        d.reflection    = prm.get_double("Solute reflection coefficient sigma_f [-]");
        d.release_per_s = prm.get_double("Release rate lambda_rel [min^-1]") / units::min;
        d.k_on          = prm.get_double("k_on [L nmol^-1 min^-1]") / units::min;
        d.k_off         = prm.get_double("k_off [min^-1]") / units::min;
        d.lambda_int    = prm.get_double("Internalisation rate lambda_int [min^-1]") / units::min;
        prm.leave_subsection();
      }
    prm.enter_subsection("Time stepping");
    end_s               = prm.get_double("End time [h]") * units::h;
    dt_initial_s        = prm.get_double("Initial time step [min]") * units::min;
    dt_max_s            = prm.get_double("Maximum time step [min]") * units::min;
    growth              = prm.get_double("Time step growth factor [-]");
    stepping.by_error    = prm.get("Step control") == "error estimate";
    stepping.tolerance   = prm.get_double("Tolerance [-]");
    theta               = prm.get_double("Theta [-]");
    reaction_step_max_s = prm.get_double("Maximum reaction step [min]") * units::min;
    outputs_s.clear();
    for (const auto &t : Utilities::split_string_list(prm.get("Output times [h]")))
      outputs_s.push_back(Utilities::string_to_double(t) * units::h);
    prm.leave_subsection();
    supg = prm.get_bool("SUPG");
    const std::string scaling = Utilities::trim(prm.get("Receptor density scaling"));
    const std::string map_file = Utilities::trim(prm.get("Receptor density map"));
    prm.leave_subsection();
    receptor_map.reset();
    if (!map_file.empty())
      {
        try
          {
            receptor_map = std::make_unique<VoxelField>(read_voxel_field(file.resolve_path(map_file), "receptor density map"));
          }
        catch (const InputError &e)
          {
            file.fail("Transport/Receptor density map", e.what());
          }
        for (const double v : receptor_map->values)
          if (!(v >= 0))
            file.fail("Transport/Receptor density map", "the map holds " + std::to_string(v) + "; a multiplier is >= 0");
      }
    receptor_scaling.reset();
    if (scaling != "1")
      {
        receptor_scaling = std::make_unique<FunctionParser<3>>(1);
        try
          {
            receptor_scaling->initialize("x,y,z", scaling, {});
          }
        catch (const ExceptionBase &)
          {
            file.fail("Transport/Receptor density scaling",
                      "cannot parse the expression '" + scaling + "' (variables x, y, z in mm)");
          }
      }
    nuclide.parse_parameters(prm);
    kinetics.lambda = nuclide.decay_constant_per_min() / units::min;
    if (dt_initial_s > dt_max_s)
      file.fail("Transport/Time stepping/Initial time step [min]",
                "the initial time step exceeds the maximum time step");
    for (std::size_t i = 1; i < outputs_s.size(); ++i)
      if (outputs_s[i] <= outputs_s[i - 1])
        file.fail("Transport/Time stepping/Output times [h]", "output times must increase");
    // A time past the end would silently never be written.
    if (!outputs_s.empty() && outputs_s.back() > end_s * (1 + 1e-12))
      file.fail("Transport/Time stepping/Output times [h]",
                "the output time " + Utilities::to_string(outputs_s.back() / units::h) +
                  " h is after 'End time [h]' = " + Utilities::to_string(end_s / units::h) +
                  " h and would never be written");
  }

  TransportSolver::TransportSolver(const DarcySolver &darcy, const TissueProperties &tissue,
                                   TimerOutput &timer)
    : darcy(darcy)
    , tissue(tissue)
    , timer(timer)
    , comm(darcy.dof_handler().get_communicator())
    , fe(1)
    , dofs(darcy.dof_handler().get_triangulation())
  {}

  void TransportSolver::set_extra_source(std::shared_ptr<Function<3>> source)
  {
    extra_source = std::move(source);
  }

  void TransportSolver::set_initial_free(const Function<3> &c0)
  {
    for (unsigned int s = 0; s < 2; ++s)
      {
        VectorTools::interpolate(darcy.mapping(), dofs, c0, y[s]);
        constraints.distribute(y[s]);
        y[s].update_ghost_values();
      }
  }

  std::vector<std::pair<double, double>> TransportSolver::field_ranges() const
  {
    std::vector<std::pair<double, double>> r(y.size());
    for (unsigned int k = 0; k < y.size(); ++k)
      {
        double lo = std::numeric_limits<double>::max(), hi = -lo;
        for (const auto i : owned)
          {
            lo = std::min(lo, y[k](i));
            hi = std::max(hi, y[k](i));
          }
        r[k] = {Utilities::MPI::min(lo, comm), Utilities::MPI::max(hi, comm)};
      }
    return r;
  }

  double TransportSolver::next_step(const double dt_s) const
  {
    if (!stepping.by_error || stepping.error < 0)
      return std::min(dt_s * growth, dt_max_s);
    const double factor = 0.9 * std::sqrt(stepping.tolerance / std::max(stepping.error, 1e-300));
    return std::min(dt_s * std::clamp(factor, 0.2, growth), dt_max_s);
  }

  double TransportSolver::activity_concentration(const unsigned int species, const unsigned int l) const
  {
    // Per tissue volume: the free ligand in the fluid, bound and internalised.
    return porosity.local_element(l) * y[species].local_element(l) + y[2 + species].local_element(l) +
           y[4 + species].local_element(l);
  }

  void TransportSolver::control_before_step()
  {
    if (stepping.by_error && stepping.dt_last_s == 0)
      for (unsigned int s = 0; s < 2; ++s)
        for (unsigned int l = 0; l < mass.locally_owned_size(); ++l)
          stepping.y_last[s].local_element(l) = activity_concentration(s, l);
  }

  void TransportSolver::control_after_step(const double dt_s)
  {
    if (!stepping.by_error)
      return;
    // e = dt/(dt + dt_last) (d - dt/dt_last d_last) ~ dt^2/2 y'', with d = y - y_last, on
    // the ligand concentration per tissue volume, hot and cold (what the dose and the
    // receptor competition see; the free ligand alone follows the plasma within minutes,
    // and the splitting's dt-dependent offset of it would make the estimate ring).
    const bool   estimate = stepping.dt_last_s > 0;
    const double ratio    = estimate ? dt_s / stepping.dt_last_s : 0;
    const double weight   = estimate ? dt_s / (dt_s + stepping.dt_last_s) : 0;
    std::array<double, 4> sums{}; // per species: |e|^2, |y|^2 (lumped mass)
    for (unsigned int s = 0; s < 2; ++s)
      {
        VectorType &yl = stepping.y_last[s], &dl = stepping.d_last[s];
        for (unsigned int l = 0; l < mass.locally_owned_size(); ++l)
          {
            const double m = mass.local_element(l), v = activity_concentration(s, l);
            const double d = v - yl.local_element(l);
            const double e = weight * (d - ratio * dl.local_element(l));
            sums[s] += m * e * e;
            sums[2 + s] += m * v * v;
            dl.local_element(l) = d;
            yl.local_element(l) = v;
          }
      }
    MPI_Allreduce(MPI_IN_PLACE, sums.data(), sums.size(), MPI_DOUBLE, MPI_SUM, comm);
    // Relative to the most ligand the tissue has held: once it washes out and decays, the
    // same absolute error is a smaller part of what the doses integrate.
    for (unsigned int s = 0; s < 2; ++s)
      stepping.peak_norm_sq[s] = std::max(stepping.peak_norm_sq[s], sums[2 + s]);
    if (estimate)
      {
        stepping.error = 0;
        for (unsigned int s = 0; s < 2; ++s)
          stepping.error = std::max(stepping.error, std::sqrt(sums[s] / std::max(stepping.peak_norm_sq[s], 1e-300)));
      }
    stepping.dt_last_s = dt_s;
  }

  void TransportSolver::setup()
  {
    TimerOutput::Scope scope(timer, "Transport: setup");
    reacting.clear();
    dofs.distribute_dofs(fe);
    owned    = dofs.locally_owned_dofs();
    relevant = DoFTools::extract_locally_relevant_dofs(dofs);
    constraints.clear();
    constraints.reinit(relevant);
    DoFTools::make_hanging_node_constraints(dofs, constraints);
    constraints.close();

    for (auto &v : y)
      v.reinit(owned, relevant, comm);
    stepping.y_last.assign(stepping.by_error ? 2 : 0, y[0]);
    stepping.d_last.assign(stepping.by_error ? 2 : 0, y[0]);
    for (VectorType *v : {&mass, &mass_phi, &porosity, &receptors, &release_rate, &source_weight,
                          &uptake_weight, &lymph_weight, &outflow_weight, &k_on_rate,
                          &k_off_rate, &internalisation_rate, &exchange_in, &exchange_out})
      v->reinit(owned, relevant, comm);
    for (unsigned int r = 0; r < region_mass.size(); ++r)
      {
        region_mass[r].reinit(owned, relevant, comm);
        region_mass_phi[r].reinit(owned, relevant, comm);
      }

    const QGauss<3>     quadrature(2);
    const QGauss<2>     face_quadrature(2);
    FEValues<3>         fev(darcy.mapping(), fe, quadrature,
                            update_values | update_quadrature_points | update_JxW_values);
    FEValues<3>         fev_p(darcy.mapping(), darcy.dof_handler().get_fe(), quadrature,
                              update_values | update_gradients);
    FEFaceValues<3>     ffv(darcy.mapping(), fe, face_quadrature,
                            update_values | update_normal_vectors | update_JxW_values);
    FEFaceValues<3>     ffv_p(darcy.mapping(), darcy.dof_handler().get_fe(), face_quadrature,
                              update_gradients);
    const unsigned int  n = fe.n_dofs_per_cell();
    std::vector<double> p(quadrature.size()), po2(quadrature.size(), 0.0);
    std::vector<Tensor<1, 3>> grad_face(face_quadrature.size());
    std::unique_ptr<FEValues<3>> fev_o2;
    if (receptor_po2_factor)
      fev_o2 = std::make_unique<FEValues<3>>(darcy.mapping(), receptor_o2_dofs->get_fe(),
                                             quadrature, update_values);
    std::vector<types::global_dof_index> indices(n);
    std::array<Vector<double>, 11> local;
    for (auto &l : local)
      l.reinit(n);

    line_ligand.assign(darcy.get_line_sources() ? darcy.get_line_sources()->points().size() : 0,
                       std::array<double, 2>{{0.0, 0.0}});
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const typename DoFHandler<3>::active_cell_iterator pcell(
            &dofs.get_triangulation(), cell->level(), cell->index(), &darcy.dof_handler());
          fev.reinit(cell);
          fev_p.reinit(pcell);
          fev_p.get_function_values(darcy.pressure(), p);
          if (fev_o2)
            {
              fev_o2->reinit(typename DoFHandler<3>::active_cell_iterator(
                &dofs.get_triangulation(), cell->level(), cell->index(), receptor_o2_dofs));
              fev_o2->get_function_values(*receptor_po2, po2);
            }
          const auto &       c = tissue(cell->material_id());
          const RegionData & d = region[region_index(cell->material_id())];
          for (auto &l : local)
            l = 0;
          for (const unsigned int q : fev.quadrature_point_indices())
            {
              const Exchange e = exchange(c, d, p[q], fev.quadrature_point(q));
              const double   conv = e.convective, PSeff = e.diffusive, JL = e.lymphatic;
              // R0 with its spatial scaling and, when coupled, its hypoxia factor.
              const double receptors_q =
                d.receptors_nM *
                (receptor_scaling ?
                   std::max(0.0, receptor_scaling->value(fev.quadrature_point(q) / units::mm)) :
                   1.0) *
                (receptor_po2_factor ? std::max(0.0, receptor_po2_factor->value(Point<1>(po2[q]))) : 1.0) *
                (receptor_map ? receptor_map->value({{fev.quadrature_point(q)[0] / units::mm, fev.quadrature_point(q)[1] / units::mm,
                                                     fev.quadrature_point(q)[2] / units::mm}}) :
                                1.0);
              for (unsigned int i = 0; i < n; ++i)
                {
                  const double w = fev.shape_value(i, q) * fev.JxW(q);
                  local[0](i) += w;
                  local[1](i) += d.porosity * w;
                  local[2](i) += receptors_q * w;
                  local[3](i) += d.release_per_s * w;
                  local[4](i) += (conv + PSeff) * w;
                  local[5](i) += PSeff * w;
                  local[6](i) += JL * w;
                  local[8](i) += d.k_on * w;
                  local[9](i) += d.k_off * w;
                  local[10](i) += d.lambda_int * w;
                }
            }
          for_each_outflow_point(cell, pcell, ffv, ffv_p, darcy.pressure(), c.hydraulic_conductivity,
                                 grad_face, [&](const unsigned int q, const double un) {
                                   for (unsigned int i = 0; i < n; ++i)
                                     local[7](i) += un * ffv.shape_value(i, q) * ffv.JxW(q);
                                 });
          // Vessel segments as line sources: the same points and fluid leakage as the Darcy
          // problem; the Patlak flux with the wall area 2 pi r w of each point.
          const LineSources *lines = darcy.get_line_sources();
          if (const auto *in_cell = lines ? lines->in_cell(*cell) : nullptr)
            for (const unsigned int k : *in_cell)
              {
                const LineSourcePoint &pt = lines->points()[k];
                if (pt.fluid_coefficient == 0)
                  continue; // necrotic tissue: no functional vessels
                const double P    = std::isnan(pt.permeability) ? d.permeability : pt.permeability;
                const double PS   = P * pt.surface_m2;              // [m^3/s]
                const double conv = pt.leakage * (1 - d.reflection); // [m^3/s]
                const double PSeff = PS > 0 ? PS * physics::bernoulli_function(conv / PS) : 0.0;
                line_ligand[k] = {{conv + PSeff, PSeff}};
                for (unsigned int i = 0; i < n; ++i)
                  {
                    const double phi = fe.shape_value(i, pt.unit_point);
                    local[4](i) += (conv + PSeff) * phi;
                    local[5](i) += PSeff * phi;
                  }
              }
          cell->get_dof_indices(indices);
          VectorType *targets[11] = {&mass, &mass_phi, &receptors, &release_rate, &source_weight,
                                     &uptake_weight, &lymph_weight, &outflow_weight,
                                     &k_on_rate, &k_off_rate, &internalisation_rate};
          for (unsigned int k = 0; k < 11; ++k)
            constraints.distribute_local_to_global(local[k], indices, *targets[k]);
          const unsigned int r = region_index(cell->material_id());
          constraints.distribute_local_to_global(local[0], indices, region_mass[r]);
          constraints.distribute_local_to_global(local[1], indices, region_mass_phi[r]);
        }
    for (VectorType *v : {&mass, &mass_phi, &receptors, &release_rate, &source_weight,
                          &uptake_weight, &lymph_weight, &outflow_weight, &k_on_rate,
                          &k_off_rate, &internalisation_rate})
      v->compress(VectorOperation::add);
    for (unsigned int r = 0; r < region_mass.size(); ++r)
      {
        region_mass[r].compress(VectorOperation::add);
        region_mass_phi[r].compress(VectorOperation::add);
      }
    // Nodal averages: porosity, receptor density and release rate per node.
    for (const auto i : owned)
      if (mass(i) > 0)
        {
          porosity(i)     = mass_phi(i) / mass(i);
          receptors(i)    = receptors(i) / mass(i);
          release_rate(i) = release_rate(i) / mass(i);
          k_on_rate(i) /= mass(i);
          k_off_rate(i) /= mass(i);
          internalisation_rate(i) /= mass(i);
          // Exchange lumped at the nodes, like the mass it competes with.
          exchange_in(i)  = source_weight(i) / mass(i);
          exchange_out(i) = uptake_weight(i) / mass(i);
        }
    for (VectorType *v : {&mass, &mass_phi, &porosity, &receptors, &release_rate, &k_on_rate,
                          &k_off_rate, &internalisation_rate, &exchange_in, &exchange_out})
      v->update_ghost_values();
    assembled_dt      = -1;
    preconditioned_dt = -1;
    preconditioner.reset();
    stiffness.clear();
  }

  void TransportSolver::assemble_operator()
  {
    TimerOutput::Scope scope(timer, "Transport: assembly");
    DynamicSparsityPattern dsp(relevant);
    DoFTools::make_sparsity_pattern(dofs, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
    stiffness.reinit(owned, owned, dsp, comm);
    system.reinit(owned, owned, dsp, comm);
    explicit_part.reinit(owned, owned, dsp, comm);

    const QGauss<3>    quadrature(2);
    const QGauss<2>    face_quadrature(2);
    FEValues<3>        fev(darcy.mapping(), fe, quadrature,
                           update_values | update_gradients | update_quadrature_points |
                             update_JxW_values);
    FEValues<3>        fev_p(darcy.mapping(), darcy.dof_handler().get_fe(), quadrature,
                             update_values | update_gradients);
    FEFaceValues<3>    ffv(darcy.mapping(), fe, face_quadrature,
                           update_values | update_normal_vectors | update_JxW_values);
    FEFaceValues<3>    ffv_p(darcy.mapping(), darcy.dof_handler().get_fe(), face_quadrature,
                             update_gradients);
    const unsigned int n = fe.n_dofs_per_cell();
    FullMatrix<double> K(n, n);
    std::vector<double>       p(quadrature.size());
    std::vector<Tensor<1, 3>> grad_p(quadrature.size()), grad_face(face_quadrature.size());
    std::vector<types::global_dof_index> indices(n);

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const typename DoFHandler<3>::active_cell_iterator pcell(
            &dofs.get_triangulation(), cell->level(), cell->index(), &darcy.dof_handler());
          fev.reinit(cell);
          fev_p.reinit(pcell);
          fev_p.get_function_values(darcy.pressure(), p);
          fev_p.get_function_gradients(darcy.pressure(), grad_p);
          const auto &       c = tissue(cell->material_id());
          const RegionData & d = region[region_index(cell->material_id())];
          const double       h = cell->diameter() / std::sqrt(3.0);
          K = 0;
          for (const unsigned int q : fev.quadrature_point_indices())
            {
              const Tensor<1, 3> u   = -c.hydraulic_conductivity * grad_p[q];
              const Exchange     e   = exchange(c, d, p[q], fev.quadrature_point(q));
              const double       JL = e.lymphatic; // exchange: in the reaction step
              const double kappa = d.porosity * d.diffusivity;
              // SUPG: tau = h/(2|u|) (coth Pe - 1/Pe), Pe = |u| h / (2 kappa).
              double tau = 0;
              const double speed = u.norm();
              if (supg && speed > 0)
                {
                  const double Pe = kappa > 0 ? speed * h / (2 * kappa) : 1e10;
                  tau = h / (2 * speed) * (Pe > 1e-3 ? 1 / std::tanh(Pe) - 1 / Pe : Pe / 3);
                }
              const double JxW = fev.JxW(q);
              for (unsigned int i = 0; i < n; ++i)
                {
                  const double       vi     = fev.shape_value(i, q);
                  const Tensor<1, 3> grad_i = fev.shape_grad(i, q);
                  for (unsigned int j = 0; j < n; ++j)
                    K(i, j) += (-fev.shape_value(j, q) * (u * grad_i) +
                                kappa * (grad_i * fev.shape_grad(j, q)) +
                                JL * vi * fev.shape_value(j, q) +
                                tau * (u * grad_i) * (u * fev.shape_grad(j, q))) *
                               JxW;
                }
            }
          // Outflow carries the interstitial concentration out; inflow brings none in.
          for_each_outflow_point(cell, pcell, ffv, ffv_p, darcy.pressure(), c.hydraulic_conductivity,
                                 grad_face, [&](const unsigned int q, const double un) {
                                   for (unsigned int i = 0; i < n; ++i)
                                     for (unsigned int j = 0; j < n; ++j)
                                       K(i, j) += un * ffv.shape_value(i, q) *
                                                  ffv.shape_value(j, q) * ffv.JxW(q);
                                 });
          cell->get_dof_indices(indices);
          constraints.distribute_local_to_global(K, indices, stiffness);
        }
    stiffness.compress(VectorOperation::add);
  }

  void TransportSolver::form_system(const double dt_s)
  {
    // M_phi/dt + theta K and M_phi/dt - (1 - theta) K from the dt-independent K and the
    // lumped porosity-weighted mass: no reassembly when the step grows.
    if (stiffness.m() == 0)
      assemble_operator();
    TimerOutput::Scope scope(timer, "Transport: system and preconditioner");
    // Implicit Euler (theta = 1) needs no explicit part: its right-hand side is M_phi/dt c.
    const bool explicit_matrix = theta < 1;
    if (assembled_dt <= 0)
      {
        system.copy_from(stiffness);
        system *= theta;
        if (explicit_matrix)
          {
            explicit_part.copy_from(stiffness);
            explicit_part *= -(1 - theta);
          }
        stiffness_diagonal.clear();
        for (const auto i : owned)
          stiffness_diagonal.push_back(stiffness.diag_element(i));
      }
    // A new step changes only the diagonal's mass term, set from dt alone (not summed from
    // changes), so that a resumed run forms the same matrices bit for bit.
    const auto set_diagonal = [&](const double dt) {
      unsigned int k = 0;
      for (const auto i : owned)
        {
          if (!constraints.is_constrained(i))
            {
              system.set(i, i, theta * stiffness_diagonal[k] + mass_phi(i) / dt);
              if (explicit_matrix)
                explicit_part.set(i, i, -(1 - theta) * stiffness_diagonal[k] + mass_phi(i) / dt);
            }
          ++k;
        }
      system.compress(VectorOperation::insert);
      if (explicit_matrix)
        explicit_part.compress(VectorOperation::insert);
    };
    // Mass plus diffusion (phi D dt / h^2 ~ 20 at hour-long steps), weak convection. ILU(0)
    // with right-preconditioned GMRES: tried against smoothed-aggregation AMG (more setup,
    // no fewer iterations here). The factors of the system of a step within a factor 1.5
    // of this one are kept (they only steer GMRES; the tolerance is the same). A resumed
    // run refactors the system of the step its factors came from.
    const bool near = preconditioned_dt > 0 && dt_s <= 1.5 * preconditioned_dt && dt_s >= preconditioned_dt / 1.5;
    bool diagonal_is_this_step = false;
    if (!near || !preconditioner)
      {
        if (!near)
          preconditioned_dt = dt_s;
        set_diagonal(preconditioned_dt);
        diagonal_is_this_step = preconditioned_dt == dt_s;
        preconditioner = std::make_unique<TrilinosWrappers::PreconditionILU>();
        preconditioner->initialize(system);
      }
    if (!diagonal_is_this_step)
      set_diagonal(dt_s);
    assembled_dt = dt_s;
  }

  std::array<double, 2> TransportSolver::content(const std::vector<VectorType> &state) const
  {
    std::array<double, 2> total{{0, 0}};
    for (const auto i : owned)
      for (unsigned int s = 0; s < 2; ++s)
        total[s] += (mass_phi(i) * state[s](i) + mass(i) * (state[2 + s](i) + state[4 + s](i))) * L_per_m3;
    MPI_Allreduce(MPI_IN_PLACE, total.data(), total.size(), MPI_DOUBLE, MPI_SUM, comm);
    return total;
  }

  const std::vector<unsigned int> &TransportSolver::reacting_nodes()
  {
    if (reacting.empty())
      for (unsigned int l = 0; l < mass.locally_owned_size(); ++l)
        if (mass.local_element(l) > 0 && !constraints.is_constrained(owned.nth_index_in_set(l)))
          reacting.push_back(l);
    return reacting;
  }

  void TransportSolver::react(const double dt_s, const std::array<double, 2> &cp,
                              ExchangeTry &uptake, std::array<double, 2> &released,
                              Sensitivity *sensitivity)
  {
    TimerOutput::Scope scope(timer, "Transport: reaction and exchange");
    const unsigned int n_sub = std::max(1u, static_cast<unsigned int>(std::ceil(dt_s / reaction_step_max_s - 1e-9)));
    physics::LigandKinetics k = kinetics;
    k.plasma                  = cp;
    if (sensitivity)
      for (auto &columns : sensitivity->state)
        {
          columns.resize(6);
          for (auto &v : columns)
            if (v.size() != y[0].size())
              v.reinit(y[0], true);
        }
    std::array<double, 13> local{}; // released[2], uptake[2], d uptake[2][2], d released[2][2]
    for (const unsigned int l : reacting_nodes())
      {
        k.receptors    = receptors.local_element(l);
        k.porosity     = porosity.local_element(l);
        k.lambda_rel   = release_rate.local_element(l);
        k.k_on         = k_on_rate.local_element(l);
        k.k_off        = k_off_rate.local_element(l);
        k.lambda_int   = internalisation_rate.local_element(l);
        k.exchange_in  = exchange_in.local_element(l);
        k.exchange_out = exchange_out.local_element(l);
        physics::LigandState s;
        for (unsigned int c = 0; c < 6; ++c)
          s[c] = y[c].local_element(l);
        const auto r = physics::advance_ligand_kinetics(k, s, dt_s, n_sub, sensitivity != nullptr);
        for (unsigned int c = 0; c < 6; ++c)
          y[c].local_element(l) = s[c];
        const double volume_L = mass.local_element(l) * L_per_m3;
        for (unsigned int sp = 0; sp < 2; ++sp)
          {
            local[sp] += r.released[sp] * volume_L;
            local[2 + sp] += r.uptake[sp] * volume_L;
            for (unsigned int p = 0; p < 2; ++p)
              {
                local[4 + 2 * sp + p] += r.uptake_sensitivity[sp][p] * volume_L;
                local[8 + 2 * sp + p] += r.released_sensitivity[sp][p] * volume_L;
              }
          }
        if (sensitivity)
          for (unsigned int p = 0; p < 2; ++p)
            for (unsigned int c = 0; c < 6; ++c)
              sensitivity->state[p][c].local_element(l) = r.state_sensitivity[p][c];
      }
    MPI_Allreduce(MPI_IN_PLACE, local.data(), local.size(), MPI_DOUBLE, MPI_SUM, comm);
    for (unsigned int sp = 0; sp < 2; ++sp)
      {
        released[sp] += local[sp];
        uptake.uptake[sp] += local[2 + sp];
        for (unsigned int p = 0; p < 2; ++p)
          {
            uptake.sensitivity[sp][p] += local[4 + 2 * sp + p];
            if (sensitivity)
              sensitivity->released[sp][p] = local[8 + 2 * sp + p];
          }
      }
    for (auto &v : y)
      {
        constraints.distribute(v);
        v.update_ghost_values();
      }
  }

  void TransportSolver::solve_transport(const TrilinosWrappers::MPI::Vector &rhs, VectorType &x)
  {
    TrilinosWrappers::MPI::Vector          solution(owned, comm);
    LinearAlgebra::ReadWriteVector<double> rw(owned);
    rw.import(x, VectorOperation::insert);
    solution.import(rw, VectorOperation::insert);
    // 1e-11: the per-step balance (asserted to 1e-8) closes to about this.
    SolverControl control(1000, 1e-11 * rhs.l2_norm() + 1e-300);
    // Right preconditioning: the residual GMRES measures is the true one, the one the
    // balance sees (left preconditioning would measure it scaled by dt / M).
    SolverGMRES<TrilinosWrappers::MPI::Vector> gmres(
      control, SolverGMRES<TrilinosWrappers::MPI::Vector>::AdditionalData(50, true));
    gmres.solve(system, solution, rhs, *preconditioner);
    last_iterations = control.last_step();
    rw.import(solution, VectorOperation::insert);
    x.import(rw, VectorOperation::insert);
    constraints.distribute(x);
    x.update_ghost_values();
  }

  void TransportSolver::transport(const double t_s, const double dt_s,
                                  std::array<double, 2> &lymph, std::array<double, 2> &outflow)
  {
    if (std::abs(assembled_dt - dt_s) > 1e-12 * dt_s)
      form_system(dt_s);
    TimerOutput::Scope scope(timer, "Transport: transport solve");
    TrilinosWrappers::MPI::Vector          old(owned, comm), rhs(owned, comm), extra(owned, comm);
    LinearAlgebra::ReadWriteVector<double> rw(owned);
    if (extra_source)
      {
        // int f(x, t_theta) phi_i, with the lumped (nodal) quadrature of the mass term
        extra_source->set_time(t_s + theta * dt_s);
        VectorType f(owned, relevant, comm);
        VectorTools::interpolate(darcy.mapping(), dofs, *extra_source, f);
        for (const auto i : owned)
          extra[i] = f(i) * mass(i);
        extra.compress(VectorOperation::insert);
      }
    for (unsigned int s = 0; s < 2; ++s)
      {
        rw.import(y[s], VectorOperation::insert);
        old.import(rw, VectorOperation::insert);
        if (theta < 1)
          explicit_part.vmult(rhs, old);
        else
          {
            // M_phi/dt on the rows that are not hanging nodes (theirs are constraints).
            for (const auto i : owned)
              rhs[i] = constraints.is_constrained(i) ? 0.0 : mass_phi(i) / dt_s * old[i];
            rhs.compress(VectorOperation::insert);
          }
        if (extra_source)
          rhs += extra;
        VectorType c_new = y[s];
        solve_transport(rhs, c_new);
        // Balance terms at c_theta = theta c_new + (1 - theta) c_old.
        double l = 0, o = 0;
        for (const auto i : owned)
          {
            const double ct = theta * c_new(i) + (1 - theta) * y[s](i);
            l += lymph_weight(i) * ct;
            o += outflow_weight(i) * ct;
          }
        lymph[s] += Utilities::MPI::sum(l, comm) * dt_s * L_per_m3;
        outflow[s] += Utilities::MPI::sum(o, comm) * dt_s * L_per_m3;
        y[s] = c_new;
      }
  }

  TransportSolver::StepBalance TransportSolver::step(const double t_s, const double dt_s,
                                                     const PlasmaInput &plasma)
  {
    // Strang splitting: half a reaction step, a transport step, half a reaction step; each
    // half holds the plasma at its midpoint value (second order).
    control_before_step();
    StepBalance b;
    b.content_before = content();
    ExchangeTry uptake;
    std::array<double, 2> released_first{}, released_second{};
    react(0.5 * dt_s, plasma.concentration_nM((t_s + 0.25 * dt_s) / units::h), uptake,
          released_first);
    const std::array<double, 2> after_reaction = content();
    transport(t_s, dt_s, b.lymphatic, b.boundary_outflow);
    const std::array<double, 2> after_transport = content();
    const double                uptake_first_hot = uptake.uptake[0];
    react(0.5 * dt_s, plasma.concentration_nM((t_s + 0.75 * dt_s) / units::h), uptake,
          released_second);
    b.content_after = content();
    // Decay only moves hot into cold: what hot lost in the reaction steps beyond release
    // and exchange.
    b.decayed_hot = (b.content_before[0] + uptake_first_hot - released_first[0] - after_reaction[0]) +
                    (after_transport[0] + uptake.uptake[0] - uptake_first_hot - released_second[0] -
                     b.content_after[0]);
    for (unsigned int s = 0; s < 2; ++s)
      {
        b.transvascular_net[s] = uptake.uptake[s];
        b.released[s]          = released_first[s] + released_second[s];
      }
    control_after_step(dt_s);
    return b;
  }

  std::array<double, 2> TransportSolver::begin_coupled_step(const double t_s, const double dt_s)
  {
    if (pending.active)
      throw std::logic_error("TransportSolver: begin_coupled_step() twice");
    control_before_step();
    pending        = PendingStep();
    pending.active = true;
    pending.dt_s   = dt_s;
    StepBalance &b = pending.balance;
    b.content_before = content();
    transport(t_s, dt_s, b.lymphatic, b.boundary_outflow);
    pending.after_transport = y;
    return {{b.lymphatic[0] + b.boundary_outflow[0], b.lymphatic[1] + b.boundary_outflow[1]}};
  }

  TransportSolver::ExchangeTry TransportSolver::try_exchange(const std::array<double, 2> &cp)
  {
    if (!pending.active)
      throw std::logic_error("TransportSolver: try_exchange() outside a coupled step");
    y                    = pending.after_transport;
    pending.last_try     = ExchangeTry();
    pending.last_released = {{0, 0}};
    react(pending.dt_s, cp, pending.last_try, pending.last_released, &last_sensitivity);
    return pending.last_try;
  }

  TransportSolver::StepBalance
  TransportSolver::finish_coupled_step(const std::array<double, 2> &plasma_change_nM)
  {
    if (!pending.active)
      throw std::logic_error("TransportSolver: finish_coupled_step() outside a coupled step");
    pending.active = false;
    if (plasma_change_nM[0] != 0 || plasma_change_nM[1] != 0)
      {
        // The last try moved along its sensitivities to c_p + change: first order in the
        // change, and the balance of the step still closes (sensitivities obey it too).
        const auto &S = last_sensitivity;
        for (const unsigned int l : reacting_nodes())
          for (unsigned int c = 0; c < 6; ++c)
            y[c].local_element(l) += S.state[0][c].local_element(l) * plasma_change_nM[0] +
                                     S.state[1][c].local_element(l) * plasma_change_nM[1];
        for (auto &v : y)
          distribute_constraints(v);
        for (unsigned int s = 0; s < 2; ++s)
          for (unsigned int p = 0; p < 2; ++p)
            {
              pending.last_try.uptake[s] += pending.last_try.sensitivity[s][p] * plasma_change_nM[p];
              pending.last_released[s] += S.released[s][p] * plasma_change_nM[p];
            }
      }
    StepBalance b  = pending.balance;
    b.content_after = content();
    const std::array<double, 2> after_transport = content(pending.after_transport);
    b.decayed_hot = after_transport[0] + pending.last_try.uptake[0] - pending.last_released[0] -
                    b.content_after[0];
    for (unsigned int s = 0; s < 2; ++s)
      {
        b.transvascular_net[s] = pending.last_try.uptake[s];
        b.released[s]          = pending.last_released[s];
      }
    control_after_step(pending.dt_s);
    return b;
  }

  const std::vector<std::string> &TransportSolver::pool_names()
  {
    static const std::vector<std::string> names = {"free", "bound", "internalised"};
    return names;
  }

  const std::vector<std::string> &TransportSolver::field_names()
  {
    static const std::vector<std::string> names = {"free_hot_nmol_per_L",         "free_cold_nmol_per_L",
                                                   "bound_hot_nmol_per_L",        "bound_cold_nmol_per_L",
                                                   "internalised_hot_nmol_per_L", "internalised_cold_nmol_per_L"};
    return names;
  }

  TransportSolver::RegionContent TransportSolver::region_content() const
  {
    // Lumped masses per region: interface nodes count in each region with that region's share.
    RegionContent result(region_mass.size(),
                         std::vector<std::array<double, 2>>(pool_names().size(), std::array<double, 2>{{0, 0}}));
    for (unsigned int r = 0; r < result.size(); ++r)
      for (const auto i : owned)
        for (unsigned int s = 0; s < 2; ++s)
          {
            result[r][0][s] += region_mass_phi[r](i) * y[s](i) * L_per_m3;
            result[r][1][s] += region_mass[r](i) * y[2 + s](i) * L_per_m3;
            result[r][2][s] += region_mass[r](i) * y[4 + s](i) * L_per_m3;
          }
    for (auto &a : result)
      for (auto &b : a)
        for (auto &c : b)
          c = Utilities::MPI::sum(c, comm);
    return result;
  }
} // namespace radiotwin
