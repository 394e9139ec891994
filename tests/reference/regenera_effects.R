# Reference numbers for Study A's effect sizes and left-out women
# (src/ovaregen/analysis/regenera.py, regenera_age_groups.py, regenera_logistic.py,
# regenera_markers.py), on the random dataset plans.R reads (data/regenera-random, written by
# plan_data.py: missing values at random).
#
#   Rscript regenera_effects.R   ->   regenera_effects.json
#
# Base R only; the JSON writer is lib/json.R. The cases have the shape of plans.json's (id, the
# exact R call, rel_tol, expected), so tests/analysis/test_regenera_effects.py compares them
# with the same rules:
#
# * the Welch t-tests of Table 1's tested rows (haemoglobin, leukocytes, platelets):
#   t.test(x ~ oocyte_activation), difference not activated - activated;
# * activation by age group (< 38 vs >= 38): the risk difference with Newcombe's hybrid score
#   interval (Wilson limits from prop.test(correct = FALSE) per group, then Newcombe 1998
#   method 10), Fisher's exact p and the relative risk with its log (Katz) interval; the odds
#   ratio as fisher.test defines it (conditional MLE, exact conditional interval), its
#   equations solved to 1e-14 (fisher.test's own uniroot stops at 1.2e-4), with its p;
# * the logistic regression's odds ratio per covariate and the publication table with the
#   intercept: glm(family = binomial), exp(coef), exp(confint.default) (Wald), Wald z p;
# * the women each result leaves out: `left_out` lists, for the columns the result needs in the
#   order the plan names them, how many rows are unknown on that column and known on every
#   earlier one (rows counted once, under their first unknown column); zero counts omitted.
source("lib/json.R")
source("lib/newcombe.R")

arr <- function(x) structure(as.numeric(unname(x)), json_array = TRUE)
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(unname(x))[1]
run <- function(code) {
  value <- NULL
  for (e in parse(text = code)) value <- withVisible(eval(e, envir = globalenv()))$value
  value
}
CLOSED_FORM <- 1e-9
ITERATIVE <- 1e-6

setup <- c(
  'p <- read.csv("data/regenera-random/participants.csv", na.strings = "", stringsAsFactors = FALSE)',
  'status <- ifelse(is.na(p$status), "completed", p$status)',
  'A <- p[status == "completed", ]',
  "stopifnot(all(abs(A$amh_post_ng_ml - 1.2 * A$amh_ng_ml) > 1e-6, na.rm = TRUE))",
  "A$activation_by_afc <- A$afc_post - A$afc >= 3",
  "A$activation_by_amh <- A$amh_post_ng_ml >= 1.2 * A$amh_ng_ml",
  "A$oocyte_activation <- A$activation_by_afc | A$activation_by_amh"
)
for (line in setup) run(line)

# Rows of A left out, each under the first of `columns` it is unknown on.
left_out <- function(columns) {
  remaining <- A
  out <- list()
  for (column in columns) {
    unknown <- is.na(remaining[[column]])
    if (sum(unknown) > 0) out[[length(out) + 1]] <- list(column = column, count = sum(unknown))
    remaining <- remaining[!unknown, ]
  }
  out
}

results <- list()
add <- function(id, call, expected, columns, rel_tol = CLOSED_FORM) {
  expected$population_n <- nrow(A)
  expected$left_out <- left_out(columns)
  results[[length(results) + 1]] <<- list(id = id, call = call, rel_tol = rel_tol,
                                          expected = expected)
}

