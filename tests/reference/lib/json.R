# The JSON writer shared by the reference scripts (base R only, no extra package).
# json_value(x): lists with names become objects, without names arrays; a scalar is written
# as a scalar unless marked with attr "json_array"; NA and non-finite numbers become null;
# numbers keep 17 significant digits.

json_value <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    keys <- names(x)
    parts <- vapply(seq_along(x), function(i) json_value(x[[i]]), "")
    if (is.null(keys)) return(paste0("[", paste(parts, collapse = ", "), "]"))
    keys <- vapply(keys, json_string, "")
    return(paste0("{", paste(paste0(keys, ": ", parts), collapse = ", "), "}"))
  }
  scalar <- function(v) {
    if (is.na(v)) return("null")
    if (is.logical(v)) return(if (v) "true" else "false")
    if (is.character(v)) return(json_string(v))
    if (!is.finite(v)) return("null")
    sprintf("%.17g", v)
  }
  parts <- vapply(seq_along(x), function(i) scalar(x[[i]]), "")
  if (length(x) == 1 && is.null(attr(x, "json_array"))) return(parts)
  paste0("[", paste(parts, collapse = ", "), "]")
}
json_string <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  paste0("\"", s, "\"")
}
