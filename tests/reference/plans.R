# Reference numbers for the analysis plans (src/ovaregen/analysis/{regenera,mensc,ucmsc_rct}.py),
# end to end: the random datasets written by plan_data.py are read with base R, the population
# and endpoint rules are re-implemented here from their definitions (INTERCHANGE.md, the plan
# modules' docstrings, ovaregen.domain.{activation,pregnancy,live_birth}), and every result the
# plan reports is recomputed with the R function the plan claims to match.
#
#   Rscript plans.R   (or: make reference)   ->   plans.json
#
# Needs pROC 1.18.0 and survival; the JSON writer is lib/json.R. For each plan the JSON stores
# `setup`, the R statements that read the CSV files and derive the analysis frame, and for each
# result its `call`: the exact R code whose value gave the numbers, evaluated from that very
# string after the setup. `rel_tol` is the relative tolerance the Python test uses: 1e-9 where
# both sides are closed-form (t, chi-square, Wilson, Newcombe, Poisson, DeLong, Kaplan-Meier...),
# 1e-6 for the iteratively fitted logistic regression. null = R gives NA.
suppressPackageStartupMessages({
  library(pROC)
  library(survival)
})
stopifnot(packageVersion("pROC") == "1.18.0")
source("lib/json.R")

arr <- function(x) structure(as.numeric(unname(x)), json_array = TRUE)
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(unname(x))[1]
run <- function(code) {
  value <- NULL
  for (e in parse(text = code)) value <- withVisible(eval(e, envir = globalenv()))$value
  value
}
CLOSED_FORM <- 1e-9
ITERATIVE <- 1e-6

plans <- list()
results <- NULL
add <- function(id, call, expected, rel_tol = CLOSED_FORM, note = NULL) {
  case <- list(id = id, call = call, rel_tol = rel_tol, expected = expected)
  if (!is.null(note)) case$note <- note
  results[[length(results) + 1]] <<- case
}
start_plan <- function(setup) {
  results <<- list()
  for (line in setup) run(line)
}
finish_plan <- function(plan, dataset, population, setup) {
  plans[[length(plans) + 1]] <<- list(plan = plan, dataset = dataset, population = population,
                                      setup = setup, results = results)
}

# --- building blocks: each evaluates `call` and picks the numbers out -------------------------

# A proportion x / n with Wilson's interval; `counts` defines x and n in R.
rate <- function(id, counts) {
  call <- paste0(counts, "; prop.test(x, n, correct = FALSE)")
  r <- suppressWarnings(run(call))
  add(id, call, list(n = n, estimate = num(r$estimate), ci_low = r$conf.int[1],
                     ci_high = r$conf.int[2], numerator = x, denominator = n))
}

# A count per unit with the exact Poisson interval.
per_unit <- function(id, counts) {
  call <- paste0(counts, "; poisson.test(x, n)")
  r <- run(call)
  add(id, call, list(n = n, estimate = num(r$estimate), ci_low = r$conf.int[1],
                     ci_high = r$conf.int[2], numerator = x, denominator = n))
}

# Two-sample t-test by the formula's two-level grouping (first level - second level), with the
# groups' n, mean and SD; `wilcoxon` adds wilcox.test()'s p (the plan's Mann-Whitney p).
t_case <- function(id, formula, data, var_equal = FALSE, wilcoxon = FALSE) {
  call <- sprintf("t.test(%s, data = %s%s)", formula, data,
                  if (var_equal) ", var.equal = TRUE" else "")
  r <- run(call)
  used <- model.frame(as.formula(formula), get(data))
  names(used) <- c("value", "group")
  parts <- split(used$value, factor(used$group))
  expected <- list(
    n = nrow(used), statistic = num(r$statistic), df = num(r$parameter), p_value = r$p.value,
    estimate = num(r$estimate[1] - r$estimate[2]), ci_low = r$conf.int[1],
    ci_high = r$conf.int[2],
    groups = unname(lapply(parts, function(v) list(n = length(v), mean = mean(v), sd = sd(v))))
  )
  if (wilcoxon) {
    w_call <- sprintf("wilcox.test(%s, data = %s)", formula, data)
    call <- paste0(call, "; ", w_call)
    expected$mann_whitney_p_value <- suppressWarnings(run(w_call))$p.value
  }
  add(id, call, expected)
}

