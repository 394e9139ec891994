# Reference numbers for Study B's Table 2 effects (src/ovaregen/analysis/mensc_factors.py):
# per factor, the difference in pregnancy rates (first group - second) with Newcombe's hybrid
# score interval (Newcombe 1998, method 10: Wilson limits from prop.test(correct = FALSE), then
# Newcombe's formula) and the conditional maximum-likelihood odds ratio with its exact interval
# and p (fisher.test). fisher.test stops its root search at uniroot's default tolerance (about
# 1e-4), so the odds ratio and its limits are also solved from fisher.test's own equations to
# 1e-14 (fisher_or_precise, as in stats.R); its uniroot-limited values are kept for a 1e-2 check.
#
#   Rscript mensc_effects.R   ->   mensc_effects.json
#
# Two sets of tables: the paper's published counts (STUDIES.md, Study B, Table 2) and the
# Table 2 of the random reference dataset data/mensc-random (women treated as plans.R defines
# them: status not screen_failed with injections >= 1 or a treatment_date; complete cases).
source("lib/json.R")
source("lib/newcombe.R")

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

case <- function(id, a, n1, c, n2) {
  tab <- matrix(c(a, n1 - a, c, n2 - c), nrow = 2, byrow = TRUE)
  f <- fisher.test(tab)
  precise <- fisher_or_precise(tab)
  list(id = id,
       table = list(events = c(a, c), n = c(n1, n2)),
       call = sprintf(paste0("newcombe(%d, %d, %d, %d); fisher.test(matrix(c(%d, %d, %d, %d), ",
                             "nrow = 2, byrow = TRUE))"), a, n1, c, n2, a, n1 - a, c, n2 - c),
       difference = newcombe(a, n1, c, n2),
       odds_ratio = list(estimate = unname(precise["estimate"]),
                         ci_low = unname(precise["low"]), ci_high = unname(precise["high"]),
                         p_value = f$p.value, fisher_test_estimate = unname(f$estimate),
                         fisher_test_ci = f$conf.int[1:2]))
}

published <- list(
  case("pregnancy_by_age_group", 12, 23, 26, 82),
  case("pregnancy_by_menses", 33, 91, 5, 14),
  case("pregnancy_by_injections", 29, 70, 9, 35)
)

p <- read.csv("data/mensc-random/participants.csv", na.strings = "", stringsAsFactors = FALSE)
g <- read.csv("data/mensc-random/pregnancies.csv", na.strings = "", stringsAsFactors = FALSE)
status <- ifelse(is.na(p$status), "completed", p$status)
B <- p[status != "screen_failed" &
         ((!is.na(p$injections) & p$injections >= 1) | !is.na(p$treatment_date)), ]
B$pregnant <- B$participant_id %in% g$participant_id
counts <- function(id, first, second) {
  case(id, sum(B$pregnant[first]), sum(first), sum(B$pregnant[second]), sum(second))
}
known <- function(x) !is.na(x) & x
random <- list(
  counts("pregnancy_by_age_group", known(B$age_years < 35), known(B$age_years >= 35)),
  counts("pregnancy_by_menses", known(B$menses == "regular"), known(B$menses == "irregular")),
  counts("pregnancy_by_injections", known(B$injections == 1), known(B$injections >= 2))
)

writeLines(json_value(list(
  r_version = R.version.string,
  newcombe = "d -/+ sqrt((p1 - l1)^2 + (u2 - p2)^2), sqrt((u1 - p1)^2 + (p2 - l2)^2)",
  published = published,
  random = list(dataset = "data/mensc-random", women_treated = nrow(B), cases = random)
)), "mensc_effects.json")
cat("wrote mensc_effects.json\n")
