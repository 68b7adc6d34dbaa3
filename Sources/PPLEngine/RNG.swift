import Foundation

/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64: the same seed gives
/// the same stream on every machine and run.
public struct RNG: Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = RNG.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = RNG.rotl(s.3, 45)
        return result
    }

    /// Uniform on (0, 1): 53 random bits, never exactly 0.
    public mutating func uniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Standard normal by the Marsaglia polar method.
    public mutating func normal() -> Double {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let q = u * u + v * v
            if q > 0 && q < 1 {
                let f = (-2 * log(q) / q).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }
}
