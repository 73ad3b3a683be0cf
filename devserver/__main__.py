"""`python -m devserver`: `make run`, see devserver/server.py."""

import sys

from devserver.server import main

sys.exit(main())
