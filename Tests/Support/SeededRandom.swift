/// A small seeded generator: tests that pick random moments print their seed, and the same seed
/// picks the same moments again. The same SplitMix64 that makes test content.
public typealias SeededRandom = SplitMix64
