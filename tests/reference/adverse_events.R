# Reference numbers for ovaregen.stats.adverse_events (adverse events by arm, CONSORT Harms 2022).
#
#   Rscript adverse_events.R   (or: make reference)   ->   adverse_events.json
#
# Base R only; the JSON writer is lib/json.R. One fixed trial, written out below: 20 women per
# arm (MenSC, control), many without any event, and 34 adverse events (several per woman,
# serious ones, CTCAE grades 1-5, two of unknown grade, one of unknown seriousness, terms in
# different letter case and with stray spaces, two events of women outside the trial).
# Every row of the table is recomputed here: per arm the women with >= 1 such event over all
# analysed women of the arm, the number of events, the risk difference first - second with the
# Wald interval (closed form, clipped to [-1, 1] as prop.test(correct = FALSE) does), and
# fisher.test(matrix)$p.value. The Python tests compare with a relative tolerance of 1e-9.

source("lib/json.R")
arr <- function(x) structure(x, json_array = TRUE)
column <- function(x) arr(unname(x))

first <- "MenSC"
second <- "control"
women <- data.frame(
  participant_id = sprintf("W%02d", 1:40),
  arm = rep(c(first, second), each = 20),
  stringsAsFactors = FALSE
)

ae <- data.frame(stringsAsFactors = FALSE, rbind(
  # participant, term, grade, serious
  c("W01", "Headache", 1, FALSE),
  c("W01", "Pelvic pain", 2, FALSE),
  c("W01", "headache", 2, FALSE),
  c("W02", "Pelvic pain", 3, TRUE),
  c("W03", "Nausea", 1, FALSE),
  c("W04", " HEADACHE ", 1, FALSE),
  c("W04", "Ovarian hyperstimulation", 4, TRUE),
  c("W05", "Vaginal bleeding", NA, FALSE),     # unknown grade, her only event
  c("W06", "Fever", 2, NA),                    # unknown seriousness
  c("W07", "pelvic pain", 1, FALSE),
  c("W07", "pelvic pain", 1, FALSE),
  c("W08", "Sepsis", 5, TRUE),
  c("W08", "Fever", 3, TRUE),
  c("W09", "Nausea", 2, FALSE),
  c("W09", "Headache", NA, FALSE),             # unknown grade beside a known one
  c("W10", "Injection site reaction", 1, FALSE),
  c("W11", "Headache", 1, FALSE),
  c("W12", "headache", 2, FALSE),
  c("W13", "Headache ", 1, FALSE),
  c("W14", "HEADACHE", 1, FALSE),
  c("W15", "Headache", 2, FALSE),
  c("W15", "Nausea", 1, FALSE),
  c("W16", "Headache", 1, FALSE),
  c("W99", "Headache", 2, FALSE),              # not among the analysed women
  c("W21", "Headache", 1, FALSE),
  c("W22", "Pelvic Pain", 2, FALSE),
  c("W23", "Nausea", 1, FALSE),
  c("W23", "nausea", 3, TRUE),
  c("W24", "Fever", 1, FALSE),
  c("W25", "Vaginal bleeding", 2, FALSE),
  c("W26", "headache", 4, TRUE),
  c("W26", "Injection site reaction  ", 2, FALSE),
  c("W98", "Nausea", 1, FALSE),                # not among the analysed women
  c("W27", "Pelvic pain", 1, FALSE)
))
names(ae) <- c("participant_id", "term", "grade", "serious")
ae$grade <- as.integer(ae$grade)
ae$serious <- as.logical(ae$serious)

counted <- ae[ae$participant_id %in% women$participant_id, ]
counted$arm <- women$arm[match(counted$participant_id, women$participant_id)]
counted$key <- tolower(trimws(counted$term))
n_arm <- c(sum(women$arm == first), sum(women$arm == second))

worst <- tapply(counted$grade, counted$participant_id, function(g) {
  if (all(is.na(g))) NA_integer_ else max(g, na.rm = TRUE)
})
worst_arm <- women$arm[match(names(worst), women$participant_id)]

z <- qnorm(0.975)
row_of <- function(measure, label, women_count, events_count) {
  p1 <- women_count[1] / n_arm[1]
  p2 <- women_count[2] / n_arm[2]
  width <- z * sqrt(p1 * (1 - p1) / n_arm[1] + p2 * (1 - p2) / n_arm[2])
  table <- matrix(c(women_count, n_arm - women_count), 2)
  list(
    measure = measure,
    label = label,
    women = column(women_count),
    n = column(n_arm),
    events = column(events_count),
    risk_difference = p1 - p2,
    ci_low = max(-1, p1 - p2 - width),
    ci_high = min(1, p1 - p2 + width),
    fisher_p_value = fisher.test(table)$p.value,
    empty_margin = sum(women_count) == 0 || sum(women_count) == sum(n_arm)
  )
}
women_with <- function(selected) {
  c(length(unique(counted$participant_id[selected & counted$arm == first])),
    length(unique(counted$participant_id[selected & counted$arm == second])))
}
events_with <- function(selected) {
  c(sum(selected & counted$arm == first), sum(selected & counted$arm == second))
}
flag <- function(selected) {
  row <- function(measure, label) row_of(measure, label, women_with(selected), events_with(selected))
  row
}

rows <- list()
everything <- rep(TRUE, nrow(counted))
serious <- counted$serious %in% TRUE
severe <- !is.na(counted$grade) & counted$grade >= 3
rows[[length(rows) + 1]] <- flag(everything)("any", "women with >= 1 adverse event")
rows[[length(rows) + 1]] <- flag(serious)("serious", "women with >= 1 serious adverse event")
rows[[length(rows) + 1]] <- flag(severe)("grade_3_or_more", "women with >= 1 event of grade >= 3")
for (k in 1:5) {
  at_k <- !is.na(counted$grade) & counted$grade == k
  rows[[length(rows) + 1]] <- row_of(
    paste0("worst_grade_", k), paste0("women whose worst grade is ", k),
    c(sum(worst == k & worst_arm == first, na.rm = TRUE),
      sum(worst == k & worst_arm == second, na.rm = TRUE)),
    events_with(at_k))
}
for (key in sort(unique(counted$key), method = "radix")) {
  shown <- trimws(counted$term[counted$key == key][1])
  rows[[length(rows) + 1]] <- flag(counted$key == key)(paste0("term:", shown), shown)
}

writeLines(json_value(list(
  generated_by = "tests/reference/adverse_events.R",
  r_version = R.version.string,
  tolerance = 1e-9,
  r_call = paste(
    "per row: p1 <- women[1] / n[1]; p2 <- women[2] / n[2];",
    "(p1 - p2) + c(-1, 1) * qnorm(0.975) * sqrt(p1 * (1 - p1) / n[1] + p2 * (1 - p2) / n[2]),",
    "clipped to [-1, 1]; fisher.test(matrix(c(women, n - women), 2))$p.value"),
  note = paste(
    "fisher.test gives p = 1 for a table with an empty column (no woman, or every woman,",
    "with the event: empty_margin); ovaregen.stats.contingency.fisher_exact reports no test",
    "(None) there. Worst grade = highest known grade; a woman whose only events are of",
    "unknown grade is in no worst-grade row."),
  arms = arr(c(first, second)),
  women = list(participant_id = column(women$participant_id), arm = column(women$arm)),
  events = list(participant_id = column(ae$participant_id), term = column(ae$term),
                grade = column(ae$grade), serious = column(ae$serious)),
  n_events_counted = nrow(counted),
  n_events_ignored = nrow(ae) - nrow(counted),
  rows = rows
)), "adverse_events.json")
