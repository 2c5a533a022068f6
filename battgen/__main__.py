import sys

from battgen.cli import main

sys.exit(main())
