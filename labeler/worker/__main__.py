from labeler.worker.main import main

raise SystemExit(main())
