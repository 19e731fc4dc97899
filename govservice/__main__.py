from govservice.cli import main

raise SystemExit(main())
