# Reference numbers for ovaregen.stats.survival (Kaplan–Meier, log-rank), from R's survival package.
#
#   Rscript survival.R   (or: make reference)   ->   survival.json
#
# Needs only base R and `survival`; the JSON writer is lib/json.R. Every case stores its input data, the
# exact R calls and the numbers: the survfit table (all distinct times, as in the survfit object),
# the median with its CI both as quantile(fit, 0.5) and as print(fit) / summary(fit)$table compute
# it, for conf.type "log" (survfit's default), "log-log" and "plain".
library(survival)

source("lib/json.R")
arr <- function(x) structure(unname(x), json_array = TRUE)

km_case <- function(name, time, event, note = "", conf_int = 0.95) {
  d <- data.frame(time = time, event = event)
  fits <- lapply(c("log", "log-log", "plain"), function(conf_type) {
    fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = conf_type, conf.int = conf_int)
    q <- quantile(fit, probs = 0.5)
    printed <- summary(fit)$table
    lcl <- paste0(conf_int, "LCL")
    ucl <- paste0(conf_int, "UCL")
    list(
      conf_type = conf_type,
      r_call = sprintf(paste0(
        "fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = \"%s\", conf.int = %s); ",
        "unclass(fit); quantile(fit, probs = 0.5); summary(fit)$table"), conf_type, conf_int),
      time = arr(fit$time),
      n_risk = arr(fit$n.risk),
      n_event = arr(fit$n.event),
      n_censor = arr(fit$n.censor),
      survival = arr(fit$surv),
      std_err_cumhaz = arr(fit$std.err),
      std_err = arr(fit$surv * fit$std.err),
      ci_low = arr(fit$lower),
      ci_high = arr(fit$upper),
      quantile_median = unname(q$quantile),
      quantile_lower = unname(q$lower),
      quantile_upper = unname(q$upper),
      print_median = unname(printed["median"]),
      print_lower = unname(printed[lcl]),
      print_upper = unname(printed[ucl]),
      n = unname(printed["records"]),
      events = unname(printed["events"])
    )
  })
  list(name = name, note = note, conf_level = conf_int, time = arr(time), event = arr(event),
       fits = fits)
}

cases <- list()
cases[[length(cases) + 1]] <- km_case(
  "ties_and_censoring_at_last_time",
  c(1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 9),
  c(1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0),
  "tied events, an event and a censoring at the same time, the last times censored")
cases[[length(cases) + 1]] <- km_case(
  "last_time_is_an_event",
  c(1, 2, 2, 3, 4, 4, 5, 6),
  c(1, 1, 0, 1, 1, 1, 0, 1),
  "the curve drops to 0 (std.err Inf, CI NA there); median reached, upper limit NA")
cases[[length(cases) + 1]] <- km_case(
  "flat_at_one_half_to_the_end",
  c(1, 2, 3, 4), c(1, 1, 0, 0),
  "S = 0.5 exactly from t = 2 to the end: quantile() gives (2 + 4) / 2 = 3, print() gives 2")
cases[[length(cases) + 1]] <- km_case(
  "flat_at_one_half_then_drop",
  c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 0, 1, 0),
  "S = 0.5 exactly from t = 3 until the next event at 5: both give the midpoint 4")
cases[[length(cases) + 1]] <- km_case(
  "events_at_time_zero",
  c(0, 0, 1, 2, 3, 3, 5, 8), c(1, 0, 1, 1, 0, 1, 0, 1),
  "an event and a censoring at time 0", conf_int = 0.9)
cases[[length(cases) + 1]] <- km_case(
  "median_not_reached_lower_limit_only",
  c(1:20), c(rep(1, 9), rep(0, 11)),
  "S ends at 0.55: no median and no upper limit, but the lower band crosses 0.5")
cases[[length(cases) + 1]] <- km_case(
  "all_censored", c(3, 5, 5, 8), c(0, 0, 0, 0), "no events: S = 1 throughout, no median")

set.seed(20250302)
n <- 60
event_time <- ceiling(rexp(n, 1 / 9))
censor_time <- ceiling(runif(n, 2, 30))
cases[[length(cases) + 1]] <- km_case(
  "seeded_integer_times",
  pmin(event_time, censor_time), as.integer(event_time <= censor_time),
  "set.seed(20250302); ceiling(rexp(60, 1/9)) vs ceiling(runif(60, 2, 30)): many ties")

# Study-B-like: 105 women followed 30 to 56 months after the first injection; 38 became pregnant.
# Months to first pregnancy of the 38 (the spontaneous ones: median 3, range 1 to 24).
spontaneous <- c(1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 11, 14, 17, 20, 24,
                 2)
ivf_only <- c(2, 3, 4, 5, 5, 6, 7, 9, 11, 13, 12)
set.seed(20250303)
followed <- round(runif(105 - 38, 30, 56))
age_group <- c(rep("<35", 12), rep(">=35", 26), rep("<35", 11), rep(">=35", 56))
pregnant_time <- c(spontaneous, ivf_only)
study_b <- km_case(
  "study_b_like_time_to_pregnancy",
  c(pregnant_time, followed), c(rep(1, 38), rep(0, 67)),
  "38 of 105 pregnant: the curve stays above 0.5, the median is not reached (all NA)")
logrank <- survdiff(Surv(time, event) ~ group,
                    data = data.frame(time = c(pregnant_time, followed),
                                      event = c(rep(1, 38), rep(0, 67)), group = age_group))
study_b$group <- arr(age_group)
study_b$spontaneous_months <- arr(spontaneous)
study_b$spontaneous_median <- median(spontaneous)
study_b$spontaneous_range <- arr(range(spontaneous))
study_b$logrank <- list(
  r_call = "survdiff(Surv(time, event) ~ group, data = d)",
  chisq = logrank$chisq,
  df = length(logrank$n) - 1,
  p_value = pchisq(logrank$chisq, length(logrank$n) - 1, lower.tail = FALSE),
  observed = arr(logrank$obs),
  expected = arr(logrank$exp)
)
cases[[length(cases) + 1]] <- study_b

# Log-rank with three groups, tied times (seeded data above, groups cycling a, b, c).
groups3 <- rep(c("a", "b", "c"), length.out = n)
lr3 <- survdiff(Surv(time, event) ~ group, data = data.frame(
  time = pmin(event_time, censor_time), event = as.integer(event_time <= censor_time),
  group = groups3))
logrank_three <- list(
  name = "logrank_three_groups",
  r_call = "survdiff(Surv(time, event) ~ group, data = d)",
  time = arr(pmin(event_time, censor_time)), event = arr(as.integer(event_time <= censor_time)),
  group = arr(groups3), chisq = lr3$chisq, df = length(lr3$n) - 1,
  p_value = pchisq(lr3$chisq, length(lr3$n) - 1, lower.tail = FALSE))

writeLines(json_value(list(
  generated_by = "tests/reference/survival.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  cases = cases,
  logrank_three_groups = logrank_three
)), "survival.json")