# --- Table 1's tested rows: Welch t-tests ------------------------------------------------------
for (case in list(c("hemoglobin_by_activation", "hemoglobin_g_dl"),
                  c("wbc_by_activation", "wbc_10e9_l"),
                  c("platelets_by_activation", "platelets_10e9_l"))) {
  call <- sprintf("t.test(%s ~ oocyte_activation, data = A)", case[2])
  r <- run(call)
  used <- model.frame(as.formula(sprintf("%s ~ oocyte_activation", case[2])), A)
  parts <- split(used[[1]], factor(used[[2]]))
  add(case[1], call, list(
    n = nrow(used), statistic = num(r$statistic), df = num(r$parameter), p_value = r$p.value,
    estimate = num(r$estimate[1] - r$estimate[2]), ci_low = r$conf.int[1],
    ci_high = r$conf.int[2],
    groups = unname(lapply(parts, function(v) list(n = length(v), mean = mean(v), sd = sd(v))))
  ), c("oocyte_activation", case[2]))
}

# --- activation by age group -------------------------------------------------------------------
age_table <- paste0(
  'tab <- table(factor(A$age_years < 38, levels = c(TRUE, FALSE), labels = c("< 38", ">= 38")), ',
  "factor(A$oocyte_activation, levels = c(TRUE, FALSE)))")
group_counts <- function(tab) {
  lapply(seq_len(nrow(tab)), function(i) list(events = tab[i, 1], n = sum(tab[i, ])))
}

call <- paste0(
  age_table, "; ",
  "x <- tab[, 1]; n <- rowSums(tab); p1 <- x[1] / n[1]; p2 <- x[2] / n[2]; ",
  "nc <- newcombe(x[1], n[1], x[2], n[2]); d <- nc$estimate; ",
  "f <- fisher.test(tab); ",
  "rr <- p1 / p2; ",
  "rr_ci <- exp(log(rr) + c(-1, 1) * qnorm(0.975) * sqrt(1 / x[1] - 1 / n[1] + 1 / x[2] - 1 / n[2])); ",
  "list(estimate = d, conf.int = c(nc$ci_low, nc$ci_high), p.value = f$p.value, rr = rr, rr_ci = rr_ci)")
r <- run(call)
add("activation_by_age_group_difference", call, list(
  n = sum(tab), estimate = num(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2],
  p_value = r$p.value, groups = group_counts(tab), relative_risk = num(r$rr),
  relative_risk_ci_low = r$rr_ci[1], relative_risk_ci_high = r$rr_ci[2]),
  c("age_years", "oocyte_activation"))