# Pearson's chi-square of a 2 x 2 table (rows = groups in the plan's order, first column = event).
chisq_case <- function(id, table_code, before = "") {
  call <- paste0(before, "tab <- ", table_code, "; chisq.test(tab, correct = TRUE)")
  r <- suppressWarnings(run(call))
  add(id, call, list(n = sum(tab), statistic = num(r$statistic), df = num(r$parameter),
                     p_value = r$p.value, groups = group_counts(tab)))
}
group_counts <- function(tab) {
  lapply(seq_len(nrow(tab)), function(i) list(events = tab[i, 1], n = sum(tab[i, ])))
}

# Risk difference (row 1 - row 2) with Newcombe's hybrid score interval (Newcombe 1998, method
# 10: from the Wilson limits of prop.test(correct = FALSE) of each row, as effects.R checks
# ovaregen.stats.newcombe), Fisher's exact p (NA where a column of the table is empty, i.e. no
# woman or every woman has the event: fisher.test says 1 there, ovaregen.stats.contingency.
# fisher_exact reports no test; as adverse_events.R records it), and the relative risk with its
# log (Katz) interval (NA where a risk is 0: the plan has no zero-cell correction; a first risk
# of 0 gives RR = 0 without an interval).
risk_call <- function(table_code, relative_risk = FALSE) paste0(
  "tab <- ", table_code, "; f <- fisher.test(tab); ",
  "a <- tab[1, 1]; n1 <- sum(tab[1, ]); b <- tab[2, 1]; n2 <- sum(tab[2, ]); p1 <- a / n1; ",
  "p2 <- b / n2; w1 <- prop.test(a, n1, correct = FALSE)$conf.int; ",
  "w2 <- prop.test(b, n2, correct = FALSE)$conf.int; ",
  "nc <- c(p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), ",
  "p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)); ",
  if (relative_risk) paste0(
    "rr <- if (b == 0) NA else (a / n1) / (b / n2); ",
    "rr_ci <- if (a == 0 || b == 0) c(NA, NA) else ",
    "exp(log(rr) + c(-1, 1) * qnorm(0.975) * sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)); "),
  "list(estimate = p1 - p2, conf.int = c(max(nc[1], -1), min(nc[2], 1)), ",
  "p.value = if (any(colSums(tab) == 0)) NA else f$p.value",
  if (relative_risk) ", relative_risk = rr, relative_risk_ci = rr_ci", ")")
risk_numbers <- function(r, tab) {
  list(n = sum(tab), estimate = num(r$estimate), ci_low = r$conf.int[1],
       ci_high = r$conf.int[2], p_value = num(r$p.value))
}
# A binary outcome by arm: arm_difference_<suffix> (risk difference, with the relative risk in
# its extra numbers) and arm_ratio_<suffix> (the relative risk as a result: same table, same p).
risk_case <- function(suffix, outcome) {
  call <- risk_call(sprintf("table(C$arm, factor(C$%s, levels = c(TRUE, FALSE)))", outcome),
                    relative_risk = TRUE)
  r <- suppressWarnings(run(call))
  add(paste0("arm_difference_", suffix), call, c(risk_numbers(r, tab), list(
    groups = group_counts(tab), relative_risk = num(r$relative_risk),
    relative_risk_ci_low = r$relative_risk_ci[1], relative_risk_ci_high = r$relative_risk_ci[2])))
  add(paste0("arm_ratio_", suffix), call, list(
    n = sum(tab), estimate = num(r$relative_risk), ci_low = r$relative_risk_ci[1],
    ci_high = r$relative_risk_ci[2], p_value = num(r$p.value), groups = group_counts(tab)))
}

