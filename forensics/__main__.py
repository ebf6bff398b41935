"""`python -m forensics ...`: the command, as the console script runs it."""

from forensics.cli import entry

if __name__ == "__main__":
    entry()
