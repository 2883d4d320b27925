#!/usr/bin/env python3
"""The model-based patient twin (docs/twin.md, issue 20 point 8 a, c, e): a synthetic patient
whose kidney and salivary receptor densities, kidney release rate and lesion receptor densities
differ from the population is imaged by radiotwin phantom; radiotwin twin calibrates the
population model to the images and predicts the next cycles.

(a) Noise-free images: every fitted parameter within 1 % of the truth (a lesion's receptor
    density times its segmented volume against the truth's density times its model volume: the
    voxelised sphere is not the model's volume, the receptor amount is what the curves fix) and
    every organ's and lesion's TIA of the calibrated model within 0.5 % of the truth.
(b) With 10 mm FWHM blur and counting noise, corrected by the geometric transfer matrix, over 20
    seeds: every parameter's 95 % interval covers the truth in at least 17 of them, and the
    kidney TIA (calibrated and classical) is within 10 % of the truth in all.
(c) A parameter that the images cannot inform (the GI receptor density: no GI region is
    segmented, and its receptors hold 0.03 % of the activity) is reported not identifiable; the
    others identifiable.
(e) A noisy table of the same patient (10 % Gaussian errors, the twin's stated uncertainty,
    the 168 h point held out): the predicted cycle-2 kidney TIA and dose (the model's kidney mass in both) agree with
    the truth's cycle 2 (radiotwin pbrpk of the true parameters over two cycles) within 1.96 of
    their stated standard deviations, and the held-out point is predicted within 3 of its.
(f) The lesion PDE twin: lesion_01's voxels meshed (volume within 3 % of the segmented one),
    coupled to the calibrated model, its receptor density scaled over coupled runs until one
    factor is within 1 % and the curve within 10 % of the measured one.
Malformed calibration input: an unknown parameter, a region mapped to no tissue of the model, a
held-out time that is not a measurement time, an injected activity the model was not given:
exit 1 and one message naming the parameter.
"""
import csv
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_images_test import Checks, arguments, run  # noqa: E402

TRUTH = {"kidney_receptor_density": 20.0, "salivary_receptor_density": 50.0, "kidney_release_rate": 4e-4,
         "lesion_01_receptor_density": 80.0, "lesion_02_receptor_density": 15.0}
LESION_VOLUME_L = {"lesion_01": 0.01, "lesion_02": 0.34}
WHOLE_BODY_TRUTH = """subsection Whole body
  subsection Receptor densities
    set Kidney [nmol L^-1]          = 20
    set Salivary glands [nmol L^-1] = 50
  end
  subsection Release rates
    set Kidney [min^-1] = 4e-4
  end
  subsection Lesions
    set Lesions = Tumor1: 0.01, 80, 0.5, 0.6, 1.5e-4; Tumor2: 0.34, 15, 0.5, 0.6, 1.5e-4; TumorRest: 0.0488721805, 266, 0.5, 0.6, 1.5e-4
  end
%s
end
"""
POPULATION = ["--set", "Whole body/Receptor densities/Kidney [nmol L^-1]=14",
              "--set", "Whole body/Receptor densities/Salivary glands [nmol L^-1]=38",
              "--set", "Whole body/Release rates/Kidney [min^-1]=2.9e-4",
              "--set", "Whole body/Lesions/Lesions=lesion_01: 0.01, 57, 0.5, 0.6, 1.5e-4; "
                       "lesion_02: 0.34, 19, 0.5, 0.6, 1.5e-4; TumorRest: 0.0488721805, 266, 0.5, 0.6, 1.5e-4",
              "--set", "Output/Plots=false"]
PARAMETERS = "Twin/Calibration/Parameters=" + ", ".join(TRUTH)


def cycles_table(folder):
    out = {}
    for r in csv.DictReader(open(os.path.join(folder, "predicted_cycles.csv"))):
        out[(int(r["cycle"]), r["tissue"])] = {k: float(v) for k, v in r.items() if k not in ("cycle", "tissue")}
    return out


