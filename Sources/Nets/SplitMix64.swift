/// A small deterministic generator (SplitMix64), so seeded experiments repeat exactly on every
/// machine and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Readable so that a saved run can go on with the numbers an uninterrupted one draws.
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_2D7C_98BB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound without modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % UInt64(bound)
        while true {
            let value = next()
            if value < limit { return Int(value % UInt64(bound)) }
        }
    }
}
