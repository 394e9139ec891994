# Reference numbers for the effect sizes of a 2 x 2 table: the risk difference with Newcombe's
# hybrid score interval (ovaregen.stats.newcombe) and the relative risk with its log (Katz)
# interval (ovaregen.stats.contingency.relative_risk).
#
#   Rscript effects.R   (or: make reference)   ->   effects.json
#
# Base R only; the JSON writer is lib/json.R. Each case is a table of events a of n1 (first
# group) and c of n2 (second group), compared first - second (first / second), with the level.
#
# Newcombe (1998), method 10: with Wilson's score limits (l1, u1) of p1 and (l2, u2) of p2 -
# prop.test(x, n, correct = FALSE)$conf.int, the score interval without continuity correction -
#   lower = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
#   upper = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)
# Katz et al. (1978): exp(log RR +/- z sqrt(1/a - 1/n1 + 1/c - 1/n2)), no zero-cell
# correction: c = 0 leaves RR undefined (NA), a = 0 gives RR = 0 without an interval (NA).
# The Python test compares with a relative tolerance of 1e-9 (all closed form).

source("lib/json.R")
source("lib/newcombe.R")

katz <- function(a, n1, c, n2, level) {
  if (c == 0) return(list(estimate = NA, ci_low = NA, ci_high = NA))
  rr <- (a / n1) / (c / n2)
  if (a == 0) return(list(estimate = rr, ci_low = NA, ci_high = NA))
  z <- qnorm((1 + level) / 2)
  half <- z * sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
  list(estimate = rr, ci_low = exp(log(rr) - half), ci_high = exp(log(rr) + half))
}

case <- function(name, a, n1, c, n2, level = 0.95) {
  list(name = name, events_first = a, n_first = n1, events_second = c, n_second = n2,
       conf_level = level,
       risk_difference = c(newcombe(a, n1, c, n2, level), list(
         wilson_first = structure(as.numeric(wilson(a, n1, level)), json_array = TRUE),
         wilson_second = structure(as.numeric(wilson(c, n2, level)), json_array = TRUE))),
       relative_risk = katz(a, n1, c, n2, level))
}

cases <- list(
  case("moderate risks, equal n", 7, 20, 3, 20),
  case("Newcombe 1998 example (56/70 vs 48/80)", 56, 70, 48, 80),
  case("no event in the first group", 0, 15, 4, 16),
  case("no event in the second group", 5, 12, 0, 13),
  case("no event in either group", 0, 10, 0, 12),
  case("every woman has the event in both groups", 10, 10, 10, 10),
  case("every woman of the first group has the event", 12, 12, 7, 14),
  case("very unequal n", 1, 3, 40, 80),
  case("small second group", 2, 50, 1, 7),
  case("all versus none", 9, 9, 0, 11),
  case("90% level", 7, 20, 3, 20, level = 0.90),
  case("99% level, no event in the first group", 0, 25, 6, 24, level = 0.99)
)

writeLines(json_value(list(
  generator = "tests/reference/effects.R",
  r_version = R.version.string,
  tolerance = 1e-9,
  cases = cases
)), "effects.json")
cat("wrote effects.json\n")
