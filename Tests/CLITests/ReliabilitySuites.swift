import Testing

/// The fault, kill, disk, hostile-registry and security suites, and those of real producers,
/// private CAs and operator habits. Each of their tests blocks a
/// thread of the cooperative pool for seconds to a minute (it runs processes and waits on
/// them), and the pool has one thread per core: run side by side they starved every async test
/// of the package (a dashboard test's deadline ran out while it never got a thread). Run one at
/// a time, they leave the other cores to the rest of the suite.
@Suite(.serialized)
enum ReliabilitySuites {}
