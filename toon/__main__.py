from toon.cli import main

raise SystemExit(main())
