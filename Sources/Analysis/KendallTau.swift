/// Kendall's τ between `order` and the identity 0, 1, ..., n−1: (concordant − discordant) pairs
/// over all n(n−1)/2 pairs. 1 for the original order, −1 for the reversed one.
public func kendallTau(_ order: [Int]) -> Double {
    let n = order.count
    guard n > 1 else { return 1 }
    var score = 0
    for i in 0..<n {
        for j in (i + 1)..<n { score += order[i] < order[j] ? 1 : -1 }
    }
    return Double(score) / Double(n * (n - 1) / 2)
}
