# Reference numbers for ovaregen.stats contingency, proportions, comparison and correlation.
#
# Run from this folder (`make reference`): Rscript stats.R  ->  stats.json
# Base R only (no packages). Every case stores its input data, the exact R call that produced
# the numbers (evaluated from that very string), the numbers, and the relative tolerance the
# Python tests use: 1e-9, or looser where R itself stops at an approximation (stated per case).

# ---------------------------------------------------------------------------------------------
# A small JSON writer, so that the script needs nothing beyond base R.
# Numbers are written with 15 significant digits, or 17 where 15 would not read back the same; NA, NaN and +-Inf become null.
json_value <- function(v) {
  if (is.null(v)) return("null")
  if (is.list(v)) {
    items <- vapply(v, json_value, "")
    if (!is.null(names(v))) {
      keys <- vapply(names(v), json_string, "")
      return(paste0("{", paste0(keys, ": ", items, collapse = ", "), "}"))
    }
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  scalars <- if (is.character(v)) {
    vapply(v, json_string, "", USE.NAMES = FALSE)
  } else if (is.logical(v)) {
    ifelse(is.na(v), "null", ifelse(v, "true", "false"))
  } else {
    short <- sprintf("%.15g", as.numeric(v))   # shortest text that reads back the same double
    ifelse(is.finite(v), ifelse(as.numeric(short) == v, short, sprintf("%.17g", as.numeric(v))),
           "null")
  }
  if (length(v) == 1 && is.null(attr(v, "json_array"))) scalars else
    paste0("[", paste(scalars, collapse = ", "), "]")
}
json_string <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  paste0("\"", s, "\"")
}
as_array <- function(v) structure(v, json_array = TRUE)
rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) as_array(unname(m[i, ])))

run <- function(call) eval(parse(text = call), envir = globalenv())
num <- function(v) if (is.null(v)) NA_real_ else unname(as.numeric(v))

cases <- list()
add <- function(family, kind, id, input, call, expected, rel_tol = 1e-9, note = NULL) {
  case <- list(id = id, kind = kind, input = input, call = call, expected = expected,
               rel_tol = rel_tol)
  if (!is.null(note)) case$note <- note
  cases[[family]][[length(cases[[family]]) + 1]] <<- case
}

# ---------------------------------------------------------------------------------------------
# Contingency tables. Rows are groups, the first column counts the event.
# Study B Table 2 (STUDIES.md): pregnant / total by age, menses at injection, injections.
tables <- list(
  b_table2_age = matrix(c(12, 26, 11, 56), 2),        # 12/23 (< 35) vs 26/82 (>= 35)
  b_table2_menses = matrix(c(33, 5, 58, 9), 2),       # 33/91 regular vs 5/14 irregular
  b_table2_injections = matrix(c(29, 9, 41, 26), 2),  # 29/70 single vs 9/35 two injections
  small_expected = matrix(c(3, 1, 1, 3), 2),
  zero_cell_events = matrix(c(0, 5, 10, 5), 2),       # no event in the first group
  zero_cell_no_events = matrix(c(7, 2, 0, 6), 2),     # every first-group member has the event
  large_counts = matrix(c(1200, 1100, 800, 900), 2),
  unbalanced = matrix(c(2, 40, 9, 31), 2)
)

