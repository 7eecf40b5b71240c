//! In-process Bitbucket Data Center simulator over real git repositories, for tests, benchmarks and the demo.
