"""`python -m forensics.cli ...`: the command, as the console script runs it."""

from forensics.cli import entry

entry()
