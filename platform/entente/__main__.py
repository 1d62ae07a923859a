from entente.cli import main

raise SystemExit(main())
