import CDNNL

/// Row-major single-precision matrix products on oneDNN's sgemm, for the probes' statistics:
/// the Gram matrices of CKA and the normal equations of ridge probes. A 128-image Gram matrix of
/// 32×32×16 activations is 270 M multiply-adds, which loops in Swift would take seconds over.
public enum MatrixProduct {
    /// The n×n Gram matrix X Xᵀ of a batch, each image flattened to one row, in Double.
    public static func gram(_ x: Tensor) throws -> [Double] {
        let n = x.batch
        let p = x.imageSize
        var c = [Float](repeating: 0, count: n * n)
        try c.withUnsafeMutableBufferPointer { out in
            try check(unravel_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), n, n, p, 1, x.pointer, p,
                                    x.pointer, p, 0, out.baseAddress!, n), "\(n)×\(p) Gram matrix")
        }
        return c.map(Double.init)
    }

    /// AᵀB for A [rows, a] and B [rows, b], row-major: a×b, in Double.
    public static func transposedProduct(_ a: [Float], _ b: [Float], rows: Int) throws -> [Double] {
        guard rows > 0, a.count % rows == 0, b.count % rows == 0 else {
            throw NetsError("matrix product over \(rows) rows of \(a.count) and \(b.count) values")
        }
        let (m, n) = (a.count / rows, b.count / rows)
        var c = [Float](repeating: 0, count: m * n)
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try c.withUnsafeMutableBufferPointer { out in
                    try check(unravel_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")), m, n, rows, 1, pa.baseAddress!, m,
                                            pb.baseAddress!, n, 0, out.baseAddress!, n), "\(m)×\(rows)·\(rows)×\(n) product")
                }
            }
        }
        return c.map(Double.init)
    }

    private static func check(_ status: Int32, _ what: String) throws {
        guard status == 0 else { throw NetsError(.failure, "oneDNN's sgemm failed on a \(what)") }
    }
}
