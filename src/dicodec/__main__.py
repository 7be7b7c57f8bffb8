from dicodec.cli import main

raise SystemExit(main())
