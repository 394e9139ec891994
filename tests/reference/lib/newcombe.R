# The Newcombe hybrid score interval for a difference of two proportions (Newcombe 1998,
# Stat Med 17:873, method 10) from Wilson score intervals without continuity correction
# (prop.test(correct = FALSE)), shared by the reference scripts (ovaregen.stats.newcombe).

wilson <- function(x, n, level = 0.95) {
  suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = level))$conf.int
}

newcombe <- function(a, n1, c, n2, level = 0.95) {
  p1 <- a / n1
  p2 <- c / n2
  w1 <- wilson(a, n1, level)
  w2 <- wilson(c, n2, level)
  d <- p1 - p2
  list(estimate = d,
       ci_low = d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
       ci_high = d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