# ROC of a marker for activation: AUC, DeLong CI, Youden cut-off (lowest tied threshold).
roc_case <- function(id, marker) {
  call <- sprintf(paste0(
    'r <- roc(A$oocyte_activation, A$%s, levels = c(FALSE, TRUE), direction = "<", ',
    'quiet = TRUE); auc(r); ci.auc(r, method = "delong"); ',
    'coords(r, "best", best.method = "youden", ',
    'ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)'), marker)
  best <- run(call)
  ci <- ci.auc(r, method = "delong")
  first <- which.min(best$threshold)
  add(id, call, list(
    n = length(r$cases) + length(r$controls), estimate = as.numeric(auc(r)),
    ci_low = ci[1], ci_high = ci[3], cutoff = best$threshold[first],
    sensitivity = best$sensitivity[first], specificity = best$specificity[first],
    youden_index = best$sensitivity[first] + best$specificity[first] - 1,
    optimal_cutoffs = arr(sort(best$threshold)),
    n_cases = length(r$cases), n_controls = length(r$controls)))
}

# The median (range) of observed values.
observed <- function(id, values_code) {
  call <- paste0("m <- ", values_code, "; m <- m[!is.na(m)]; c(median(m), min(m), max(m))")
  r <- run(call)
  add(id, call, list(n = length(m), estimate = r[1], minimum = r[2], maximum = r[3]))
}

# Kaplan-Meier: quantile(fit, 0.5) and the survfit table.
km_case <- function(id, time, event) {
  call <- sprintf(paste0("fit <- survfit(Surv(%s, %s) ~ 1, data = B); ",
                         "quantile(fit, probs = 0.5)"), time, event)
  q <- run(call)
  add(id, call, list(
    n = fit$n, estimate = num(q$quantile), ci_low = num(q$lower), ci_high = num(q$upper),
    n_events = sum(fit$n.event),
    km_table = list(time = arr(fit$time), n_risk = arr(fit$n.risk), n_event = arr(fit$n.event),
                    n_censor = arr(fit$n.censor), survival = arr(fit$surv),
                    ci_low = arr(fit$lower), ci_high = arr(fit$upper))))
}

read_lines <- function(folder) c(
  sprintf('p <- read.csv("%s/participants.csv", na.strings = "", stringsAsFactors = FALSE)',
          folder),
  sprintf('g <- read.csv("%s/pregnancies.csv", na.strings = "", stringsAsFactors = FALSE)',
          folder),
  'status <- ifelse(is.na(p$status), "completed", p$status)'
)

# --- Study A: regenera -----------------------------------------------------------------------
# Analysed = status completed (empty = completed). Activation (CRITERIA.md): AFC post - pre >= 3
# or AMH post >= 1.2 x pre, Kleene OR (R's NA logic). plan_data.py keeps every AMH pair more than
# 1e-6 from the boundary, so the plan's 1e-9 tolerance and R's plain >= agree (checked below).
setup <- c(
  read_lines("data/regenera-random"),
  'A <- p[status == "completed", ]',
  "stopifnot(all(abs(A$amh_post_ng_ml - 1.2 * A$amh_ng_ml) > 1e-6, na.rm = TRUE))",
  "A$activation_by_afc <- A$afc_post - A$afc >= 3",
  "A$activation_by_amh <- A$amh_post_ng_ml >= 1.2 * A$amh_ng_ml",
  "A$oocyte_activation <- A$activation_by_afc | A$activation_by_amh",
  "A$pregnant <- A$participant_id %in% g$participant_id",
  'A$pregnancy_spontaneous <- A$participant_id %in% g$participant_id[g$conception == "spontaneous"]',
  'A$pregnancy_ivf <- A$participant_id %in% g$participant_id[g$conception == "ivf"]',
  "activated <- A[A$oocyte_activation %in% TRUE, ]",
  "not_activated <- A[A$oocyte_activation %in% FALSE, ]"
)
start_plan(setup)
rate("activation_rate",
     "x <- sum(A$oocyte_activation, na.rm = TRUE); n <- sum(!is.na(A$oocyte_activation))")
rate("activation_by_afc_rate",
     "x <- sum(A$activation_by_afc, na.rm = TRUE); n <- sum(!is.na(A$activation_by_afc))")
rate("activation_by_amh_rate",
     "x <- sum(A$activation_by_amh, na.rm = TRUE); n <- sum(!is.na(A$activation_by_amh))")
t_case("age_by_activation", "age_years ~ oocyte_activation", "A")
t_case("age_by_activation_student", "age_years ~ oocyte_activation", "A", var_equal = TRUE)
t_case("wbc_d5_by_activation", "wbc_d5_10e9_l ~ oocyte_activation", "A")
t_case("cd34_by_activation", "cd34_d5_per_ul ~ oocyte_activation", "A")

