/// The unbiased estimator of the Hilbert-Schmidt independence criterion (Song et al. 2012), on
/// which minibatch CKA rests (Nguyen, Raghu & Kornblith 2021). For n×n Gram matrices K and L
/// with their diagonals set to zero (K̃, L̃):
///
///     HSIC₁ = [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3))
///
/// It needs n ≥ 4. Its expectation does not depend on n, so averaging it over minibatches of
/// any size ≥ 4 estimates the same quantity.
public enum HSIC {
    /// The fewest images a minibatch must hold.
    public static let minimumImages = 4

    /// HSIC₁ of two n×n Gram matrices (row-major, diagonals ignored).
    public static func unbiased(_ k: [Double], _ l: [Double], n: Int) -> Double {
        precondition(n >= minimumImages && k.count == n * n && l.count == n * n, "HSIC₁ needs two n×n matrices with n ≥ 4")
        var trace = 0.0, sumK = 0.0, sumL = 0.0, rowProducts = 0.0
        for i in 0..<n {
            var rowK = 0.0, rowL = 0.0
            for j in 0..<n where j != i {
                let (a, b) = (k[i * n + j], l[i * n + j])
                trace += a * b
                rowK += a
                rowL += b
            }
            sumK += rowK
            sumL += rowL
            rowProducts += rowK * rowL
        }
        let m = Double(n)
        return (trace + sumK * sumL / ((m - 1) * (m - 2)) - 2 / (m - 2) * rowProducts) / (m * (m - 3))
    }
}