# Conditional maximum-likelihood odds ratio and its exact (Cornfield) limits, as fisher.test
# defines them, solved to 1e-14 instead of uniroot's default 1.2e-4 (fisher.test's own upper
# limit here is 1.3e-5 off the root); as fisher_or_precise in stats.R.
fisher_or_precise <- function(tab, conf.level = 0.95) {
  m <- sum(tab[, 1]); n <- sum(tab[, 2]); k <- sum(tab[1, ]); x <- tab[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  density <- function(psi) { d <- logdc + log(psi) * support; d <- exp(d - max(d)); d / sum(d) }
  mean_at <- function(psi) sum(support * density(psi))
  lower_tail <- function(psi) sum(density(psi)[support <= x])
  upper_tail <- function(psi) sum(density(psi)[support >= x])
  solve_log <- function(f, target) {
    g <- function(l) f(exp(l)) - target
    a <- -1; b <- 1
    while (g(a) * g(b) > 0) { a <- 2 * a; b <- 2 * b }
    exp(uniroot(g, c(a, b), tol = 1e-14)$root)
  }
  alpha <- (1 - conf.level) / 2
  est <- if (x == lo) 0 else if (x == hi) Inf else solve_log(mean_at, x)
  low <- if (x == lo) 0 else solve_log(upper_tail, alpha)
  high <- if (x == hi) Inf else solve_log(lower_tail, alpha)
  c(estimate = est, low = low, high = high)
}
call <- paste0(age_table, "; f <- fisher.test(tab); precise <- fisher_or_precise(tab); ",
               "list(p.value = f$p.value, or = precise)")
r <- run(call)
add("activation_by_age_group_odds_ratio", call, list(
  n = sum(tab), estimate = num(r$or["estimate"]), ci_low = num(r$or["low"]),
  ci_high = num(r$or["high"]), p_value = r$p.value, groups = group_counts(tab)),
  c("age_years", "oocyte_activation"), rel_tol = 1e-8)

# --- logistic regression: one odds ratio per covariate, and the table ----------------------------
covariates <- c("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul")
needed <- c("oocyte_activation", covariates)
call <- paste0(
  "fit <- glm(oocyte_activation ~ age_years + wbc_d5_10e9_l + cd34_d5_per_ul, ",
  "family = binomial, data = A); coefs <- coef(summary(fit)); ",
  "ci <- exp(confint.default(fit)); cbind(exp(coefs[, 1]), ci, coefs[, 3:4])")
invisible(run(call))
events <- sum(model.frame(fit)$oocyte_activation)
for (name in covariates) {
  add(paste0("logistic_activation_", name), call, list(
    n = nobs(fit), estimate = exp(coefs[name, "Estimate"]), ci_low = ci[name, 1],
    ci_high = ci[name, 2], statistic = coefs[name, "z value"],
    p_value = coefs[name, "Pr(>|z|)"], n_events = events), needed, rel_tol = ITERATIVE)
}
add("logistic_activation", call, list(n = nobs(fit), n_events = events), needed,
    rel_tol = ITERATIVE)
terms <- c(covariates, "(Intercept)")
table_case <- list(
  id = "logistic_activation_terms", call = call, rel_tol = ITERATIVE,
  expected = list(
    n = nobs(fit), n_events = events,
    rows = lapply(terms, function(name) list(
      odds_ratio = exp(coefs[name, "Estimate"]), ci_low = ci[name, 1], ci_high = ci[name, 2],
      p_value = coefs[name, "Pr(>|z|)"]))))

# --- left-out women of the results computed before these effects ---------------------------------
counted <- function(id, n, columns) {
  results[[length(results) + 1]] <<- list(
    id = id, call = sprintf("left_out(c(%s))", paste0('"', columns, '"', collapse = ", ")),
    rel_tol = CLOSED_FORM,
    expected = list(n = n, population_n = nrow(A), left_out = left_out(columns)))
}
complete <- function(columns) sum(complete.cases(A[, columns]))
counted("roc_cd34_activation", complete(c("oocyte_activation", "cd34_d5_per_ul")),
        c("oocyte_activation", "cd34_d5_per_ul"))
counted("roc_wbc_activation", complete(c("oocyte_activation", "wbc_d5_10e9_l")),
        c("oocyte_activation", "wbc_d5_10e9_l"))
counted("roc_age_groups_equality",
        complete(c("oocyte_activation", "age_years", "cd34_d5_per_ul")),
        c("oocyte_activation", "age_years", "cd34_d5_per_ul"))
counted("wbc_cd34_correlation", complete(c("wbc_d5_10e9_l", "cd34_d5_per_ul")),
        c("wbc_d5_10e9_l", "cd34_d5_per_ul"))
counted("activation_by_age_group", complete(c("age_years", "oocyte_activation")),
        c("age_years", "oocyte_activation"))
counted("activation_rate", complete("oocyte_activation"), "oocyte_activation")
for (case in list(c("age_by_activation", "age_years"), c("wbc_d5_by_activation", "wbc_d5_10e9_l"),
                  c("cd34_by_activation", "cd34_d5_per_ul"))) {
  counted(case[1], complete(c("oocyte_activation", case[2])), c("oocyte_activation", case[2]))
}

writeLines(json_value(list(
  generator = "tests/reference/regenera_effects.R",
  data_generator = "tests/reference/plan_data.py",
  r_version = R.version.string,
  plan = "regenera",
  dataset = "data/regenera-random",
  setup = setup,
  results = results,
  tables = list(table_case)
)), "regenera_effects.json")
cat("wrote regenera_effects.json\n")
