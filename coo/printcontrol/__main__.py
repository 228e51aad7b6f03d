import sys

from coo.printcontrol.cli import main

sys.exit(main())