call <- "cor.test(A$wbc_d5_10e9_l, A$cd34_d5_per_ul)"
r <- run(call)
add("wbc_cd34_correlation", call, list(
  n = sum(complete.cases(A$wbc_d5_10e9_l, A$cd34_d5_per_ul)), estimate = num(r$estimate),
  statistic = num(r$statistic), df = num(r$parameter), p_value = r$p.value,
  ci_low = r$conf.int[1], ci_high = r$conf.int[2]))

roc_case("roc_cd34_activation", "cd34_d5_per_ul")
roc_case("roc_wbc_activation", "wbc_d5_10e9_l")

call <- paste0(
  "young <- A[!is.na(A$age_years) & A$age_years < 38, ]; ",
  "older <- A[!is.na(A$age_years) & A$age_years >= 38, ]; ",
  'r1 <- roc(young$oocyte_activation, young$cd34_d5_per_ul, levels = c(FALSE, TRUE), ',
  'direction = "<", quiet = TRUE); ',
  'r2 <- roc(older$oocyte_activation, older$cd34_d5_per_ul, levels = c(FALSE, TRUE), ',
  'direction = "<", quiet = TRUE); ',
  'roc.test(r1, r2, method = "delong", paired = FALSE)')
r <- run(call)
roc_group <- function(x) {
  list(auc = as.numeric(auc(x)), n_cases = length(x$cases), n_controls = length(x$controls),
       n = length(x$cases) + length(x$controls))
}
add("roc_age_groups_equality", call, list(
  n = length(r1$cases) + length(r1$controls) + length(r2$cases) + length(r2$controls),
  statistic = num(r$statistic), df = num(r$parameter), p_value = r$p.value,
  estimate = num(r$estimate[1] - r$estimate[2]),
  groups = list(roc_group(r1), roc_group(r2))))

chisq_case("activation_by_age_group", paste0(
  'table(factor(A$age_years < 38, levels = c(TRUE, FALSE), labels = c("< 38", ">= 38")), ',
  "factor(A$oocyte_activation, levels = c(TRUE, FALSE)))"))

call <- paste0(
  "fit <- glm(oocyte_activation ~ age_years + wbc_d5_10e9_l + cd34_d5_per_ul, ",
  "family = binomial, data = A); coef(summary(fit)); exp(coef(fit)); ",
  "exp(confint.default(fit))")
ci <- run(call)
coefs <- coef(summary(fit))
term <- function(name) {
  list(name = name, estimate = exp(coefs[name, "Estimate"]), ci_low = ci[name, 1],
       ci_high = ci[name, 2], p_value = coefs[name, "Pr(>|z|)"],
       coefficient = coefs[name, "Estimate"], std_error = coefs[name, "Std. Error"],
       z_value = coefs[name, "z value"])
}
add("logistic_activation", call, list(
  n = nobs(fit), n_events = sum(model.frame(fit)$oocyte_activation),
  aic = AIC(fit), deviance = deviance(fit), null_deviance = fit$null.deviance,
  terms = lapply(c("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul"), term),
  intercept = term("(Intercept)")), rel_tol = ITERATIVE,
  note = "IRLS (R glm.fit) vs the plan's statsmodels IRLS: equal to convergence")

subsets <- c(activated = "activated", not_activated = "not_activated", all = "A")
kinds <- c(spontaneous_pregnancy = "pregnancy_spontaneous", ivf_pregnancy = "pregnancy_ivf",
           pregnancy = "pregnant")
for (subset in names(subsets)) {
  for (kind in names(kinds)) {
    frame <- subsets[[subset]]
    id <- paste0(kind, "_rate", if (subset == "all") "" else paste0("_", subset))
    rate(id, sprintf("x <- sum(%s$%s); n <- nrow(%s)", frame, kinds[[kind]], frame))
  }
}
finish_plan("regenera", "data/regenera-random",
            "status completed (empty = completed)", setup)

