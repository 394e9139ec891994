# Reference numbers for ovaregen.stats.regression (logistic regression), from R's glm().
#
#   Rscript regression.R   (or: make reference)   ->   regression.json
#
# Base R only (stats); the JSON writer is lib/json.R, so that no extra package is needed. Every case
# stores its input data, the exact R call, the numbers and the warnings R gave.

source("lib/json.R")
arr <- function(x) structure(x, json_array = TRUE)
column <- function(x) arr(unname(x))

# Fit with R's defaults and keep every warning glm() gave.
fit_case <- function(name, data, formula_text, note = "") {
  warnings_seen <- character(0)
  fit <- withCallingHandlers(
    glm(as.formula(formula_text), family = binomial, data = data),
    warning = function(w) {
      warnings_seen <<- c(warnings_seen, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  coefs <- coef(fit)
  table <- coef(summary(fit))  # aliased (NA) terms are absent from this table
  ci <- suppressMessages(confint.default(fit))
  terms <- lapply(names(coefs), function(term) {
    estimated <- term %in% rownames(table)
    pick <- function(col) if (estimated) unname(table[term, col]) else NA
    list(
      name = if (term == "(Intercept)") "(Intercept)" else term,
      coefficient = unname(coefs[term]),
      std_error = pick("Std. Error"),
      z_value = pick("z value"),
      p_value = pick("Pr(>|z|)"),
      odds_ratio = unname(exp(coefs[term])),
      ci_low = unname(exp(ci[term, 1])),
      ci_high = unname(exp(ci[term, 2]))
    )
  })
  used <- model.frame(fit)
  outcome <- all.vars(as.formula(formula_text))[1]
  list(
    name = name,
    note = note,
    r_call = paste0("fit <- glm(", formula_text, ", family = binomial, data = d); ",
                    "summary(fit); exp(coef(fit)); exp(confint.default(fit)); ",
                    "logLik(fit); AIC(fit)"),
    data = lapply(data, column),
    outcome = outcome,
    covariates = arr(all.vars(as.formula(formula_text))[-1]),
    n = nobs(fit),
    n_events = sum(used[[outcome]] == 1),
    log_likelihood = as.numeric(logLik(fit)),
    aic = AIC(fit),
    deviance = deviance(fit),
    null_deviance = fit$null.deviance,
    iterations = fit$iter,
    converged = fit$converged,
    r_warnings = arr(warnings_seen),
    terms = terms
  )
}

cases <- list()

# 1. Study-A-like: 145 women, activation ~ age + day-5 leukocytes + day-5 CD34+, a few missing.
set.seed(20250301)
n <- 145
age <- round(pmin(44, pmax(26, rnorm(n, 39.1, 4))))
wbc <- round(pmin(59.67, pmax(14.47, rnorm(n, 36.8, 9))), 2)
cd34 <- round(pmin(140, pmax(2, exp(log(27) + 0.35 * as.numeric(scale(wbc)) + rnorm(n, 0, 0.55)))))
lp <- 0.78 - 0.04 * (age - 39) + 0.015 * (wbc - 37) + 0.012 * (cd34 - 30)
activation <- rbinom(n, 1, plogis(lp))
wbc[5] <- NA
cd34[c(17, 88)] <- NA
activation[120] <- NA
study_a <- data.frame(activation = activation, age_years = age, wbc_d5_10e9_l = wbc,
                      cd34_d5_per_ul = cd34)
cases[[length(cases) + 1]] <- fit_case(
  "study_a_like", study_a, "activation ~ age_years + wbc_d5_10e9_l + cd34_d5_per_ul",
  "seeded (set.seed(20250301)); 4 rows with a missing value, dropped by na.omit")

# 2. Complete separation: dose > 6 always responds, dose <= 6 never does.
separated <- data.frame(
  response = c(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1),
  dose = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
  weight = c(61, 72, 55, 80, 66, 59, 70, 64, 77, 58, 69, 73)
)
cases[[length(cases) + 1]] <- fit_case(
  "complete_separation", separated, "response ~ dose + weight",
  "dose separates the outcome completely: the MLE does not exist")

# 3. Quasi-complete separation: dose > 6 always responds, dose < 6 never; dose == 6 has both.
quasi <- data.frame(
  response = c(0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1),
  dose = c(1, 2, 3, 4, 5, 6, 6, 6, 6, 7, 8, 9, 10, 11),
  weight = c(61, 72, 55, 80, 66, 70, 59, 64, 77, 58, 69, 73, 62, 68)
)
cases[[length(cases) + 1]] <- fit_case(
  "quasi_complete_separation", quasi, "response ~ dose + weight",
  "dose separates the outcome except at dose 6, where both outcomes occur")

# 4. Separation that R's IRLS does not declare converged within 25 iterations: dose 6 is mixed,
#    but weight separates the outcome there, so dose and weight together separate it completely.
not_converged <- data.frame(
  response = c(0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1),
  dose = c(1, 2, 3, 4, 5, 6, 6, 6, 6, 7, 8, 9, 10, 11),
  weight = c(61, 72, 55, 80, 66, 59, 70, 64, 77, 58, 69, 73, 62, 68)
)
cases[[length(cases) + 1]] <- fit_case(
  "separation_not_converged", not_converged, "response ~ dose + weight",
  "R warns 'algorithm did not converge' as well as 'fitted probabilities numerically 0 or 1'")

# 5. A collinear covariate: R reports NA (aliased) for it and fits the rest.
set.seed(7)
aliased <- data.frame(y = rbinom(40, 1, 0.4), x = round(rnorm(40, 10, 3), 1))
aliased$x_twice <- 2 * aliased$x
cases[[length(cases) + 1]] <- fit_case(
  "aliased_covariate", aliased, "y ~ x + x_twice", "x_twice = 2 * x is aliased (NA in R)")

writeLines(json_value(list(
  generated_by = "tests/reference/regression.R",
  r_version = R.version.string,
  cases = cases
)), "regression.json")
