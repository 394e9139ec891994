# Reference numbers for ovaregen.stats.descriptive (Table 1).
# Summaries by group with base R (mean, sd, quantile type 7, min, max, counts), and the
# standardised mean differences as the R package tableone computes them
# (tableone:::StdDiff for continuous, tableone:::StdDiffMulti, Yang & Dalton 2012, for
# categorical). Run: Rscript descriptive.R  (writes descriptive.json)
set.seed(20240611)
n <- 60
group <- rep(c("not activated", "activated"), times = c(25, 35))
age <- round(rnorm(n, 39, 4), 1)
age[c(3, 40)] <- NA
hb <- round(rnorm(n, 13.3, 1.2), 1)
menses <- sample(c("regular", "irregular", "amenorrhea"), n, replace = TRUE, prob = c(.6, .3, .1))
menses[c(5, 50)] <- NA
smoker <- sample(c("no", "yes"), n, replace = TRUE, prob = c(.8, .2))

cont <- function(x, g) {
  out <- list()
  for (level in c("not activated", "activated")) {
    v <- x[g == level & !is.na(x)]
    out[[level]] <- list(n = length(v), missing = sum(is.na(x[g == level])), mean = mean(v),
                         sd = sd(v), minimum = min(v), maximum = max(v), median = median(v),
                         q1 = unname(quantile(v, 0.25, type = 7)),
                         q3 = unname(quantile(v, 0.75, type = 7)))
  }
  a <- out[["not activated"]]; b <- out[["activated"]]
  out$smd <- abs(a$mean - b$mean) / sqrt((a$sd^2 + b$sd^2) / 2)
  out$call <- "mean, sd, quantile(type = 7), min, max by group; smd = |m1 - m2| / sqrt((s1^2 + s2^2) / 2)"
  out
}

multi <- function(x, g, levels) {
  p <- function(level) {
    v <- x[g == level & !is.na(x)]
    sapply(levels, function(l) sum(v == l)) / length(v)
  }
  counts <- function(level) {
    v <- x[g == level & !is.na(x)]
    as.list(sapply(levels, function(l) sum(v == l)))
  }
  p1 <- p("not activated")[-1]; p2 <- p("activated")[-1]
  cov1 <- diag(p1, nrow = length(p1)) - outer(p1, p1)
  cov2 <- diag(p2, nrow = length(p2)) - outer(p2, p2)
  s <- (cov1 + cov2) / 2
  d <- p1 - p2
  list(levels = levels, counts_not_activated = counts("not activated"),
       counts_activated = counts("activated"),
       smd = sqrt(drop(t(d) %*% solve(s) %*% d)),
       call = "Yang & Dalton: sqrt(t(p1 - p2) %*% solve((S1 + S2) / 2) %*% (p1 - p2)), first level dropped")
}

json_value <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    if (is.null(keys)) return(paste0("[", paste(sapply(x, json_value), collapse = ", "), "]"))
    return(paste0("{", paste(sprintf("\"%s\": %s", keys, sapply(x, json_value)), collapse = ", "), "}"))
  }
  if (is.character(x)) {
    if (length(x) == 1) return(sprintf("\"%s\"", x))
    return(paste0("[", paste(sprintf("\"%s\"", x), collapse = ", "), "]"))
  }
  if (length(x) == 1) return(if (is.na(x)) "null" else sprintf("%.17g", x))
  paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ", "), "]")
}

result <- list(
  data = list(group = group, age_years = age, hemoglobin_g_dl = hb,
              menses = ifelse(is.na(menses), "NA", menses), smoker = smoker),
  age_years = cont(age, group),
  hemoglobin_g_dl = cont(hb, group),
  menses = multi(menses, group, c("amenorrhea", "irregular", "regular")),
  smoker = multi(smoker, group, c("no", "yes")),
  r_version = R.version.string
)
writeLines(json_value(result), "descriptive.json")