# --- Study B: mensc --------------------------------------------------------------------------
# Women treated: status not screen_failed with injections >= 1 or a treatment_date (the other
# evidence columns of ovaregen.domain.live_birth are absent from the data). Pregnancies: theirs.
setup <- c(
  read_lines("data/mensc-random"),
  paste0('B <- p[status != "screen_failed" & ((!is.na(p$injections) & p$injections >= 1) | ',
         "!is.na(p$treatment_date)), ]"),
  "G <- g[g$participant_id %in% B$participant_id, ]",
  "B$ivf_after_treatment <- as.logical(B$ivf_after_treatment)",
  "first_month <- function(rows) tapply(rows$months_after_treatment, rows$participant_id, min)",
  "B$pregnant <- B$participant_id %in% G$participant_id",
  'B$pregnancy_spontaneous <- B$participant_id %in% G$participant_id[G$conception == "spontaneous"]',
  'B$pregnancy_ivf <- B$participant_id %in% G$participant_id[G$conception == "ivf"]',
  paste0("G$live_birth <- G$outcome == \"live_birth\" | G$infants_live_born >= 1"),
  "B$has_live_birth <- B$participant_id %in% G$participant_id[G$live_birth]",
  "B$months_to_first_pregnancy <- unname(first_month(G)[B$participant_id])",
  paste0("B$months_to_first_spontaneous <- ",
         'unname(first_month(G[G$conception == "spontaneous", ])[B$participant_id])'),
  'B$months_to_first_ivf <- unname(first_month(G[G$conception == "ivf", ])[B$participant_id])',
  "B$time <- ifelse(B$pregnant, B$months_to_first_pregnancy, B$followup_months)",
  paste0("B$time_spontaneous <- ifelse(B$pregnancy_spontaneous, B$months_to_first_spontaneous, ",
         "B$followup_months)")
)
start_plan(setup)
rate("pregnancy_rate", "x <- sum(B$pregnant); n <- nrow(B)")
rate("spontaneous_pregnancy_rate", "x <- sum(B$pregnancy_spontaneous); n <- nrow(B)")
rate("ivf_pregnancy_rate", paste0(
  "U <- B[B$ivf_after_treatment %in% TRUE | B$pregnancy_ivf, ]; ",
  "x <- sum(U$pregnancy_ivf); n <- nrow(U)"))
event <- "factor(%s$pregnant, levels = c(TRUE, FALSE))"
chisq_case("pregnancy_by_age_group", paste0(
  "table(factor(B$age_years < 35, levels = c(TRUE, FALSE)), ", sprintf(event, "B"), ")"))
chisq_case("pregnancy_by_menses", paste0(
  'table(factor(M$menses, levels = c("regular", "irregular")), ', sprintf(event, "M"), ")"),
  before = 'M <- B[B$menses %in% c("regular", "irregular"), ]; ')
chisq_case("pregnancy_by_injections", paste0(
  "table(factor(B$injections >= 2, levels = c(FALSE, TRUE)), ", sprintf(event, "B"), ")"))
# Study B's Table 2 effects (src/ovaregen/analysis/mensc_factors.py): per factor the difference
# in pregnancy rates (row 1 - row 2) with Newcombe's hybrid score interval (the Wilson limits of
# each row from prop.test(correct = FALSE), then Newcombe's formula) and fisher.test's
# conditional MLE odds ratio with its exact interval and p. fisher.test stops its root search at
# uniroot's default tolerance (about 1e-4), so the odds ratio is compared at 1e-3 here;
# mensc_effects.R solves its equations to 1e-14 for the 1e-8 check.
newcombe_call <- function(table_code) paste0(
  "tab <- ", table_code, "; a <- tab[1, 1]; n1 <- sum(tab[1, ]); b <- tab[2, 1]; ",
  "n2 <- sum(tab[2, ]); p1 <- a / n1; p2 <- b / n2; ",
  "w1 <- prop.test(a, n1, correct = FALSE)$conf.int; ",
  "w2 <- prop.test(b, n2, correct = FALSE)$conf.int; ",
  "c(p1 - p2, max(p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), -1), ",
  "min(p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2), 1))")
