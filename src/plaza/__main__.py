"""`python -m plaza` is the same as the `plaza` command."""

from plaza.cli import main

main()
