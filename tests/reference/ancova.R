# Reference numbers for ovaregen.stats.ancova (baseline-adjusted comparison of two arms).
#
#   Rscript ancova.R   (or: make reference)   ->   ancova.json
#
# Base R only (stats); the JSON writer is lib/json.R. Each case stores its input data (NA ->
# null), the arms in the order compared (first, second), the exact R calls, and the numbers:
# the arm and baseline terms of summary(fit) with confint(fit) (t-based, confint.lm; also at
# level = 0.90), sigma, R^2, the per-arm unadjusted means over the complete cases, and the
# adjusted (least-squares) means predict()ed at the mean baseline of the complete cases.
# `arm` is a factor whose reference level is the second arm: the arm coefficient is first - second.
# The Python tests compare with a relative tolerance of 1e-9 (OLS is closed form).

source("lib/json.R")
arr <- function(x) structure(x, json_array = TRUE)
column <- function(x) arr(unname(x))

term_of <- function(fit, name) {
  table <- coef(summary(fit))
  ci <- confint(fit)
  ci90 <- confint(fit, level = 0.90)
  list(
    coefficient = unname(table[name, "Estimate"]),
    std_error = unname(table[name, "Std. Error"]),
    t_value = unname(table[name, "t value"]),
    p_value = unname(table[name, "Pr(>|t|)"]),
    ci_low = unname(ci[name, 1]),
    ci_high = unname(ci[name, 2]),
    ci90_low = unname(ci90[name, 1]),
    ci90_high = unname(ci90[name, 2])
  )
}

ancova_case <- function(name, y, arm, baseline, first, second, note = "") {
  d <- data.frame(y = y, arm = factor(arm, levels = c(second, first)), baseline = baseline)
  fit <- lm(y ~ arm + baseline, data = d)
  s <- summary(fit)
  used <- model.frame(fit)
  mean_baseline <- mean(used$baseline)
  newdata <- data.frame(arm = factor(c(first, second), levels = c(second, first)),
                        baseline = mean_baseline)
  p <- predict(fit, newdata = newdata, se.fit = TRUE, interval = "confidence")
  arms <- lapply(1:2, function(i) {
    level <- c(first, second)[i]
    rows <- used[used$arm == level, ]
    list(
      arm = level,
      n = nrow(rows),
      mean_outcome = mean(rows$y),
      sd_outcome = sd(rows$y),
      mean_baseline = mean(rows$baseline),
      adjusted_mean = unname(p$fit[i, "fit"]),
      adjusted_std_error = unname(p$se.fit[i]),
      adjusted_ci_low = unname(p$fit[i, "lwr"]),
      adjusted_ci_high = unname(p$fit[i, "upr"])
    )
  })
  arm_term <- paste0("arm", first)
  list(
    name = name,
    note = note,
    r_call = paste0(
      "d <- data.frame(y, arm = factor(arm, levels = c(\"", second, "\", \"", first,
      "\")), baseline); fit <- lm(y ~ arm + baseline, data = d); summary(fit); confint(fit); ",
      "predict(fit, newdata = data.frame(arm = factor(c(\"", first, "\", \"", second,
      "\"), levels = c(\"", second, "\", \"", first, "\")), baseline = ",
      "mean(model.frame(fit)$baseline)), se.fit = TRUE, interval = \"confidence\")"
    ),
    data = list(outcome = column(y), arm = column(arm), baseline = column(baseline)),
    first = first,
    second = second,
    n = nobs(fit),
    n_excluded = length(y) - nobs(fit),
    df = fit$df.residual,
    arm_term = term_of(fit, arm_term),
    baseline_term = term_of(fit, "baseline"),
    intercept = unname(coef(fit)[1]),
    sigma = s$sigma,
    r_squared = s$r.squared,
    adj_r_squared = s$adj.r.squared,
    mean_baseline = mean_baseline,
    arms = arms
  )
}

cases <- list()

# 1. A normal trial: 30 women per arm, AMH (ng/mL) at 6 months adjusted for baseline AMH.
set.seed(20250412)
n <- 30
arm <- rep(c("MenSC", "control"), each = n)
baseline <- round(pmax(0.05, rnorm(2 * n, 0.6, 0.25)), 3)
y <- round(0.1 + 0.8 * baseline + 0.15 * (arm == "MenSC") + rnorm(2 * n, 0, 0.15), 3)
cases[[length(cases) + 1]] <- ancova_case(
  "normal", y, arm, baseline, "MenSC", "control",
  "seeded (set.seed(20250412)); 30 per arm; labels sort as R's default reference (control)")

# 2. Missing outcomes and baselines: those rows are dropped (complete cases).
set.seed(20250413)
arm <- rep(c("MenSC", "control"), times = c(28, 27))
baseline <- round(rnorm(55, 7, 2.5), 1)            # antral follicle count-like
y <- round(1.5 + 0.9 * baseline + 1.2 * (arm == "MenSC") + rnorm(55, 0, 1.6), 1)
y[c(3, 17, 40)] <- NA
baseline[c(8, 40, 51)] <- NA
cases[[length(cases) + 1]] <- ancova_case(
  "missing_values", y, arm, baseline, "MenSC", "control",
  "seeded (set.seed(20250413)); outcome NA in rows 3, 17, 40; baseline NA in 8, 40, 51: 5 dropped")

# 3. Unequal arm sizes (2:1 randomisation, 40 vs 18), arm labels interleaved.
set.seed(20250414)
arm <- sample(rep(c("PRP", "sham"), times = c(40, 18)))
baseline <- round(rlnorm(58, log(0.8), 0.5), 3)
y <- round(0.05 + 1.1 * baseline - 0.1 * (arm == "PRP") + rnorm(58, 0, 0.3), 3)
cases[[length(cases) + 1]] <- ancova_case(
  "unequal_arms", y, arm, baseline, "PRP", "sham",
  "seeded (set.seed(20250414)); 40 PRP vs 18 sham in random order")

# 4. A tiny trial: 3 women per arm, residual df 3.
cases[[length(cases) + 1]] <- ancova_case(
  "tiny",
  y = c(1.9, 2.4, 3.1, 1.2, 1.0, 2.2),
  arm = c("MenSC", "MenSC", "MenSC", "control", "control", "control"),
  baseline = c(1.1, 1.6, 2.0, 0.9, 0.7, 1.8),
  first = "MenSC", second = "control",
  note = "written out; n = 6, df = 3")

# 5. Labels that sort the other way: first = "active" sorts before second = "placebo", so R's
#    default reference would be "active"; the factor levels put "placebo" first (reference).
set.seed(20250415)
arm <- rep(c("placebo", "active"), times = c(25, 26))
baseline <- round(rnorm(51, 20, 6), 2)
y <- round(4 + 0.7 * baseline + 2.5 * (arm == "active") + rnorm(51, 0, 3), 2)
cases[[length(cases) + 1]] <- ancova_case(
  "labels_sort_the_other_way", y, arm, baseline, "active", "placebo",
  "seeded (set.seed(20250415)); reference = placebo although \"active\" sorts first")

writeLines(json_value(list(
  generated_by = "tests/reference/ancova.R",
  r_version = R.version.string,
  tolerance = 1e-9,
  cases = cases
)), "ancova.json")