effect_cases <- function(id, table_code, before = "") {
  call <- paste0(before, newcombe_call(table_code))
  d <- suppressWarnings(run(call))
  add(paste0(id, "_difference"), call, list(n = sum(tab), estimate = d[1], ci_low = d[2],
                                            ci_high = d[3], groups = group_counts(tab)))
  call <- paste0(before, "tab <- ", table_code, "; fisher.test(tab)")
  f <- run(call)
  add(paste0(id, "_odds_ratio"), call,
      list(n = sum(tab), estimate = num(f$estimate), ci_low = f$conf.int[1],
           ci_high = f$conf.int[2], p_value = f$p.value, groups = group_counts(tab)),
      rel_tol = 1e-3, note = "fisher.test's MLE and limits stop at uniroot's default tolerance")
}
effect_cases("pregnancy_by_age_group", paste0(
  "table(factor(B$age_years < 35, levels = c(TRUE, FALSE)), ", sprintf(event, "B"), ")"))
effect_cases("pregnancy_by_menses", paste0(
  'table(factor(M$menses, levels = c("regular", "irregular")), ', sprintf(event, "M"), ")"),
  before = 'M <- B[B$menses %in% c("regular", "irregular"), ]; ')
effect_cases("pregnancy_by_injections", paste0(
  "table(factor(B$injections >= 2, levels = c(FALSE, TRUE)), ", sprintf(event, "B"), ")"))
rate("pregnancy_both_ways_rate",
     "x <- sum(B$pregnancy_spontaneous & B$pregnancy_ivf); n <- nrow(B)")
rate("live_birth_rate_per_woman", "x <- sum(B$has_live_birth); n <- nrow(B)")
per_unit("infants_per_woman", "x <- sum(G$infants_live_born); n <- nrow(B)")
rate("live_birth_rate_per_pregnancy", "x <- sum(G$live_birth); n <- nrow(G)")
per_unit("infants_per_pregnancy", "x <- sum(G$infants_live_born); n <- nrow(G)")
rate("miscarriage_rate_per_pregnancy", 'x <- sum(G$outcome == "miscarriage"); n <- nrow(G)')
observed("months_to_pregnancy_spontaneous", "B$months_to_first_spontaneous")
observed("months_to_pregnancy_ivf", "B$months_to_first_ivf")
km_case("time_to_pregnancy_km", "time", "pregnant")
km_case("time_to_spontaneous_pregnancy_km", "time_spontaneous", "pregnancy_spontaneous")
observed("age_of_pregnant_women", "B$age_years[B$pregnant]")
finish_plan("mensc", "data/mensc-random",
            "status not screen_failed, with injections >= 1 or a treatment_date", setup)

# --- Study C: ucmsc-rct ----------------------------------------------------------------------
# Randomised (ITT) = status not screen_failed with an arm; first arm ucmsc_hrt, second hrt.
# participants.csv's follow-up columns hold the month_3 values (the protocol's primary
# follow-up visit; followup_months and the checklist: month_12, Protocol.summary_visit): the
# unsuffixed results use them. `<outcome>_<visit>` is the value visits.csv gives at that visit
# (NA where the woman has no row for it). Adverse events (CONSORT Harms, ovaregen.stats.
# adverse_events): over the randomised women, with or without events (events of others
# ignored); a term is keyed stripped, lower-cased, every run of non-alphanumerics an "_".
complications <- c("comp_ovarian_cyst", "comp_ovarian_torsion", "comp_endometrioma",
                   "comp_endometriosis", "comp_ovarian_malignancy", "comp_pid", "comp_ectopic",
                   "comp_autoimmune")
