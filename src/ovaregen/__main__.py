"""``python -m ovaregen``: the same as the ``ovaregen`` command."""

from ovaregen.cli import main

main()
