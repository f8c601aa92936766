/// The input gradient of a strided 1×1 convolution without padding: a ResNet's projection
/// shortcut, or the strided first convolution of a Caffe ResNet's bottleneck. Its windows are
/// single pixels that do not overlap, so the gradient is a 1×1 convolution of the output
/// gradient with Wᵀ on the output grid, placed every `stride` pixels; the pixels in between
/// get none. oneDNN 2.6 runs the strided shape on its older jit_1x1 backward-data kernel, at
/// 1.4–1.8× the time of the forward's brgconv_1x1 (ResNet-50's three projections: 108 against
/// 67 ms per gradient pass of 32 images); this way the product runs on the forward kernel.
final class StridedPointwiseBackward: @unchecked Sendable {
    let stride: Int
    /// The 1×1 convolution from the output's channels to the input's, with weights Wᵀ.
    private let transposed: Convolution

    init?(_ g: ConvGeometry, weights: [Float]) {
        guard g.isUnpaddedPointwise, g.stride > 1 else { return nil }
        stride = g.stride
        transposed = Convolution(ConvGeometry(inChannels: g.outChannels, outChannels: g.inChannels, kernel: 1),
                                 weights: Convolution.transposedAndFlipped(g, weights), bias: nil)
    }

    /// Adds the input gradient into `total` (`accumulate`), or writes it there, zeros included.
    func inputGradient(_ outputGradient: Tensor, into total: Tensor, accumulate: Bool) throws {
        let onGrid = try transposed.forward(outputGradient)
        let (height, width, channels) = (total.shape[1], total.shape[2], total.shape[3])
        let (outHeight, outWidth) = (onGrid.shape[1], onGrid.shape[2])
        forEachImage(total.shape[0]) { image in
            let imageBase = total.pointer + image * height * width * channels
            if !accumulate { imageBase.update(repeating: 0, count: height * width * channels) }
            for row in 0..<outHeight {
                for column in 0..<outWidth {
                    let source = onGrid.pointer + ((image * outHeight + row) * outWidth + column) * channels
                    let target = imageBase + (row * stride * width + column * stride) * channels
                    if accumulate {
                        addInPlace(target, source, channels)
                    } else {
                        target.update(from: source, count: channels)
                    }
                }
            }
        }
    }
}
