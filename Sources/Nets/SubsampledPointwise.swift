/// The forward pass of a strided 1×1 convolution without padding (a ResNet's projection
/// shortcut) on small output maps: the input's pixels on the output grid are copied out, then a
/// stride-1 1×1 convolution with the same weights runs on them, over the batch as one row of
/// pixels (`Convolution.planGrid`). Each output is the same sum in the same order. oneDNN 2.6's
/// strided brgconv_1x1 blocks pixels image by image, and ran ResNet-50's projections onto 14×14
/// and 7×7 maps at 72–80% of the peak (docs/performance.md).
final class SubsampledPointwise: @unchecked Sendable {
    let stride: Int
    /// The same convolution with stride 1.
    private let unstrided: Convolution

    init?(_ g: ConvGeometry, weights: [Float], bias: [Float]?) {
        guard g.isUnpaddedPointwise, g.stride > 1 else { return nil }
        stride = g.stride
        unstrided = Convolution(ConvGeometry(inChannels: g.inChannels, outChannels: g.outChannels, kernel: 1),
                                weights: weights, bias: bias)
    }

    /// Whether this way is taken for an output of `pixels` per image: on maps of at most 14×14,
    /// and only where flattening is on. Onto 28×28 the copy cost more than it gained (ResNet-50's
    /// 56→28 projection: 32.2 ms per 64 images strided, 36.1 ms this way).
    static func applies(toOutputPixels pixels: Int) -> Bool { pixels <= min(14 * 14, Compute.pointwiseFlatteningPixels) }

    func forward(_ input: Tensor, into output: Tensor, accumulate: Bool, relu: Bool, sigmoid: Bool) throws {
        let (height, width, channels) = (input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (output.shape[1], output.shape[2])
        let onGrid = Tensor(shape: [input.shape[0], outHeight, outWidth, channels])
        forEachImage(input.shape[0]) { image in
            for row in 0..<outHeight {
                for column in 0..<outWidth {
                    let source = input.pointer + ((image * height + row * stride) * width + column * stride) * channels
                    let target = onGrid.pointer + ((image * outHeight + row) * outWidth + column) * channels
                    target.update(from: source, count: channels)
                }
            }
        }
        try unstrided.forward(onGrid, into: output, accumulate: accumulate, relu: relu, sigmoid: sigmoid)
    }
}
