import CDNNL

/// The input gradient of a convolution into few channels (a stem's gradient at the image) as a
/// matrix product and a scatter: each output position's gradient row times Wᵀ gives that
/// window's input gradient, added into place (col2im). oneDNN 2.6 runs this shape on a
/// backward-data kernel that vectorises over the 3 input channels: ResNet-50's 7×7 stride-2 stem
/// took 4× its forward's time there (89–110 ms for 32 images, 6% of a gradient pass), and takes
/// 36–42 ms this way. The product runs on oneDNN's sgemm, a tile of output rows at a time so
/// that the columns stay in the core's cache.
final class LoweredBackwardData: @unchecked Sendable {
    /// Input channels up to which the lowering is used: beyond them oneDNN's kernels vectorise well.
    static let maximumInputChannels = 4
    /// Floats of one tile of columns: 256 KB, well inside a core's L2.
    private static let tileFloats = 1 << 16

    let geometry: ConvGeometry
    /// Wᵀ as [outChannels, kernel·kernel·inChannels], each row in (ky, kx, c) order, so that
    /// one kernel row of a window lands on consecutive NHWC floats of the input gradient.
    private let matrix: [Float]
    private var columns: Int { geometry.kernel * geometry.kernel * geometry.inChannels }

    init?(_ g: ConvGeometry, weights: [Float]) {
        // Stride 1 runs as a transposed forward convolution, which is faster (CIFAR's 3×3 stem,
        // 16 images: 0.19 against 0.26 ms).
        guard g.groups == 1, g.stride > 1, g.inChannels <= LoweredBackwardData.maximumInputChannels else { return nil }
        geometry = g
        let (k, c) = (g.kernel, g.inChannels)
        var matrix = [Float](repeating: 0, count: weights.count)
        for o in 0..<g.outChannels {
            for ci in 0..<c {
                for ky in 0..<k {
                    for kx in 0..<k {
                        matrix[o * k * k * c + (ky * k + kx) * c + ci] = weights[((o * c + ci) * k + ky) * k + kx]
                    }
                }
            }
        }
        self.matrix = matrix
    }

    /// The gradient at an input of `inputShape` from the gradient at the output; images run in
    /// parallel (windows of neighbouring rows overlap, images do not).
    func inputGradient(_ outputGradient: Tensor, inputShape: [Int]) -> Tensor {
        let inputGradient = Tensor(zeros: inputShape)
        let (outHeight, outWidth) = (outputGradient.shape[1], outputGradient.shape[2])
        let rowsPerTile = max(1, min(outHeight, LoweredBackwardData.tileFloats / max(outWidth * columns, 1)))
        parallelRanges(inputShape[0], minimum: 2) { images in
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerTile * outWidth * columns)
            defer { tile.deallocate() }
            for image in images {
                for firstRow in stride(from: 0, to: outHeight, by: rowsPerTile) {
                    let rows = min(rowsPerTile, outHeight - firstRow)
                    let gradientRows = outputGradient.pointer + (image * outHeight + firstRow) * outWidth * geometry.outChannels
                    let status = matrix.withUnsafeBufferPointer { w in
                        unravel_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), rows * outWidth, columns,
                                      geometry.outChannels, 1, gradientRows, geometry.outChannels,
                                      w.baseAddress!, columns, 0, tile, columns)
                    }
                    // sgemm fails only on arguments out of range, which the shapes above rule out.
                    precondition(status == 0, "oneDNN's sgemm failed on the input gradient of \(geometry)")
                    scatter(tile, image: image, firstRow: firstRow, rows: rows, outWidth: outWidth, into: inputGradient)
                }
            }
        }
        return inputGradient
    }

    /// Adds each window's columns into the input gradient (col2im), clipped to the input.
    private func scatter(_ tile: UnsafeMutablePointer<Float>, image: Int, firstRow: Int, rows: Int, outWidth: Int,
                         into inputGradient: Tensor) {
        let g = geometry
        let (height, width, channels, k) = (inputGradient.shape[1], inputGradient.shape[2], g.inChannels, g.kernel)
        for row in 0..<rows {
            for x in 0..<outWidth {
                let window = tile + (row * outWidth + x) * columns
                let left = x * g.stride - g.padLeft
                let (firstKx, endKx) = (max(0, -left), min(k, width - left))
                guard firstKx < endKx else { continue }
                let count = (endKx - firstKx) * channels
                for ky in 0..<k {
                    let y = (firstRow + row) * g.stride - g.padTop + ky
                    guard y >= 0 && y < height else { continue }
                    let target = inputGradient.pointer + ((image * height + y) * width + left + firstKx) * channels
                    let source = window + (ky * k + firstKx) * channels
                    addInPlace(target, source, count)
                }
            }
        }
    }
}
