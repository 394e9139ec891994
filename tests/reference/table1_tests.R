# Reference p-values of Table 1's tests (ovaregen.stats.descriptive, RowTest), with base R.
#
#   Rscript table1_tests.R   (or: make reference)   ->   table1_tests.json
#
# Part 1, "descriptive": the data of descriptive.R (the same seed and draws, so the same values;
# the Python test checks that they equal descriptive.json's), plus one column of untied values
# drawn after them (`untied`, for the exact Mann-Whitney path). Every test a Table 1 row can ask
# for is run on it: Welch and Student t (t.test), Mann-Whitney (wilcox.test: normal
# approximation with continuity correction when there are ties, exact otherwise), Pearson's
# chi-square with and without Yates' correction (chisq.test), Fisher's exact test on a 2 x 2
# table (fisher.test). The groups are compared first - second ("not activated" - "activated").
#
# Part 2, "regenera": the regenera plan's Table 1 and Table 2 on data/regenera-random (written by
# plan_data.py): the population and activation exactly as plans.R derives them (status completed,
# empty = completed; AFC post - pre >= 3 or AMH post >= 1.2 x pre; women with unknown activation
# left out), each row compared by the plan's stated test (Welch t; Pearson chi-square without
# correction). The diagnosis rows (por_bologna, dor, poi) are derived by ovaregen's
# classification rules, which this script does not re-implement: they are not covered here.
#
# Every case stores the R call that produced it; `rel_tol` is what the Python test uses. null =
# R gives NA (a zero row or column: no chi-square).
source("lib/json.R")

CLOSED_FORM <- 1e-10
GROUPS <- c("not activated", "activated")

# --- part 1: the data of descriptive.R --------------------------------------------------------
set.seed(20240611)
n <- 60
group <- rep(c("not activated", "activated"), times = c(25, 35))
age <- round(rnorm(n, 39, 4), 1)
age[c(3, 40)] <- NA
hb <- round(rnorm(n, 13.3, 1.2), 1)
menses <- sample(c("regular", "irregular", "amenorrhea"), n, replace = TRUE, prob = c(.6, .3, .1))
menses[c(5, 50)] <- NA
smoker <- sample(c("no", "yes"), n, replace = TRUE, prob = c(.8, .2))
untied <- rlnorm(n, 0.3, 0.6)  # drawn after descriptive.R's draws: those stay the same
stopifnot(!anyDuplicated(untied))

D <- data.frame(group = group, age_years = age, hemoglobin_g_dl = hb, menses = menses,
                smoker = smoker, untied = untied, stringsAsFactors = FALSE)
first <- function(column, data = "D") sprintf('%s$%s[%s$group == "%s"]', data, column, data, GROUPS[1])
second <- function(column, data = "D") sprintf('%s$%s[%s$group == "%s"]', data, column, data, GROUPS[2])

run <- function(code) eval(parse(text = code), envir = globalenv())
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(unname(x))[1]

cases <- list()
add <- function(part, column, test, call, r, categorical, levels = NULL, rel_tol = CLOSED_FORM) {
  case <- list(part = part, column = column, test = test, categorical = categorical,
               call = call, rel_tol = rel_tol, method = r$method,
               statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value))
  if (!is.null(levels)) case$levels <- levels
  cases[[length(cases) + 1]] <<- case
}

two_sample <- function(part, column, test, data = "D") {
  x <- first(column, data)
  y <- second(column, data)
  call <- switch(test,
    welch = sprintf("t.test(%s, %s)", x, y),
    student = sprintf("t.test(%s, %s, var.equal = TRUE)", x, y),
    mann_whitney = sprintf("wilcox.test(%s, %s)", x, y)
  )
  add(part, column, test, call, suppressWarnings(run(call)), categorical = FALSE)
}

# Rows = levels in the given order, columns = the groups in Table 1's order (as ovaregen builds it).
crosstab <- function(column, levels, data = "D") sprintf(
  "table(factor(%s$%s, levels = c(%s)), factor(%s$group, levels = c(%s)))",
  data, column, paste0('"', levels, '"', collapse = ", "), data,
  paste0('"', GROUPS, '"', collapse = ", "))

contingency <- function(part, column, test, levels, data = "D") {
  tab <- crosstab(column, levels, data)
  call <- switch(test,
    chi_square = sprintf("chisq.test(%s, correct = FALSE)", tab),
    chi_square_yates = sprintf("chisq.test(%s, correct = TRUE)", tab),
    fisher = sprintf("fisher.test(%s)", tab)
  )
  add(part, column, test, call, suppressWarnings(run(call)), categorical = TRUE,
      levels = structure(levels, json_array = TRUE))
}

for (column in c("age_years", "hemoglobin_g_dl", "untied")) {
  for (test in c("welch", "student", "mann_whitney")) two_sample("descriptive", column, test)
}
for (test in c("chi_square", "chi_square_yates")) {
  contingency("descriptive", "menses", test, c("amenorrhea", "irregular", "regular"))
}
for (test in c("chi_square", "chi_square_yates", "fisher")) {
  contingency("descriptive", "smoker", test, c("no", "yes"))
}

# --- part 2: the regenera plan's Tables 1 and 2 on its reference dataset ----------------------
p <- read.csv("data/regenera-random/participants.csv", na.strings = "", stringsAsFactors = FALSE)
status <- ifelse(is.na(p$status), "completed", p$status)
A <- p[status == "completed", ]
stopifnot(all(abs(A$amh_post_ng_ml - 1.2 * A$amh_ng_ml) > 1e-6, na.rm = TRUE))
activation <- (A$afc_post - A$afc >= 3) | (A$amh_post_ng_ml >= 1.2 * A$amh_ng_ml)
A <- A[!is.na(activation), ]
A$group <- ifelse(activation[!is.na(activation)], "activated", "not activated")
regenera_setup <- c(
  'p <- read.csv("data/regenera-random/participants.csv", na.strings = "", stringsAsFactors = FALSE)',
  'status <- ifelse(is.na(p$status), "completed", p$status)',
  'A <- p[status == "completed", ]',
  "activation <- (A$afc_post - A$afc >= 3) | (A$amh_post_ng_ml >= 1.2 * A$amh_ng_ml)",
  "A <- A[!is.na(activation), ]",
  'A$group <- ifelse(activation[!is.na(activation)], "activated", "not activated")'
)
for (column in c("age_years", "hemoglobin_g_dl", "wbc_10e9_l", "platelets_10e9_l", "amh_ng_ml",
                 "afc")) {
  two_sample("table1_baseline", column, "welch", data = "A")
}
contingency("table1_baseline", "ethnicity", "chi_square",
            sort(unique(A$ethnicity[!is.na(A$ethnicity)]), method = "radix"), data = "A")
for (column in c("wbc_d5_10e9_l", "cd34_d5_per_ul")) {
  two_sample("table2_day5", column, "welch", data = "A")
}

writeLines(json_value(list(
  generator = "tests/reference/table1_tests.R",
  r_version = R.version.string,
  data = list(group = D$group, age_years = structure(D$age_years, json_array = TRUE),
              hemoglobin_g_dl = structure(D$hemoglobin_g_dl, json_array = TRUE),
              menses = D$menses, smoker = D$smoker,
              untied = structure(D$untied, json_array = TRUE)),
  regenera = list(dataset = "data/regenera-random", setup = regenera_setup,
                  n = nrow(A), n_activated = sum(A$group == "activated")),
  cases = cases
)), "table1_tests.json")
cat("wrote table1_tests.json\n")
