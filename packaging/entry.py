"""The frozen program's entry point: the same as the ``crewdesk`` command."""

import sys

from desktop_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
