# Reference numbers for src/ovaregen/stats/roc.py from pROC (Robin et al. 2011).
# Run from this folder: Rscript proc.R   (writes proc.json; `make reference` does it).
# Every input vector is written to the JSON with 17 significant digits, so that Python reads
# exactly the values R used; numbers R cannot compute (NA) are null, infinite thresholds are
# the strings "Inf" / "-Inf".
suppressPackageStartupMessages({
  library(pROC)
  library(jsonlite)
})
stopifnot(packageVersion("pROC") == "1.18.0")

num <- function(x, array = length(x) != 1) {
  x <- as.numeric(x)
  f <- ifelse(is.na(x), "null",
              ifelse(is.infinite(x), ifelse(x > 0, '"Inf"', '"-Inf"'), sprintf("%.17g", x)))
  structure(if (array) paste0("[", paste(f, collapse = ","), "]") else f, class = "json")
}

fit <- function(event, marker) {
  roc(event, marker, levels = c(0, 1), direction = "<", quiet = TRUE)
}

# One marker: AUC, DeLong variance and CI, every Youden-optimal threshold (pROC's order).
single <- function(name, marker, event, about) {
  r <- fit(event, marker)
  ci <- suppressWarnings(ci.auc(r, method = "delong"))
  v <- suppressWarnings(var(r, method = "delong"))
  best <- coords(r, "best", best.method = "youden",
                 ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  all <- coords(r, "all", ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  list(
    name = name, about = about,
    marker = num(marker, TRUE), event = num(event, TRUE),
    call = paste('r <- roc(event, marker, levels = c(0, 1), direction = "<");',
                 'auc(r); var(r, method = "delong"); ci.auc(r, method = "delong");',
                 'coords(r, "best", best.method = "youden")'),
    n_cases = length(r$cases), n_controls = length(r$controls),
    auc = num(as.numeric(auc(r))), variance = num(v),
    ci_low = num(ci[1]), ci_high = num(ci[3]),
    best_thresholds = num(best$threshold, TRUE),
    best_sensitivities = num(best$sensitivity, TRUE),
    best_specificities = num(best$specificity, TRUE),
    thresholds = num(all$threshold, TRUE),
    sensitivities = num(all$sensitivity, TRUE),
    specificities = num(all$specificity, TRUE)
  )
}

paired <- function(name, marker1, marker2, event, about) {
  t <- roc.test(fit(event, marker1), fit(event, marker2), method = "delong", paired = TRUE)
  list(
    name = name, about = about,
    marker1 = num(marker1, TRUE), marker2 = num(marker2, TRUE), event = num(event, TRUE),
    call = paste('roc.test(roc(event, marker1, levels = c(0, 1), direction = "<"),',
                 'roc(event, marker2, levels = c(0, 1), direction = "<"),',
                 'method = "delong", paired = TRUE)'),
    auc1 = num(t$estimate[1]), auc2 = num(t$estimate[2]),
    statistic = num(t$statistic), p_value = num(t$p.value),
    ci_low = num(t$conf.int[1]), ci_high = num(t$conf.int[2])
  )
}

unpaired <- function(name, marker1, event1, marker2, event2, about) {
  t <- roc.test(fit(event1, marker1), fit(event2, marker2), method = "delong", paired = FALSE)
  list(
    name = name, about = about,
    marker1 = num(marker1, TRUE), event1 = num(event1, TRUE),
    marker2 = num(marker2, TRUE), event2 = num(event2, TRUE),
    call = paste('roc.test(roc(event1, marker1, levels = c(0, 1), direction = "<"),',
                 'roc(event2, marker2, levels = c(0, 1), direction = "<"),',
                 'method = "delong", paired = FALSE)'),
    auc1 = num(t$estimate[1]), auc2 = num(t$estimate[2]),
    statistic = num(t$statistic), df = num(t$parameter), p_value = num(t$p.value)
  )
}

# Study-A-like cohort (seed 495): 145 women, 99 activated; CD34+ cells per µL on day 5
# (integers 2-140), leukocytes per mm³ on day 5 (integers), age in years; activation drawn
# independently of CD34+; seed 495 gives an AUC of 0.4866 (the paper reports 0.487).
set.seed(495)
n_a <- 145
activation <- sample(rep(c(1, 0), c(99, 46)))
cd34 <- pmin(140, pmax(2, round(exp(rnorm(n_a, log(27), 0.55)))))
wbc <- round(25000 + 330 * cd34 + rnorm(n_a, 0, 7000))
age <- round(runif(n_a, 26, 44))
cd34[c(17, 88)] <- NA  # two missing CD34+ counts
young <- age < 38

# Generic seeded samples with ties (values rounded to one decimal).
set.seed(2014)
n_r <- 300
event_r <- rbinom(n_r, 1, 0.4)
marker_r <- round(rnorm(n_r, mean = 0.6 * event_r), 1)
marker_r2 <- round(0.5 * marker_r + rnorm(n_r, mean = 0.3 * event_r), 1)
marker_r2[c(5, 50, 250)] <- NA
event_r[c(7, 70)] <- NA
set.seed(1988)
event_u <- rbinom(120, 1, 0.3)
marker_u <- round(rnorm(120, mean = 1.2 * event_u, sd = 1.5))

singles <- list(
  single("ties_small", c(1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7),
         c(0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1), "ties between and within groups"),
  single("auc_below_half", c(5.1, 4.2, 6.3, 3.3, 2.8, 7.0, 4.4, 3.9, 5.5, 2.1),
         c(0, 1, 0, 1, 1, 0, 0, 1, 1, 0), "controls tend higher: AUC < 0.5, not flipped"),
  single("tiny_two_by_two", c(0.5, 2.5, 1.5, 2.5), c(0, 1, 0, 1),
         "2 cases, 2 controls, one tie"),
  single("one_case", c(1, 2, 3, 4), c(0, 1, 0, 0), "1 case: AUC only, no variance or CI"),
  single("youden_ties", c(1, 2, 3, 4, 5, 6, 7, 8), c(0, 1, 0, 1, 0, 1, 0, 1),
         "several thresholds share the maximal sensitivity + specificity"),
  single("no_better_than_chance", c(4, 3, 2, 1), c(0, 0, 1, 1),
         "perfectly reversed: Youden best is -Inf and Inf"),
  single("perfect_separation", c(1, 2, 3, 4, 5, 6, 7, 8), c(0, 0, 0, 0, 1, 1, 1, 1),
         "AUC 1, variance 0, CI [1, 1]"),
  single("with_missing", c(1.2, NA, 3.4, 2.2, 5.0, 4.1, NA, 0.3, 2.9, 3.3),
         c(0, 1, 1, NA, 1, 0, 0, 0, 1, 1), "missing marker and event values dropped"),
  single("near_tie_midpoint", c(1, 1 + .Machine$double.eps, 2, 1, 1 + .Machine$double.eps),
         c(0, 1, 1, 0, 0), "adjacent doubles: the midpoint rounds onto the lower value"),
  single("huge_values", c(1e308, 1.5e308, 1.7e308, -1.6e308), c(0, 1, 1, 0),
         "midpoints that overflow (pROC halves before adding)"),
  single("ci_clipped", c(1, 2, 3, 4, 5, 6, 7, 4.5), c(0, 0, 0, 1, 1, 1, 1, 0),
         "AUC near 1: the upper CI bound clipped to 1"),
  single("random_ties_300", marker_r, event_r, "seeded, one decimal, with missing events"),
  single("study_a_cd34", cd34, activation, "study-A-like CD34+ per uL vs activation"),
  single("study_a_wbc", wbc, activation, "study-A-like leukocytes per mm3 on day 5")
)

paireds <- list(
  paired("random_paired_300", marker_r, marker_r2, event_r,
         "two correlated markers, missing values in marker2 and event"),
  paired("study_a_cd34_vs_wbc", cd34, wbc, activation,
         "study-A-like: CD34+ per uL vs leukocytes per mm3, same women"),
  paired("tiny_paired", c(1, 2, 3, 4, 5), c(2, 1, 4, 3, 5), c(0, 1, 0, 1, 1),
         "2 controls, 3 cases")
)

unpaireds <- list(
  unpaired("study_a_age_groups", cd34[young], activation[young], cd34[!young],
           activation[!young], "study-A-like CD34+ ROC: age < 38 vs >= 38"),
  unpaired("random_unpaired", marker_r, event_r, marker_u, event_u,
           "independent samples of different sizes, integer and one-decimal ties"),
  unpaired("tiny_unpaired", c(1, 2, 3, 4), c(0, 1, 0, 1), c(3, 1, 2, 5, 4), c(1, 0, 0, 1, 1),
           "2 + 2 and 2 + 3")
)

out <- list(
  generator = "tests/reference/proc.R",
  r_version = R.version.string,
  proc_version = as.character(packageVersion("pROC")),
  single = singles,
  paired = paireds,
  unpaired = unpaireds
)
writeLines(toJSON(out, json_verbatim = TRUE, auto_unbox = TRUE, pretty = TRUE), "proc.json")
cat("wrote proc.json\n")