visits <- c("month_3", "month_6", "month_12")
setup <- c(
  read_lines("data/ucmsc-random"),
  'v <- read.csv("data/ucmsc-random/visits.csv", na.strings = "", stringsAsFactors = FALSE)',
  paste0('e <- read.csv("data/ucmsc-random/adverse_events.csv", na.strings = "", ',
         "stringsAsFactors = FALSE, strip.white = FALSE)"),
  'C <- p[status != "screen_failed" & !is.na(p$arm), ]',
  'C$arm <- factor(C$arm, levels = c("ucmsc_hrt", "hrt"))',
  "C$afc_change <- C$afc_post - C$afc",
  "C$amh_change_ng_ml <- C$amh_post_ng_ml - C$amh_ng_ml",
  "stopifnot(all(abs(C$amh_post_ng_ml - 1.2 * C$amh_ng_ml) > 1e-6, na.rm = TRUE))",
  "C$oocyte_activation <- (C$afc_post - C$afc >= 3) | (C$amh_post_ng_ml >= 1.2 * C$amh_ng_ml)",
  paste0("C$menses_resumed <- ifelse(is.na(C$menses_followup), NA, ",
         'C$menses_followup %in% c("regular", "irregular"))'),
  "C$pregnant <- C$participant_id %in% g$participant_id",
  paste0("C$has_live_birth <- C$participant_id %in% ",
         'g$participant_id[g$outcome == "live_birth" | g$infants_live_born >= 1]'),
  sprintf("complications <- c(%s)", paste0('"', complications, '"', collapse = ", ")),
  "C$any_complication <- Reduce(`|`, lapply(C[complications], as.logical))",
  # the values at each follow-up visit
  paste0("at_visit <- function(visit, column) { rows <- v[v$visit == visit, ]; ",
         "rows[[column]][match(C$participant_id, rows$participant_id)] }"),
  sprintf("visits <- c(%s)", paste0('"', visits, '"', collapse = ", ")),
  paste0(
    "for (V in visits) { ",
    'C[[paste0("afc_post_", V)]] <- at_visit(V, "afc_post"); ',
    'C[[paste0("amh_post_ng_ml_", V)]] <- at_visit(V, "amh_post_ng_ml"); ',
    'C[[paste0("afc_change_", V)]] <- C[[paste0("afc_post_", V)]] - C$afc; ',
    'C[[paste0("amh_change_ng_ml_", V)]] <- C[[paste0("amh_post_ng_ml_", V)]] - C$amh_ng_ml; ',
    'm <- at_visit(V, "menses_followup"); ',
    'C[[paste0("menses_resumed_", V)]] <- ifelse(is.na(m), NA, m %in% c("regular", "irregular")) }'),
  # participants.csv holds the month_3 values (and month_12's for the checklist)
  paste0("stopifnot(identical(C$afc_post, C$afc_post_month_3), ",
         "identical(C$amh_post_ng_ml, C$amh_post_ng_ml_month_3), ",
         'identical(C$menses_followup, at_visit("month_3", "menses_followup")), ',
         'identical(C$followup_months, at_visit("month_12", "followup_months")))'),
  # adverse events of the randomised women, their arm and term key; worst known grade per woman
  "E <- e[e$participant_id %in% C$participant_id, ]",
  "E$arm <- C$arm[match(E$participant_id, C$participant_id)]",
  "E$serious <- as.logical(E$serious)",
  'E$key <- gsub("[^0-9a-z]+", "_", tolower(trimws(E$term)))',
  paste0("worst <- tapply(E$grade, E$participant_id, ",
         "function(g) if (all(is.na(g))) NA else max(g, na.rm = TRUE))"),
  "C$worst_grade <- unname(worst[C$participant_id])"
)
start_plan(setup)
for (outcome in c("afc_post", "amh_post_ng_ml", "afc_change", "amh_change_ng_ml")) {
  t_case(paste0("arm_difference_", outcome), paste(outcome, "~ arm"), "C", wilcoxon = TRUE)
}
for (outcome in c("oocyte_activation", "menses_resumed", "pregnant", "has_live_birth",
                  "any_complication")) {
  risk_case(outcome, outcome)
}
for (visit in visits) {
  for (outcome in c("afc_post", "amh_post_ng_ml", "afc_change", "amh_change_ng_ml")) {
    column <- paste0(outcome, "_", visit)
    t_case(paste0("arm_difference_", column), paste(column, "~ arm"), "C", wilcoxon = TRUE)
  }
  risk_case(paste0("menses_resumed_", visit), paste0("menses_resumed_", visit))
}

