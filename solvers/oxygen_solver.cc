#include "solvers/oxygen_solver.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/read_write_vector.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/meshworker/copy_data.h>
#include <deal.II/meshworker/mesh_loop.h>
#include <deal.II/meshworker/scratch_data.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <iomanip>
#include <sstream>

#include "physics/base/input_error.h"
#include "physics/base/units.h"

namespace radiotwin
{
  using namespace dealii;

  namespace
  {
    struct Defaults
    {
      const char *M0, *Km;
    };
    Defaults defaults(const Region r)
    {
      switch (r)
        {
          case Region::tumour:
            return {"2.44e-4", "2"};
          case Region::necrotic_core:
            return {"0", "2"};
          case Region::host:
            return {"6.1e-5", "4"};
        }
      return {};
    }
  } // namespace

  double OxygenDiagnostics::balance_defect() const
  {
    const double scale = std::max({std::abs(supply), std::abs(consumption),
                                   std::abs(boundary_inflow), std::abs(extra_source),
                                   std::numeric_limits<double>::min()});
    return std::abs(supply + boundary_inflow + extra_source - consumption) / scale;
  }

  void OxygenSolver::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Oxygen");
    prm.declare_entry("Enabled", "false", Patterns::Bool(),
                      "Solve the steady tissue pO2 (docs/physics.md section 6) after the "
                      "interstitial flow; needed for hypoxic fractions, the hypoxia-receptor "
                      "coupling and the hypoxia-adjusted BED.");
    prm.declare_entry("Diffusivity D [cm^2 s^-1]", "2e-5", Patterns::Double(1e-8, 1e-3),
                      "Oxygen diffusivity in tissue. Unit: cm^2/s. Range: 1e-8-1e-3. 2e-5 "
                      "(assumed, commonly used).");
    prm.declare_entry("Solubility alpha [mL O2 mL^-1 mmHg^-1]", "2.8e-5",
                      Patterns::Double(1e-7, 1e-3),
                      "Oxygen solubility in tissue: converts consumption [mL O2/(mL s)] to "
                      "[mmHg/s]. Unit: mL O2/(mL mmHg). Range: 1e-7-1e-3. 2.8e-5 [S13].");
    prm.declare_entry("Vessel wall permeability [um s^-1]", "35", Patterns::Double(0, 1e6),
                      "Oxygen permeability P_O2 of the microvascular wall: supply P_O2 S/V "
                      "(P_v - P) per tissue volume, or P_O2 2 pi r (P_v - P) per vessel length. "
                      "Unit: um/s. Range: 0-1e6. 35 (assumed: the wall is a minor resistance "
                      "for oxygen).");
    prm.declare_entry("Blood pO2 [mmHg]", "40", Patterns::Double(0, 760),
                      "pO2 in the vessels: everywhere for region-wise and homogenised vessels, "
                      "and at the network's inlets when it falls along the flow. Unit: mmHg. "
                      "Range: 0-760. 40 (assumed; arterial 95).");
    prm.declare_entry("Outer boundary condition", "no flux", Patterns::Selection("no flux|Dirichlet"),
                      "'no flux': the host tissue is a closed domain; 'Dirichlet': pO2 = 'Outer "
                      "boundary pO2' on the outer boundary.");
    prm.declare_entry("Outer boundary pO2 [mmHg]", "40", Patterns::Double(0, 760),
                      "pO2 on the outer boundary with a Dirichlet condition. Unit: mmHg. Range: "
                      "0-760.");
    prm.declare_entry("Hypoxia thresholds [mmHg]", "10, 2.5",
                      Patterns::List(Patterns::Double(0, 760), 2, 2),
                      "Two pO2 thresholds: hypoxic and severely hypoxic tissue (the 'hypoxic' "
                      "field and the hypoxic sets use the first). Unit: mmHg. Range: 0-760. 10 "
                      "and 2.5 (assumed).");
    for (const Region r : all_regions)
      {
        const Defaults d = defaults(r);
        prm.enter_subsection(region_name(r));
        prm.declare_entry("Maximum consumption M0 [mL O2 mL^-1 s^-1]", d.M0,
                          Patterns::Double(0, 1e-1),
                          "Michaelis-Menten maximum oxygen consumption rate per tissue volume. "
                          "Unit: mL O2/(mL s). Range: 0-0.1. Host 6.1e-5, tumour 4x host [S13], "
                          "necrotic core 0.");
        prm.declare_entry("Michaelis constant K_m [mmHg]", d.Km, Patterns::Double(0, 100),
                          "pO2 at half the maximum consumption (0: zero-order consumption). "
                          "Unit: mmHg. Range: 0-100. Tumour 2, host 4 [S13].");
        prm.leave_subsection();
      }
    prm.declare_entry("Intravascular pO2", "constant", Patterns::Selection("constant|falls along flow"),
                      "Network line sources only. 'constant': 'Blood pO2' in every segment; "
                      "'falls along flow': blood enters at 'Blood pO2' and loses what it gives "
                      "the tissue, segment by segment in the direction of the flow.");
    prm.declare_entry("Blood oxygen capacity [mL O2 mL^-1 mmHg^-1]", "2e-3",
                      Patterns::Double(1e-6, 1),
                      "Oxygen content of blood per mmHg of pO2 (haemoglobin-bound plus dissolved, "
                      "linearised): the blood pO2 falls by (oxygen given) / (flow x capacity). "
                      "Unit: mL O2/(mL mmHg). Range: 1e-6-1. 2e-3 (assumed: 0.2 mL O2/mL at "
                      "saturation, the steep part of the dissociation curve).");
    prm.enter_subsection("Hypoxia couplings");
    prm.declare_entry("Receptor density", "false", Patterns::Bool(),
                      "Multiply the receptor density R0 by 'Receptor density factor' of the local "
                      "pO2 (Birindelli 2021: hypoxia may change PSMA expression).");
    prm.declare_entry("Receptor density factor", "0.3 + 0.7*P/(P + 5)", Patterns::Anything(),
                      "f(P) >= 0 with P the pO2 in mmHg (muparser syntax). Default (assumed): "
                      "anoxic tissue keeps 30 % of its receptors, half the loss at 5 mmHg. Unit: none.");
    prm.declare_entry("Radiosensitivity (OER)", "true", Patterns::Bool(),
                      "Hypoxia-adjusted BED with the oxygen enhancement ratio of the local pO2: "
                      "alpha/OER_alpha, beta/OER_beta^2 (section 6). False: the adjusted BED "
                      "equals the BED.");
    prm.declare_entry("OER m alpha", "2.5", Patterns::Double(1, 10),
                      "Maximum OER of alpha (anoxia), Sovik 2006. Unit: none. Range: 1-10.");
    prm.declare_entry("OER m beta", "3.0", Patterns::Double(1, 10),
                      "Maximum OER of beta (anoxia), Sovik 2006. Unit: none. Range: 1-10.");
    prm.declare_entry("OER K [mmHg]", "3.28", Patterns::Double(1e-3, 100),
                      "pO2 of half the maximum effect, Sovik 2006. Unit: mmHg. Range: 0.001-100.");
    prm.leave_subsection();
    prm.enter_subsection("Solver");
    prm.declare_entry("Newton tolerance", "1e-10", Patterns::Double(1e-15, 1e-2),
                      "Newton stops when the residual norm is below this times its initial "
                      "value. Unit: none. Range: 1e-15-1e-2.");
    prm.declare_entry("Maximum Newton iterations", "50", Patterns::Integer(1, 1000),
                      "Newton iteration limit; reaching it is an error. Range: 1-1000.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void OxygenSolver::parse_parameters(ParameterHandler &prm, const ParameterFile &file)
  {
    prm.enter_subsection("Oxygen");
    enable                    = prm.get_bool("Enabled");
    diffusivity_m2_per_s      = prm.get_double("Diffusivity D [cm^2 s^-1]") * units::cm * units::cm;
    solubility_mL_per_mL_mmHg = prm.get_double("Solubility alpha [mL O2 mL^-1 mmHg^-1]");
    wall_permeability_m_per_s = prm.get_double("Vessel wall permeability [um s^-1]") * units::um;
    blood_inlet_mmHg          = prm.get_double("Blood pO2 [mmHg]");
    dirichlet_outer           = prm.get("Outer boundary condition") == "Dirichlet";
    outer_po2_mmHg            = prm.get_double("Outer boundary pO2 [mmHg]");
    const auto t = Utilities::string_to_double(Utilities::split_string_list(prm.get("Hypoxia thresholds [mmHg]")));
    thresholds = {{t[0], t[1]}};
    if (!(t[0] >= t[1]))
      file.fail("Oxygen/Hypoxia thresholds [mmHg]",
                "the first (hypoxic) threshold must not be below the second (severe)");
    for (const Region r : all_regions)
      {
        prm.enter_subsection(region_name(r));
        physics::OxygenConsumption &c = consumption[region_index(material_id(r))];
        c.max_rate_mmHg_per_s =
          prm.get_double("Maximum consumption M0 [mL O2 mL^-1 s^-1]") / solubility_mL_per_mL_mmHg;
        c.michaelis_mmHg = prm.get_double("Michaelis constant K_m [mmHg]");
        prm.leave_subsection();
      }
    blood_falls = prm.get("Intravascular pO2") == "falls along flow";
    blood_capacity = prm.get_double("Blood oxygen capacity [mL O2 mL^-1 mmHg^-1]");
    prm.enter_subsection("Hypoxia couplings");
    const bool couple_receptors = prm.get_bool("Receptor density");
    const std::string factor    = prm.get("Receptor density factor");
    prm.leave_subsection();
    receptor_factor.reset();
    if (couple_receptors && !enable)
      file.fail("Oxygen/Hypoxia couplings/Receptor density",
                "the hypoxia-receptor coupling needs the oxygen model ('Oxygen/Enabled = true')");
    if (couple_receptors)
      {
        auto f = std::make_shared<FunctionParser<1>>(1);
        try
          {
            f->initialize("P", factor, {});
            for (const double P : {0.0, 1.0, 10.0, 100.0})
              if (!(f->value(Point<1>(P)) >= 0))
                file.fail("Oxygen/Hypoxia couplings/Receptor density factor",
                          "the factor must be >= 0 (f(" + Utilities::to_string(P) + ") = " +
                            Utilities::to_string(f->value(Point<1>(P))) + ")");
          }
        catch (const ExceptionBase &)
          {
            file.fail("Oxygen/Hypoxia couplings/Receptor density factor",
                      "cannot parse the expression '" + factor + "' (variable P, pO2 in mmHg)");
          }
        receptor_factor = f;
      }
    prm.enter_subsection("Solver");
    newton_tolerance = prm.get_double("Newton tolerance");
    max_newton       = prm.get_integer("Maximum Newton iterations");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  OxygenSolver::OxygenSolver(const DarcySolver &darcy, const TissueProperties &tissue,
                             TimerOutput &timer)
    : darcy(darcy)
    , tissue(tissue)
    , timer(timer)
    , comm(darcy.dof_handler().get_communicator())
    , fe(1)
  {}

  void OxygenSolver::set_line_sources(const LineSources *sources, std::vector<double> blood_po2_mmHg)
  {
    AssertThrow(sources == nullptr || blood_po2_mmHg.size() == sources->points().size(),
                ExcDimensionMismatch(blood_po2_mmHg.size(), sources ? sources->points().size() : 0));
    lines     = sources;
    blood_po2 = std::move(blood_po2_mmHg);
  }

  double OxygenSolver::supply_coefficient(const physics::StarlingCoefficients &c,
                                          const Point<3> &x) const
  {
    return wall_permeability_m_per_s * c.vessel_surface_density *
           tissue.vascular_density_scaling(x, c);
  }

  void OxygenSolver::setup()
  {
    TimerOutput::Scope scope(timer, "Oxygen: setup");
    dofs.reinit(darcy.dof_handler().get_triangulation());
    dofs.distribute_dofs(fe);
    owned    = dofs.locally_owned_dofs();
    relevant = DoFTools::extract_locally_relevant_dofs(dofs);
    hanging.clear();
    hanging.reinit(relevant);
    DoFTools::make_hanging_node_constraints(dofs, hanging);
    hanging.close();
    constraints.clear();
    constraints.reinit(relevant);
    constraints.merge(hanging);
    const bool dirichlet = dirichlet_outer || boundary_values;
    if (dirichlet)
      VectorTools::interpolate_boundary_values(darcy.mapping(), dofs, 0,
                                               Functions::ZeroFunction<3>(), constraints);
    constraints.close();

    // Start from the blood pO2 (the solution lies below it), with the boundary values.
    po2.reinit(owned, relevant, comm);
    double start = blood_inlet_mmHg;
    for (const double p : blood_po2)
      start = std::max(start, p);
    start = Utilities::MPI::max(start, comm);
    po2 = start;
    if (dirichlet)
      {
        std::map<types::global_dof_index, double> values;
        const Functions::ConstantFunction<3> outer(outer_po2_mmHg);
        VectorTools::interpolate_boundary_values(darcy.mapping(), dofs, 0,
                                                 boundary_values ? *boundary_values : outer, values);
        for (const auto &[i, v] : values)
          if (owned.is_element(i))
            po2(i) = v;
      }
    hanging.distribute(po2);
    po2.update_ghost_values();
    initialised        = true;
    reference_residual = 0;
  }

  double OxygenSolver::assemble(TrilinosWrappers::SparseMatrix &J,
                                TrilinosWrappers::MPI::Vector &minus_F) const
  {
    TimerOutput::Scope scope(timer, "Oxygen: assembly");
    J       = 0;
    minus_F = 0;
    const double D = diffusivity_m2_per_s;
    using Scratch  = MeshWorker::ScratchData<3>;
    using Copy     = MeshWorker::CopyData<1, 1, 1>;
    Scratch scratch(darcy.mapping(), fe, QGauss<3>(2),
                    update_values | update_gradients | update_quadrature_points | update_JxW_values);
    Copy copy(fe.n_dofs_per_cell());

    auto worker = [&](const DoFHandler<3>::active_cell_iterator &cell, Scratch &s, Copy &c) {
      const FEValues<3> &fev = s.reinit(cell);
      const auto &       coeff = tissue(cell->material_id());
      const auto &       m     = consumption[region_index(cell->material_id())];
      const unsigned int n     = fev.dofs_per_cell;
      std::vector<double>       P(fev.n_quadrature_points);
      std::vector<Tensor<1, 3>> grad_P(fev.n_quadrature_points);
      fev.get_function_values(po2, P);
      fev.get_function_gradients(po2, grad_P);
      c.matrices[0] = 0;
      c.vectors[0]  = 0;
      for (const unsigned int q : fev.quadrature_point_indices())
        {
          const Point<3> &x   = fev.quadrature_point(q);
          const double    kv  = supply_coefficient(coeff, x);
          const double    f   = extra_source ? extra_source->value(x) : 0.0;
          const double    r   = m.rate(P[q]) + kv * (P[q] - blood_inlet_mmHg) - f;
          const double    dr  = m.derivative(P[q]) + kv;
          const double    JxW = fev.JxW(q);
          for (unsigned int i = 0; i < n; ++i)
            {
              const double phi_i = fev.shape_value(i, q) * JxW;
              for (unsigned int j = 0; j <= i; ++j)
                c.matrices[0](i, j) += D * fev.shape_grad(i, q) * fev.shape_grad(j, q) * JxW +
                                       dr * phi_i * fev.shape_value(j, q);
              c.vectors[0](i) -= D * grad_P[q] * fev.shape_grad(i, q) * JxW + r * phi_i;
            }
        }
      // Network line sources: g_k (P_v,k - P(x_k)) at each point, g_k = P_O2 2 pi r w.
      if (const auto *in_cell = lines ? lines->in_cell(*cell) : nullptr)
        {
          Vector<double> local(n);
          cell->get_dof_values(po2, local);
          for (const unsigned int k : *in_cell)
            {
              const LineSourcePoint &pt = lines->points()[k];
              if (pt.fluid_coefficient == 0)
                continue; // necrotic tissue: no functional vessels
              const double g = wall_permeability_m_per_s * pt.surface_m2;
              double       P_x = 0;
              for (unsigned int j = 0; j < n; ++j)
                P_x += local(j) * fe.shape_value(j, pt.unit_point);
              for (unsigned int i = 0; i < n; ++i)
                {
                  const double phi_i = g * fe.shape_value(i, pt.unit_point);
                  for (unsigned int j = 0; j <= i; ++j)
                    c.matrices[0](i, j) += phi_i * fe.shape_value(j, pt.unit_point);
                  c.vectors[0](i) += phi_i * (blood_po2[k] - P_x);
                }
            }
        }
      for (unsigned int i = 0; i < n; ++i)
        for (unsigned int j = i + 1; j < n; ++j)
          c.matrices[0](i, j) = c.matrices[0](j, i);
      cell->get_dof_indices(c.local_dof_indices[0]);
    };
    auto copier = [&](const Copy &c) {
      constraints.distribute_local_to_global(c.matrices[0], c.vectors[0], c.local_dof_indices[0],
                                             J, minus_F);
    };
    MeshWorker::mesh_loop(dofs.begin_active(), dofs.end(), worker, copier, scratch, copy,
                          MeshWorker::assemble_own_cells);
    J.compress(VectorOperation::add);
    minus_F.compress(VectorOperation::add);
    return minus_F.l2_norm();
  }

  void OxygenSolver::solve()
  {
    if (!initialised)
      setup();
    TrilinosWrappers::SparseMatrix J;
    {
      TimerOutput::Scope     scope(timer, "Oxygen: setup");
      DynamicSparsityPattern dsp(relevant);
      DoFTools::make_sparsity_pattern(dofs, dsp, constraints, false);
      SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
      J.reinit(owned, owned, dsp, comm);
    }
    TrilinosWrappers::MPI::Vector minus_F(owned, comm), update(owned, comm);
    VectorType                    step(owned, relevant, comm), previous(owned, relevant, comm);

    solve_info = OxygenDiagnostics();
    double residual = assemble(J, minus_F);
    // The tolerance is relative to the residual of the first solve after setup(): later
    // solves (the network-tissue sweeps) start close to the solution.
    if (reference_residual == 0)
      reference_residual = std::max(residual, std::numeric_limits<double>::min());
    const double initial = reference_residual;
    unsigned int it       = 0;
    while (residual > newton_tolerance * initial)
      {
        if (it == max_newton)
          throw std::runtime_error("the oxygen Newton iteration did not converge in " +
                                   std::to_string(max_newton) + " steps (relative residual " +
                                   std::to_string(residual / initial) +
                                   "); raise 'Oxygen/Solver/Maximum Newton iterations'");
        ++it;
        {
          TimerOutput::Scope scope(timer, "Oxygen: AMG and CG");
          TrilinosWrappers::PreconditionAMG                 amg;
          TrilinosWrappers::PreconditionAMG::AdditionalData data;
          data.elliptic              = true;
          data.smoother_sweeps       = 2;
          data.aggregation_threshold = 0.02; // as the Darcy solver: 3D diffusion
          amg.initialize(J, data);
          // Inexact Newton: the linear tolerance follows the nonlinear residual
          // (Eisenstat-Walker, choice 2 simplified), so the last steps stay quadratic.
          const double  eta = std::clamp(residual / initial, 1e-12, 1e-2);
          SolverControl control(1000, eta * residual, false, false);
          SolverCG<TrilinosWrappers::MPI::Vector> cg(control);
          update = 0;
          cg.solve(J, update, minus_F, amg);
          solve_info.linear_iterations += control.last_step();
        }
        LinearAlgebra::ReadWriteVector<double> values(owned);
        values.import(update, VectorOperation::insert);
        step.import(values, VectorOperation::insert);
        constraints.distribute(step);
        previous = po2;
        // Backtracking: accept the first of 1, 1/2, 1/4, ... that lowers the residual.
        double lambda = 1;
        for (unsigned int k = 0;; ++k)
          {
            po2 = previous;
            po2.add(lambda, step);
            po2.update_ghost_values();
            const double trial = assemble(J, minus_F);
            if (trial < residual || k == 10)
              {
                residual = trial;
                break;
              }
            lambda /= 2;
          }
      }
    solve_info.newton_iterations = it;
    solve_info.final_residual    = residual / initial;
  }

  std::vector<double> OxygenSolver::line_source_po2() const
  {
    std::vector<double> values(lines ? lines->points().size() : 0, 0.0);
    if (!lines)
      return values;
    Vector<double> local(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        if (const auto *in_cell = lines->in_cell(*cell))
          {
            cell->get_dof_values(po2, local);
            for (const unsigned int k : *in_cell)
              for (unsigned int j = 0; j < local.size(); ++j)
                values[k] += local(j) * fe.shape_value(j, lines->points()[k].unit_point);
          }
    return values;
  }

  std::vector<double> OxygenSolver::line_source_oxygen_conductance() const
  {
    std::vector<double> g(lines ? lines->points().size() : 0, 0.0);
    for (unsigned int k = 0; k < g.size(); ++k)
      if (lines->points()[k].fluid_coefficient != 0)
        g[k] = solubility_mL_per_mL_mmHg * wall_permeability_m_per_s * lines->points()[k].surface_m2;
    return g;
  }

  OxygenSolver::VectorType OxygenSolver::hypoxic_indicator() const
  {
    VectorType h(owned, relevant, comm);
    for (const auto i : owned)
      h(i) = po2(i) < thresholds[0] ? 1.0 : 0.0;
    h.update_ghost_values();
    return h;
  }

  OxygenDiagnostics OxygenSolver::diagnostics() const
  {
    TimerOutput::Scope scope(timer, "Oxygen: diagnostics");
    OxygenDiagnostics result = solve_info;
    for (auto &m : result.min)
      m = std::numeric_limits<double>::max();
    for (auto &m : result.max)
      m = -std::numeric_limits<double>::max();
    const QGauss<3> quadrature(2);
    FEValues<3>     fev(darcy.mapping(), fe, quadrature,
                        update_values | update_gradients | update_quadrature_points | update_JxW_values);
    const unsigned int        n = fe.n_dofs_per_cell();
    std::vector<double>       P(quadrature.size());
    std::vector<Tensor<1, 3>> grad_P(quadrature.size());
    Vector<double>            local(n), cell_residual(n);
    std::vector<types::global_dof_index> indices(n);
    VectorType residual(owned, relevant, comm); // F without Dirichlet rows: boundary fluxes

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fev.reinit(cell);
          fev.get_function_values(po2, P);
          fev.get_function_gradients(po2, grad_P);
          const unsigned int r     = region_index(cell->material_id());
          const auto &       coeff = tissue(cell->material_id());
          const auto &       m     = consumption[r];
          cell_residual            = 0;
          for (const unsigned int q : fev.quadrature_point_indices())
            {
              const Point<3> &x   = fev.quadrature_point(q);
              const double    JxW = fev.JxW(q);
              const double    supply = supply_coefficient(coeff, x) * (blood_inlet_mmHg - P[q]);
              const double    consumed = m.rate(P[q]);
              const double    f = extra_source ? extra_source->value(x) : 0.0;
              result.supply += supply * JxW;
              result.consumption += consumed * JxW;
              result.extra_source += f * JxW;
              result.volume[r] += JxW;
              result.mean[r] += P[q] * JxW;
              for (unsigned int t = 0; t < 2; ++t)
                if (P[q] < thresholds[t])
                  result.hypoxic_fraction[r][t] += JxW;
              for (unsigned int i = 0; i < n; ++i)
                cell_residual(i) += (diffusivity_m2_per_s * grad_P[q] * fev.shape_grad(i, q) +
                                     (consumed - supply - f) * fev.shape_value(i, q)) *
                                    JxW;
            }
          cell->get_dof_values(po2, local);
          for (unsigned int j = 0; j < n; ++j)
            {
              result.min[r] = std::min(result.min[r], local(j));
              result.max[r] = std::max(result.max[r], local(j));
            }
          if (const auto *in_cell = lines ? lines->in_cell(*cell) : nullptr)
            for (const unsigned int k : *in_cell)
              {
                const LineSourcePoint &pt = lines->points()[k];
                if (pt.fluid_coefficient == 0)
                  continue;
                double P_x = 0;
                for (unsigned int j = 0; j < n; ++j)
                  P_x += local(j) * fe.shape_value(j, pt.unit_point);
                const double s = wall_permeability_m_per_s * pt.surface_m2 * (blood_po2[k] - P_x);
                result.supply += s;
                for (unsigned int i = 0; i < n; ++i)
                  cell_residual(i) -= s * fe.shape_value(i, pt.unit_point);
              }
          cell->get_dof_indices(indices);
          hanging.distribute_local_to_global(cell_residual, indices, residual);
        }
    residual.compress(VectorOperation::add);
    if (dirichlet_outer || boundary_values)
      {
        const IndexSet boundary = DoFTools::extract_boundary_dofs(dofs, ComponentMask(), {0});
        for (const auto i : boundary)
          if (owned.is_element(i) && !hanging.is_constrained(i))
            result.boundary_inflow += residual(i);
      }
    std::vector<double> sums = {result.supply, result.consumption, result.boundary_inflow,
                                result.extra_source};
    for (unsigned int r = 0; r < result.volume.size(); ++r)
      sums.insert(sums.end(), {result.volume[r], result.mean[r], result.hypoxic_fraction[r][0],
                               result.hypoxic_fraction[r][1]});
    Utilities::MPI::sum(sums, comm, sums);
    result.supply          = sums[0];
    result.consumption     = sums[1];
    result.boundary_inflow = sums[2];
    result.extra_source    = sums[3];
    for (unsigned int r = 0; r < result.volume.size(); ++r)
      {
        const double *s = &sums[4 + 4 * r];
        result.volume[r] = s[0];
        result.mean[r]   = s[0] > 0 ? s[1] / s[0] : 0;
        for (unsigned int t = 0; t < 2; ++t)
          result.hypoxic_fraction[r][t] = s[0] > 0 ? s[2 + t] / s[0] : 0;
        result.min[r] = Utilities::MPI::min(result.min[r], comm);
        result.max[r] = Utilities::MPI::max(result.max[r], comm);
        if (s[0] == 0)
          result.min[r] = result.max[r] = 0;
      }
    return result;
  }

  std::pair<double, double> OxygenSolver::errors(const Function<3> &exact) const
  {
    const auto &    tria = dofs.get_triangulation();
    Vector<double>  cellwise(tria.n_active_cells());
    const QGauss<3> quadrature(4);
    VectorTools::integrate_difference(darcy.mapping(), dofs, po2, exact, cellwise, quadrature,
                                      VectorTools::L2_norm);
    const double l2 = VectorTools::compute_global_error(tria, cellwise, VectorTools::L2_norm);
    VectorTools::integrate_difference(darcy.mapping(), dofs, po2, exact, cellwise, quadrature,
                                      VectorTools::H1_seminorm);
    const double h1 = VectorTools::compute_global_error(tria, cellwise, VectorTools::H1_seminorm);
    return {l2, h1};
  }
} // namespace radiotwin
