import Nets

/// Ridge regression in closed form, from normal equations accumulated batch by batch: memory
/// grows with the feature width d (a d×d matrix), never with the number of images.
///
/// With centred features and targets (the intercept is not penalised),
///     W = (Sxx + λI)⁻¹ Sxy,  b = ȳ − Wᵀx̄,
/// where λ = α·tr(Sxx)/d: α is relative to the features' mean variance times the image count,
/// so one α means the same on a 16-channel block and a 2048-channel one.
public struct RidgeRegression: Sendable {
    public let features: Int
    public let targets: Int
    public private(set) var count = 0
    /// Sums over rows of (x − shiftX) and (y − shiftY), and their cross products. The shifts are
    /// the first rows' means: post-ReLU features have means far above their spread, and
    /// accumulating raw products in float32 would lose the spread to cancellation.
    private var shiftX: [Float]? = nil
    private var shiftY: [Float]? = nil
    private var sumX: [Double]
    private var sumY: [Double]
    private var xx: [Double]
    private var xy: [Double]

    public init(features: Int, targets: Int) {
        self.features = features
        self.targets = targets
        sumX = [Double](repeating: 0, count: features)
        sumY = [Double](repeating: 0, count: targets)
        xx = [Double](repeating: 0, count: features * features)
        xy = [Double](repeating: 0, count: features * targets)
    }

    /// Adds rows of x [rows, features] with their targets y [rows, targets].
    public mutating func add(_ x: [Float], _ y: [Float], rows: Int) throws {
        guard rows > 0 else { return }
        precondition(x.count == rows * features && y.count == rows * targets, "ridge rows do not match the widths")
        func columnMeans(_ v: [Float], _ width: Int) -> [Float] {
            (0..<width).map { j in Float((0..<rows).reduce(0.0) { $0 + Double(v[$1 * width + j]) } / Double(rows)) }
        }
        let sx = shiftX ?? columnMeans(x, features), sy = shiftY ?? columnMeans(y, targets)
        (shiftX, shiftY) = (sx, sy)
        let cx = x.indices.map { x[$0] - sx[$0 % features] }, cy = y.indices.map { y[$0] - sy[$0 % targets] }
        let xtx = try MatrixProduct.transposedProduct(cx, cx, rows: rows)
        let xty = try MatrixProduct.transposedProduct(cx, cy, rows: rows)
        for i in xx.indices { xx[i] += xtx[i] }
        for i in xy.indices { xy[i] += xty[i] }
        for r in 0..<rows {
            for j in 0..<features { sumX[j] += Double(cx[r * features + j]) }
            for j in 0..<targets { sumY[j] += Double(cy[r * targets + j]) }
        }
        count += rows
    }

    /// The fitted map: weights [features, targets] row-major, bias [targets] and the absolute λ.
    public struct Fit: Sendable {
        public let weights: [Double]
        public let bias: [Double]
        public let lambda: Double
        public let features: Int
        public let targets: Int

        /// Scores [rows, targets] for rows of x.
        public func predict(_ x: [Float], rows: Int) -> [Double] {
            var out = [Double](repeating: 0, count: rows * targets)
            for r in 0..<rows {
                for t in 0..<targets { out[r * targets + t] = bias[t] }
                for j in 0..<features {
                    let v = Double(x[r * features + j])
                    if v == 0 { continue }
                    for t in 0..<targets { out[r * targets + t] += v * weights[j * targets + t] }
                }
            }
            return out
        }
    }

    /// Solves with relative ridge α (see the type's comment). Throws with fewer than two images,
    /// or when the system is singular (α = 0 on collinear features).
    public func solve(alpha: Double) throws -> Fit {
        guard count >= 2 else {
            throw NetsError("a ridge fit needs at least 2 images, got \(count)")
        }
        let n = Double(count)
        // Means of the shifted data; the shift comes back in the bias.
        let meanX = sumX.map { $0 / n }, meanY = sumY.map { $0 / n }
        var a = xx
        for i in 0..<features { for j in 0..<features { a[i * features + j] -= n * meanX[i] * meanX[j] } }
        var b = xy
        for i in 0..<features { for t in 0..<targets { b[i * targets + t] -= n * meanX[i] * meanY[t] } }
        let trace = (0..<features).reduce(0.0) { $0 + a[$1 * features + $1] }
        let lambda = alpha * trace / Double(features)
        for i in 0..<features { a[i * features + i] += lambda }
        let weights = try choleskySolve(a, b, size: features, columns: targets)
        let (sx, sy) = (shiftX ?? [], shiftY ?? [])
        let bias = (0..<targets).map { t in
            meanY[t] + Double(sy[t]) - (0..<features).reduce(0.0) { $0 + weights[$1 * targets + t] * (meanX[$1] + Double(sx[$1])) }
        }
        return Fit(weights: weights, bias: bias, lambda: lambda, features: features, targets: targets)
    }
}

/// Solves A X = B for a symmetric positive-definite A (size×size) and B (size×columns), by
/// Cholesky. Written here because no package on the project's list does dense linear algebra,
/// and the systems are small (one per block, d ≤ a few thousand).
func choleskySolve(_ a: [Double], _ b: [Double], size n: Int, columns m: Int) throws -> [Double] {
    var l = a
    for j in 0..<n {
        var diagonal = l[j * n + j]
        for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
        guard diagonal > 0, diagonal.isFinite else {
            throw NetsError(.failure, "the ridge system is singular (pivot \(j) of \(n)); use a larger regularisation")
        }
        let root = diagonal.squareRoot()
        l[j * n + j] = root
        for i in (j + 1)..<max(n, j + 1) {
            var value = l[i * n + j]
            for k in 0..<j { value -= l[i * n + k] * l[j * n + k] }
            l[i * n + j] = value / root
        }
    }
    var x = b
    for c in 0..<m {
        for i in 0..<n {   // L y = b
            var value = x[i * m + c]
            for k in 0..<i { value -= l[i * n + k] * x[k * m + c] }
            x[i * m + c] = value / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {   // Lᵀ x = y
            var value = x[i * m + c]
            for k in (i + 1)..<max(n, i + 1) { value -= l[k * n + i] * x[k * m + c] }
            x[i * m + c] = value / l[i * n + i]
        }
    }
    return x
}
