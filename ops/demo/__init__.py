"""The demo's data, one module per app, written by `seed_demo` (and the load test's seed);
only tooling and tests import from here, never the apps themselves."""
