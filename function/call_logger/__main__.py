"""`python -m call_logger <command>`."""

from call_logger.cli import main

raise SystemExit(main())
