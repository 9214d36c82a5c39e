"""``python -m gongkai``: the CLI where the ``gongkai`` script is not on PATH (a notebook's kernel)."""

from gongkai.cli import main

raise SystemExit(main())
