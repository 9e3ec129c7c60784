"""`kinwell bench`: Kinwell's production server under a bounded load from wrk,
scenario by scenario, each measured against a floor view served by the same
server and middleware (docs/performance.md, "Benchmark").

A plain package, not a Django app: the only part the server ever loads is
the floor view, and only when KINWELL_BENCH_FLOOR is on."""