def main():
    args = arguments(("--seeds", {"type": int, "default": 20, "help": "noisy patients of (b)"}))
    check = Checks()

    # The synthetic patient, two cycles six weeks apart, imaged in the first.
    cycles = "  subsection Injection\n    set Number of cycles = 2\n  end"
    clean = os.path.join(args.work, "clean")
    with open(clean + ".prm", "w") as f:
        f.write(WHOLE_BODY_TRUTH % cycles)
        f.write("subsection Phantom\n  set Resolution FWHM [mm] = 0\n  set Counts per MBq = 0\nend\n"
                "subsection Output\n  set Directory = %s\n  set Plots = false\nend\n" % clean)
    run([args.radiotwin, "phantom", clean + ".prm"])
    truth = json.load(open(os.path.join(clean, "truth.json")))

    # (a) and (c): the noise-free images, from the population, with a parameter they cannot inform.
    twin_prm = os.path.join(clean, "twin.prm")
    out = run([args.radiotwin, "twin", twin_prm] + POPULATION +
              ["--set", PARAMETERS + ", GI_receptor_density"])
    print(out)
    cal = json.load(open(os.path.join(clean, "twin", "calibration.json")))
    check(cal["converged"], "the calibration converged (%d iterations, %d model runs, %.1f s)" %
          (cal["iterations"], cal["model_runs"], cal["wall_time_s"]))
    fitted = {p["name"]: p for p in cal["parameters"]}
    density = 1.04
    for name, true in TRUTH.items():
        value = fitted[name]["value"]
        lesion = name[:-len("_receptor_density")]
        if lesion in LESION_VOLUME_L:
            value *= cal["tissues"][lesion]["patient_mass_kg"] / density / LESION_VOLUME_L[lesion]
        check(abs(value / true - 1) < 0.01, "(a) %s = %.6g, truth %.6g (%.3f %%)%s" %
              (name, value, true, 100 * (value / true - 1), " (receptor amount)" if lesion in LESION_VOLUME_L else ""))
        check(fitted[name]["identifiable"], "(c) %s identifiable (data-only relative se %.3g)" %
              (name, fitted[name]["data_only_relative_se"]))
    gi = fitted["GI_receptor_density"]
    check(not gi["identifiable"] and "GI_receptor_density" in cal["not_identifiable"],
          "(c) GI_receptor_density reported not identifiable (data-only relative se %s, prior variance "
          "removed %.3g)" % (gi["data_only_relative_se"], gi["prior_variance_removed"]))
    predicted = cycles_table(os.path.join(clean, "twin"))
    true_tia = truth["time_integrated_activity_MBq_h"]
    for tissue, regions in (("kidney", ["kidney_left", "kidney_right"]), ("salivary_glands", ["salivary_left", "salivary_right"]),
                            ("liver", ["liver"]), ("spleen", ["spleen"]), ("lesion_01", ["lesion_01"]),
                            ("lesion_02", ["lesion_02"])):
        t = sum(true_tia[r] for r in regions)
        m = predicted[(1, tissue)]["time_integrated_activity_MBq_h"]
        check(abs(m / t - 1) < 0.005, "(a) TIA %s: calibrated model %.6g, truth %.6g MBq h (%.3f %%)" %
              (tissue, m, t, 100 * (m / t - 1)))

    # (f) The lesion PDE twin of lesion_01 (point 5): its voxels meshed with host tissue,
    # smoothed; the coupled run with the calibrated model, its receptor density scaled until
    # the run's lesion curve matches the measured one (one factor within 1 %).
    out = run([args.radiotwin, "twin", twin_prm] + POPULATION +
              ["--set", PARAMETERS, "--set", "Twin/Calibration/Predicted cycles=1",
               "--set", "Twin/Lesion PDE/Lesion=lesion_01", "--set", "Output/Directory=" + os.path.join(args.work, "pde")])
    pde = json.load(open(os.path.join(args.work, "pde", "lesion_01_pde", "lesion_pde.json")))
    check(abs(pde["meshed_volume_mL"] / pde["segmented_volume_mL"] - 1) < 0.03,
          "(f) meshed lesion %.4g mL, segmented %.4g mL (%d voxels, %d host voxels)" %
          (pde["meshed_volume_mL"], pde["segmented_volume_mL"], pde["voxels"], pde["host_voxels"]))
    last = pde["runs"][-1]
    check(abs(last["factor"] - 1) < 0.01 and last["largest_relative_difference"] < 0.1,
          "(f) after %d coupled runs R0 = %.4g nmol/L (start %.4g): factor %.4f, largest difference to the "
          "measured curve %.1f %%" % (len(pde["runs"]), last["receptor_density_nmol_per_L"],
                                      pde["receptor_density_start_nmol_per_L"], last["factor"],
                                      100 * last["largest_relative_difference"]))
    summary = json.load(open(os.path.join(args.work, "pde", "lesion_01_pde", "run", "summary.json")))
    check("lesion_01" in summary["whole_body"]["tissues"], "(f) the coupled run reports lesion_01 among the tissues")

    # The truth's second cycle: radiotwin pbrpk of the true parameters to 6 and to 12 weeks.
    tia_at = {}
    for hours in (1008, 2016):
        folder = os.path.join(args.work, "truth_%d" % hours)
        with open(folder + ".prm", "w") as f:
            f.write(WHOLE_BODY_TRUTH % (cycles + "\n  subsection Integration\n    set Duration [h] = %d\n  end" % hours))
            f.write("subsection Output\n  set Directory = %s\n  set Plots = false\nend\n" % folder)
        run([args.radiotwin, "pbrpk", folder + ".prm"])
        tia_at[hours] = json.load(open(os.path.join(folder, "summary.json")))["tissues"]["kidney"]
    true_cycle2 = tia_at[2016]["time_integrated_activity_MBq_h"] - tia_at[1008]["time_integrated_activity_MBq_h"]
    true_cycle2_dose = tia_at[2016]["absorbed_dose_Gy"] - tia_at[1008]["absorbed_dose_Gy"]

    # (e) A noisy table of the same patient (10 % errors), 168 h held out.
    rng = random.Random(20261208)
    times = truth["imaging_times_h"]
    regions = ["kidney_left", "kidney_right", "salivary_left", "salivary_right", "liver", "spleen", "lesion_01", "lesion_02"]
    table = os.path.join(args.work, "noisy_tacs.csv")
    with open(table, "w") as f:
        f.write("time_h," + ",".join(r + "_MBq" for r in regions) + "\n")
        for i, t in enumerate(times):
            f.write("%g," % t + ",".join("%.8g" % (truth["activity_MBq"][r][i] * (1 + 0.1 * rng.gauss(0, 1)))
                                         for r in regions) + "\n")
    masses = "lesion_01: %g, lesion_02: %g" % (LESION_VOLUME_L["lesion_01"] * density, LESION_VOLUME_L["lesion_02"] * density)
    noisy = os.path.join(args.work, "noisy")
    out = run([args.radiotwin, "twin", twin_prm] + POPULATION +
              ["--set", PARAMETERS, "--set", "Twin/Time-activity source=table", "--set", "Twin/Time-activity file=" + table,
               "--set", "Twin/Organ masses [kg]=" + masses, "--set", "Twin/Calibration/Held-out times [h]=168",
               "--set", "Twin/Calibration/Predicted cycles=2", "--set", "Output/Directory=" + noisy])
    print(out)
    predicted = cycles_table(noisy)
    p2 = predicted[(2, "kidney")]
    check(abs(p2["time_integrated_activity_MBq_h"] - true_cycle2) <= 1.96 * p2["time_integrated_activity_sd_MBq_h"],
          "(e) cycle-2 kidney TIA predicted %.5g +- %.3g MBq h, truth %.5g (%.2f sd)" %
          (p2["time_integrated_activity_MBq_h"], p2["time_integrated_activity_sd_MBq_h"], true_cycle2,
           (p2["time_integrated_activity_MBq_h"] - true_cycle2) / p2["time_integrated_activity_sd_MBq_h"]))
    check(abs(p2["absorbed_dose_Gy"] - true_cycle2_dose) <= 1.96 * p2["absorbed_dose_sd_Gy"],
          "(e) cycle-2 kidney dose predicted %.4g +- %.2g Gy, truth %.4g Gy" %
          (p2["absorbed_dose_Gy"], p2["absorbed_dose_sd_Gy"], true_cycle2_dose))
    held = json.load(open(os.path.join(noisy, "calibration.json")))["held_out"]
    check(len(held) == 6, "(e) the 168 h point of all 6 tissues held out and predicted")
    for h in held:
        z = (h["predicted_MBq"] - h["measured_MBq"]) / (0.1 * h["measured_MBq"])
        check(abs(z) < 3, "(e) held-out %s at 168 h: predicted %.4g, measured %.4g MBq (%.1f %%)" %
              (h["tissue"], h["predicted_MBq"], h["measured_MBq"], 100 * h["relative_error"]))

    # (b) Blur (10 mm FWHM) and counting noise (18000 counts/MBq), corrected by the geometric
    # transfer matrix, over several seeds: the 95 % intervals cover the true values, and the
    # kidney TIA (calibrated model and classical fit) is within 10 % of the truth.
    covered = {name: 0 for name in TRUTH}
    kidney_true = true_tia["kidney_left"] + true_tia["kidney_right"]
    worst_model = worst_classical = 0.0
    for seed in range(1, args.seeds + 1):
        folder = os.path.join(args.work, "seed_%02d" % seed)
        with open(folder + ".prm", "w") as f:
            f.write(WHOLE_BODY_TRUTH % "")
            f.write("subsection Phantom\n  set Resolution FWHM [mm] = 10\n  set Counts per MBq = 18000\n"
                    "  set Seed = %d\nend\nsubsection Output\n  set Directory = %s\n  set Plots = false\nend\n"
                    % (seed, folder))
        run([args.radiotwin, "phantom", folder + ".prm"])
        run([args.radiotwin, "twin", os.path.join(folder, "twin.prm")] + POPULATION +
            ["--set", PARAMETERS, "--set", "Twin/Calibration/Predicted cycles=1"])
        cal = json.load(open(os.path.join(folder, "twin", "calibration.json")))
        for p in cal["parameters"]:
            true = TRUTH[p["name"]]
            lesion = p["name"][:-len("_receptor_density")]
            if lesion in LESION_VOLUME_L:  # the truth in the twin's terms: the same receptor amount
                true *= LESION_VOLUME_L[lesion] / (cal["tissues"][lesion]["patient_mass_kg"] / density)
            covered[p["name"]] += p["ci95_lower"] <= true <= p["ci95_upper"]
        model_tia = cycles_table(os.path.join(folder, "twin"))[(1, "kidney")]["time_integrated_activity_MBq_h"]
        classical = sum(float(r["time_integrated_activity_MBq_h"]) for r in
                        csv.DictReader(open(os.path.join(folder, "twin", "dose_table.csv")))
                        if r["organ"].startswith("kidney"))
        worst_model = max(worst_model, abs(model_tia / kidney_true - 1))
        worst_classical = max(worst_classical, abs(classical / kidney_true - 1))
    need = int(0.85 * args.seeds + 0.5)  # 17 of 20
    for name, n in covered.items():
        check(n >= need, "(b) %s: the 95 %% interval covers the truth in %d of %d noisy, blurred patients" %
              (name, n, args.seeds))
    check(worst_model < 0.10, "(b) kidney TIA of the calibrated model within %.2f %% of the truth in every patient" %
          (100 * worst_model))
    check(worst_classical < 0.10, "(b) classical kidney TIA after GTM correction within %.2f %% of the truth" %
          (100 * worst_classical))

    # Malformed calibration input.
    cases = [("unknown parameter", ["--set", "Twin/Calibration/Parameters=kidney_density"],
              r"parameter 'Twin/Calibration/Parameters'.*'kidney_density' is not an adjustable parameter"),
             ("region of no tissue", ["--set", "Twin/Calibration/Region tissues=liver: pancreas"],
              r"parameter 'Twin/Calibration/Region tissues'.*'liver' belongs to 'pancreas', which is not a tissue"),
             ("held-out time not measured", ["--set", "Twin/Calibration/Held-out times [h]=72"],
              r"parameter 'Twin/Calibration/Held-out times \[h\]'.*72 h is not a measurement time"),
             ("activity not given to the model", ["--set", "Twin/Injected activity [MBq]=6000"],
              r"parameter 'Twin/Injected activity \[MBq\]'.*6000 MBq, but one cycle of"),
             ("PDE lesion not a lesion", ["--set", "Twin/Lesion PDE/Lesion=liver"],
              r"parameter 'Twin/Lesion PDE/Lesion'.*'liver' is not one of 'Twin/Lesions'")]

    for name, extra, pattern in cases:
        done = subprocess.run([args.radiotwin, "twin", twin_prm, "--set", "Output/Plots=false",
                               "--set", "Output/Directory=" + os.path.join(args.work, "bad")] + extra,
                              capture_output=True, text=True)
        lines = done.stderr.strip().splitlines()
        check(done.returncode == 1 and len(lines) == 1 and re.search(pattern, lines[0]) is not None,
              "bad input, %s: exit %d, %r" % (name, done.returncode, done.stderr.strip()[:300]))

    check.finish()


if __name__ == "__main__":
    main()