# ANCOVA: lm(outcome at the visit ~ arm + baseline), arm's reference level hrt (coefficient =
# ucmsc_hrt - hrt), complete cases; the adjusted means predict()ed at the mean baseline of the
# complete cases (ancova.R).
ancova_case <- function(id, outcome, baseline) {
  call <- sprintf(paste0(
    'D <- C; D$arm <- relevel(D$arm, ref = "hrt"); fit <- lm(%s ~ arm + %s, data = D); ',
    "s <- coef(summary(fit)); ci <- confint(fit); used <- model.frame(fit); ",
    'nd <- data.frame(arm = factor(c("ucmsc_hrt", "hrt"), levels = levels(D$arm)), ',
    "%s = mean(used$%s)); ",
    'pr <- predict(fit, newdata = nd, se.fit = TRUE, interval = "confidence")'),
    outcome, baseline, baseline, baseline)
  run(call)
  groups <- lapply(1:2, function(i) {  # ucmsc_hrt, then hrt: the complete cases of each arm
    rows <- used[used$arm == c("ucmsc_hrt", "hrt")[i], ]
    list(n = nrow(rows), mean = mean(rows[[1]]), sd = sd(rows[[1]]),
         mean_baseline = mean(rows[[baseline]]), adjusted_mean = unname(pr$fit[i, "fit"]),
         adjusted_ci_low = unname(pr$fit[i, "lwr"]), adjusted_ci_high = unname(pr$fit[i, "upr"]))
  })
  arm <- "armucmsc_hrt"
  add(id, call, list(
    n = nobs(fit), statistic = s[arm, "t value"], df = fit$df.residual,
    p_value = s[arm, "Pr(>|t|)"], estimate = s[arm, "Estimate"], ci_low = ci[arm, 1],
    ci_high = ci[arm, 2], std_error = s[arm, "Std. Error"], baseline = baseline,
    baseline_coefficient = s[baseline, "Estimate"],
    baseline_std_error = s[baseline, "Std. Error"], baseline_p_value = s[baseline, "Pr(>|t|)"],
    residual_std_error = summary(fit)$sigma, r_squared = summary(fit)$r.squared,
    mean_baseline = mean(used[[baseline]]), groups = groups))
}
baselines <- c(afc_post = "afc", amh_post_ng_ml = "amh_ng_ml")
for (visit in visits) {
  for (outcome in names(baselines)) {
    ancova_case(paste0("ancova_", outcome, "_", visit), paste0(outcome, "_", visit),
                baselines[[outcome]])
  }
}
ancova_case("primary_outcome_ancova", "amh_post_ng_ml_month_3", "amh_ng_ml")

# Adverse events by arm: women with >= 1 such event / randomised women of the arm, risk
# difference (Newcombe) and Fisher's exact p (NA for an empty column); per arm the events counted.
harm_case <- function(id, selected) {
  call <- paste0(
    sprintf("S <- E[%s, ]; ", selected),
    risk_call("table(C$arm, factor(C$participant_id %in% S$participant_id, levels = c(TRUE, FALSE)))"))
  r <- suppressWarnings(run(call))
  groups <- lapply(levels(C$arm), function(a) {
    list(women = tab[a, 1], n = sum(tab[a, ]), events = sum(S$arm == a))
  })
  add(id, call, c(risk_numbers(r, tab), list(groups = groups)))
}
harm_case("adverse_events_any", "TRUE")
harm_case("adverse_events_serious", "E$serious %in% TRUE")
harm_case("adverse_events_grade_3_or_more", "E$grade %in% 3:5")
for (k in 1:5) {
  # women by their worst known grade; the events of that grade
  call <- paste0(
    sprintf("S <- E[E$grade %%in%% %d, ]; ", k),
    risk_call(sprintf("table(C$arm, factor(C$worst_grade %%in%% %d, levels = c(TRUE, FALSE)))",
                      k)))
  r <- suppressWarnings(run(call))
  groups <- lapply(levels(C$arm), function(a) {
    list(women = tab[a, 1], n = sum(tab[a, ]), events = sum(S$arm == a))
  })
  add(paste0("adverse_events_worst_grade_", k), call, c(risk_numbers(r, tab),
                                                         list(groups = groups)))
}
for (key in sort(unique(E$key), method = "radix")) {
  harm_case(paste0("adverse_events_term_", key), sprintf('E$key == "%s"', key))
}
finish_plan("ucmsc-rct", "data/ucmsc-random",
            "status not screen_failed with an arm (intention to treat)", setup)

writeLines(json_value(list(
  generator = "tests/reference/plans.R",
  data_generator = "tests/reference/plan_data.py",
  r_version = R.version.string,
  proc_version = as.character(packageVersion("pROC")),
  survival_version = as.character(packageVersion("survival")),
  plans = plans
)), "plans.json")
cat("wrote plans.json\n")
