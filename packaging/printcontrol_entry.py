"""Entry point of the one-file executable (PyInstaller): the same `main` as `python -m
coo.printcontrol`. A double-click (no arguments) pairs when needed, creates the shortcuts and
runs."""
import sys

from coo.printcontrol.cli import main

if __name__ == "__main__":
    sys.exit(main())
