/// A non-negative integer of any size, with just what path counting needs: addition, products
/// and exact quotients by small integers, and decimal text. C(333, 166) has 99 digits; 2³³³ has 101.
public struct BigUInt: Equatable, Sendable, CustomStringConvertible {
    /// Base-2³² digits, least significant first, no trailing zeros (zero is []).
    private var limbs: [UInt32]

    public init(_ value: UInt64 = 0) {
        limbs = []
        var v = value
        while v > 0 { limbs.append(UInt32(truncatingIfNeeded: v)); v >>= 32 }
    }

    public static func + (a: BigUInt, b: BigUInt) -> BigUInt {
        var result = BigUInt()
        var carry: UInt64 = 0
        for i in 0..<max(a.limbs.count, b.limbs.count) {
            let sum = UInt64(i < a.limbs.count ? a.limbs[i] : 0) + UInt64(i < b.limbs.count ? b.limbs[i] : 0) + carry
            result.limbs.append(UInt32(truncatingIfNeeded: sum))
            carry = sum >> 32
        }
        if carry > 0 { result.limbs.append(UInt32(carry)) }
        return result
    }

    public static func power(of base: UInt32, _ exponent: Int) -> BigUInt {
        var result = BigUInt(1)
        for _ in 0..<exponent { result = result.multiplied(by: base) }
        return result
    }

    public func multiplied(by factor: UInt32) -> BigUInt {
        var result = BigUInt()
        var carry: UInt64 = 0
        for limb in limbs {
            let product = UInt64(limb) * UInt64(factor) + carry
            result.limbs.append(UInt32(truncatingIfNeeded: product))
            carry = product >> 32
        }
        if carry > 0 { result.limbs.append(UInt32(carry)) }
        while result.limbs.last == 0 { result.limbs.removeLast() }
        return result
    }

    /// The quotient by `divisor`, which must divide it exactly (a binomial recurrence's step).
    public func dividedExactly(by divisor: UInt32) -> BigUInt {
        var result = self
        var remainder: UInt64 = 0
        for i in stride(from: limbs.count - 1, through: 0, by: -1) {
            let value = remainder << 32 | UInt64(limbs[i])
            result.limbs[i] = UInt32(value / UInt64(divisor))
            remainder = value % UInt64(divisor)
        }
        precondition(remainder == 0, "\(divisor) does not divide \(self)")
        while result.limbs.last == 0 { result.limbs.removeLast() }
        return result
    }

    /// Approximately, as a Double (infinite beyond ~1.8e308).
    public var double: Double { limbs.reversed().reduce(0.0) { $0 * 4294967296 + Double($1) } }

    public var description: String {
        if limbs.isEmpty { return "0" }
        var digits: [String] = []
        var rest = limbs
        while !rest.isEmpty {
            // Divide by 10⁹, most significant limb first.
            var remainder: UInt64 = 0
            for i in stride(from: rest.count - 1, through: 0, by: -1) {
                let value = remainder << 32 | UInt64(rest[i])
                rest[i] = UInt32(value / 1_000_000_000)
                remainder = value % 1_000_000_000
            }
            while rest.last == 0 { rest.removeLast() }
            digits.append(String(remainder))
        }
        return digits.last! + digits.dropLast().reversed().map { String(repeating: "0", count: 9 - $0.count) + $0 }.joined()
    }
}
