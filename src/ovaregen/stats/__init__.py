"""Statistics: one module per method family, each returning result dataclasses, never text.

Every result names its method and options (Yates on or off, Welch or Student, DeLong, Wilson,
…), the n it used and its warnings, so that renderers can footnote exactly what produced each
number. Numbers are checked against R (``tests/reference/``).
"""