# Conditional maximum-likelihood odds ratio and its exact (Cornfield) limits, as fisher.test
# defines them, solved to 1e-14 instead of uniroot's default 1.2e-4: fisher.test itself is only
# that precise (its upper limit for small_expected is 621.93 where the root is 626.24).
fisher_or_precise <- function(tab, conf.level = 0.95) {
  m <- sum(tab[, 1]); n <- sum(tab[, 2]); k <- sum(tab[1, ]); x <- tab[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  density <- function(psi) { d <- logdc + log(psi) * support; d <- exp(d - max(d)); d / sum(d) }
  mean_at <- function(psi) sum(support * density(psi))
  lower_tail <- function(psi) sum(density(psi)[support <= x])
  upper_tail <- function(psi) sum(density(psi)[support >= x])
  # Solve f(psi) = target on psi in (0, Inf) through log(psi); f is monotone in psi.
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

z975 <- qnorm(0.975)
for (id in names(tables)) {
  tab <- tables[[id]]
  assign(id, tab)
  input <- list(table = rows_of(tab))
  for (correct in c(TRUE, FALSE)) {
    call <- sprintf("chisq.test(%s, correct = %s)", id, correct)
    r <- suppressWarnings(run(call))
    add("contingency", "chisq", paste0(id, if (correct) "_chisq_yates" else "_chisq"),
        c(input, list(correct = correct)), call,
        list(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
             expected = rows_of(r$expected), min_expected = min(r$expected),
             method = r$method),
        note = "statistic near 0 compared with an absolute tolerance of 1e-12")
  }
  call <- sprintf("fisher.test(%s)", id)
  r <- run(call)
  precise <- fisher_or_precise(tab)
  add("contingency", "fisher", paste0(id, "_fisher"), input, call,
      list(p_value = num(r$p.value), estimate = num(precise["estimate"]),
           ci_low = num(precise["low"]), ci_high = num(precise["high"]),
           fisher_test_estimate = num(r$estimate), fisher_test_ci = as_array(num(r$conf.int)),
           method = r$method),
      rel_tol = 1e-8,
      note = paste("p_value is fisher.test's (exact); estimate and CI solve fisher.test's",
                   "equations to 1e-14 (fisher_or_precise in stats.R); fisher.test's own",
                   "uniroot-limited values are kept for a 1e-2 check"))
  # Risk difference: the Wald interval of prop.test without continuity correction.
  call <- sprintf("prop.test(%s[, 1], rowSums(%s), correct = FALSE)", id, id)
  r <- suppressWarnings(run(call))
  add("contingency", "risk_difference", paste0(id, "_risk_difference"), input, call,
      list(estimate = num(r$estimate[1] - r$estimate[2]), ci_low = num(r$conf.int[1]),
           ci_high = num(r$conf.int[2])))
  # Relative risk with the log (Katz) interval, written out (base R has no function for it).
  call <- sprintf(paste0("with(list(a = %s[1, 1], n1 = sum(%s[1, ]), c = %s[2, 1], ",
                         "n2 = sum(%s[2, ])), {rr <- (a / n1) / (c / n2); ",
                         "se <- sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2); ",
                         "c(rr, exp(log(rr) + c(-1, 1) * qnorm(0.975) * se))})"),
                  id, id, id, id)
  r <- run(call)
  add("contingency", "relative_risk", paste0(id, "_relative_risk"), input, call,
      list(estimate = r[1], ci_low = r[2], ci_high = r[3]))
}

# r x c tables: R applies Yates only to 2 x 2, so correct = TRUE changes nothing here.
rxc <- list(
  three_by_two = matrix(c(10, 15, 30, 20, 12, 8), 3),
  three_by_three = matrix(c(5, 4, 1, 3, 6, 2, 2, 8, 9), 3)
)
for (id in names(rxc)) {
  tab <- rxc[[id]]
  assign(id, tab)
  call <- sprintf("chisq.test(%s, correct = TRUE)", id)
  r <- suppressWarnings(run(call))
  add("contingency", "chisq", paste0(id, "_chisq"), list(table = rows_of(tab), correct = TRUE),
      call, list(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
                 expected = rows_of(r$expected), min_expected = min(r$expected),
                 method = r$method))
}

# ---------------------------------------------------------------------------------------------
# Single proportions.
for (xn in list(c(12, 23), c(38, 105), c(99, 145), c(13, 54), c(0, 10), c(10, 10), c(1, 1),
                c(1, 20))) {
  x <- xn[1]; n <- xn[2]
  id <- sprintf("%d_of_%d", x, n)
  input <- list(count = x, n = n)
  call <- sprintf("prop.test(%d, %d, correct = FALSE)", x, n)
  r <- suppressWarnings(run(call))
  add("proportions", "wilson", paste0(id, "_wilson"), input, call,
      list(estimate = num(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2]))
  call <- sprintf("binom.test(%d, %d)", x, n)
  r <- run(call)
  add("proportions", "clopper_pearson", paste0(id, "_clopper_pearson"), input, call,
      list(estimate = num(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2]))
}

# ---------------------------------------------------------------------------------------------
# Counts per unit (exact Poisson interval): Study B's infants per woman and per pregnancy.
for (xt in list(c(32, 105), c(32, 43), c(0, 12), c(1, 1), c(250, 40))) {
  x <- xt[1]; units <- xt[2]
  call <- sprintf("poisson.test(%d, %d)", x, units)
  r <- run(call)
  add("rates", "poisson", sprintf("%d_per_%d", x, units), list(count = x, units = units), call,
      list(estimate = num(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2]))
}

# ---------------------------------------------------------------------------------------------
# Two-sample comparisons.
set.seed(20240603)
seeded_x <- round(rnorm(60, 40, 8), 3)
seeded_y <- round(rnorm(55, 37, 11), 3)
stopifnot(!anyDuplicated(c(seeded_x, seeded_y)))
samples <- list(
  cd34 = list(x = c(33.1, 12.4, 45.0, 27.8, 61.2, 19.5, 38.7, 22.3, 51.9, 30.6, 8.4, 140.0),
              y = c(26.5, 9.0, 18.2, 35.4, 21.7, 14.9, 29.3, 41.8, 16.0)),
  tied = list(x = c(1, 2, 2, 3, 4, 4, 4, 5), y = c(2, 3, 3, 5, 6, 6, 7)),
  seeded = list(x = seeded_x, y = seeded_y),
  two_each = list(x = c(1.2, 3.4), y = c(2.2, 5.1)),
  constant_x = list(x = c(5, 5, 5), y = c(1, 2, 3.5)),
  separated = list(x = c(10, 11, 12), y = c(1, 2, 3)),
  centred = list(x = c(1, 4), y = c(2, 3))
)
for (id in names(samples)) {
  s <- samples[[id]]
  assign(paste0(id, "_x"), s$x); assign(paste0(id, "_y"), s$y)
  input <- list(x = as_array(s$x), y = as_array(s$y))
  for (equal in c(FALSE, TRUE)) {
    call <- sprintf("t.test(%s_x, %s_y, var.equal = %s)", id, id, equal)
    r <- run(call)
    add("comparison", "t_test", paste0(id, if (equal) "_student" else "_welch"),
        c(input, list(equal_var = equal)), call,
        list(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
             estimate = num(r$estimate[1] - r$estimate[2]), ci_low = r$conf.int[1],
             ci_high = r$conf.int[2], mean_x = num(r$estimate[1]),
             mean_y = num(r$estimate[2]), method = r$method))
  }
  call <- sprintf("wilcox.test(%s_x, %s_y)", id, id)
  r <- suppressWarnings(run(call))
  add("comparison", "wilcox", paste0(id, "_wilcox"), input, call,
      list(statistic = num(r$statistic), p_value = num(r$p.value), method = r$method))
}
singleton_x <- 3; singleton_y <- c(1, 2, 4)
call <- "t.test(singleton_x, singleton_y, var.equal = TRUE)"
r <- run(call)
add("comparison", "t_test", "singleton_student",
    list(x = as_array(singleton_x), y = as_array(singleton_y), equal_var = TRUE), call,
    list(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
         estimate = num(r$estimate[1] - r$estimate[2]), ci_low = r$conf.int[1],
         ci_high = r$conf.int[2], mean_x = num(r$estimate[1]), mean_y = num(r$estimate[2]),
         method = r$method))
for (variant in list(list(id = "cd34", exact = FALSE, correct = TRUE),
                     list(id = "tied", exact = TRUE, correct = TRUE),
                     list(id = "tied", exact = NA, correct = FALSE),
                     list(id = "seeded", exact = TRUE, correct = TRUE))) {
  id <- variant$id
  exact_arg <- if (is.na(variant$exact)) "NULL" else as.character(variant$exact)
  call <- sprintf("wilcox.test(%s_x, %s_y, exact = %s, correct = %s)", id, id, exact_arg,
                  variant$correct)
  r <- suppressWarnings(run(call))
  add("comparison", "wilcox",
      sprintf("%s_wilcox_exact_%s_correct_%s", id, exact_arg, variant$correct),
      list(x = as_array(samples[[id]]$x), y = as_array(samples[[id]]$y),
           exact = if (is.na(variant$exact)) NULL else variant$exact,
           correct = variant$correct),
      call, list(statistic = num(r$statistic), p_value = num(r$p.value), method = r$method))
}

# ---------------------------------------------------------------------------------------------
# Correlation.
set.seed(145)
wbc <- round(rnorm(145, 37, 9), 2)
cd34 <- round(pmax(2, 0.9 * wbc - 5 + rnorm(145, 0, 10)), 1)   # ties in cd34
set.seed(30)
smooth_x <- round(runif(30, 0, 100), 4)
smooth_y <- round(smooth_x / 2 + rnorm(30, 0, 20), 4)
set.seed(1300)
big_x <- round(rnorm(1300), 6)
big_y <- round(0.05 * big_x + rnorm(1300), 6)
stopifnot(!anyDuplicated(smooth_x), !anyDuplicated(smooth_y), !anyDuplicated(big_x),
          !anyDuplicated(big_y))
pairs <- list(
  leukocytes = list(x = c(37.7, 20.7, 58.3, 31.2, 44.9, 26.0, 52.4, 35.5, 29.8, 48.1),
                    y = c(26.5, 9.0, 73.0, 30.2, 41.5, 12.8, 55.0, 18.4, 33.3, 60.7)),
  wbc_cd34 = list(x = wbc, y = cd34),
  three = list(x = c(1, 2, 4), y = c(2, 1, 5)),
  four = list(x = c(1, 2, 4, 7), y = c(2, 1, 5, 6)),
  seven = list(x = c(3.1, 1.2, 5.5, 4.4, 2.8, 6.0, 0.7), y = c(2.0, 1.1, 3.9, 5.2, 2.4, 4.8, 0.3)),
  nine = list(x = c(9, 2, 7, 4, 1, 8, 3, 6, 5), y = c(8, 1, 9, 2, 3, 7, 5, 4, 6)),
  ten = list(x = c(10, 2, 7, 4, 1, 8, 3, 6, 5, 9), y = c(8, 1, 10, 2, 3, 7, 5, 4, 6, 9)),
  perfect = list(x = c(1, 2, 3, 4, 5), y = c(2, 4, 8, 16, 32)),
  two = list(x = c(1, 2), y = c(5, 3)),
  smooth = list(x = smooth_x, y = smooth_y),
  big = list(x = big_x, y = big_y),
  tied = list(x = c(1, 2, 2, 3, 4, 5, 5, 6), y = c(1, 3, 2, 2, 5, 4, 6, 6))
)
for (id in names(pairs)) {
  p <- pairs[[id]]
  assign(paste0(id, "_x"), p$x); assign(paste0(id, "_y"), p$y)
  input <- list(x = as_array(p$x), y = as_array(p$y))
  if (length(p$x) >= 3) {
    call <- sprintf("cor.test(%s_x, %s_y)", id, id)
    r <- run(call)
    ci <- if (is.null(r$conf.int)) c(NA, NA) else r$conf.int
    add("correlation", "pearson", paste0(id, "_pearson"), input, call,
        list(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
             estimate = num(r$estimate), ci_low = ci[1], ci_high = ci[2]))
  }
  call <- sprintf("cor.test(%s_x, %s_y, method = \"spearman\")", id, id)
  r <- suppressWarnings(run(call))
  add("correlation", "spearman", paste0(id, "_spearman"), input, call,
      list(statistic = num(r$statistic), p_value = num(r$p.value), estimate = num(r$estimate)))
}
for (id in c("smooth", "seven")) {
  call <- sprintf("cor.test(%s_x, %s_y, method = \"spearman\", exact = FALSE)", id, id)
  r <- run(call)
  add("correlation", "spearman", paste0(id, "_spearman_asymptotic"),
      list(x = as_array(pairs[[id]]$x), y = as_array(pairs[[id]]$y), exact = FALSE), call,
      list(statistic = num(r$statistic), p_value = num(r$p.value), estimate = num(r$estimate)))
}

# ---------------------------------------------------------------------------------------------
out <- list(generated_by = "tests/reference/stats.R", r_version = R.version.string,
            contingency = cases$contingency, proportions = cases$proportions, rates = cases$rates,
            comparison = cases$comparison, correlation = cases$correlation)
writeLines(json_value(out), "stats.json")
