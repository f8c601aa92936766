import CDNNL
import Foundation

/// The fixed shape of a 2-D convolution: channels, kernel, stride, padding and groups.
public struct ConvGeometry: Hashable, Sendable, Codable {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    /// Padding as (top, left, bottom, right). PyTorch pads symmetrically; Keras 'same' with
    /// stride 2 pads only bottom/right.
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public var groups: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        (padTop, padLeft, padBottom, padRight) = (padding, padding, padding, padding)
        self.groups = groups
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + padTop + padBottom - kernel) / stride + 1, (width + padLeft + padRight - kernel) / stride + 1)
    }

    /// A 1×1 ungrouped convolution without padding: each output pixel reads one input pixel, so
    /// the pixels can be laid out in any grid (`Convolution.planGrid`, `SubsampledPointwise`,
    /// `StridedPointwiseBackward`).
    var isUnpaddedPointwise: Bool {
        kernel == 1 && groups == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Weight count in PyTorch's layout (O, I/groups, KH, KW).
    public var weightCount: Int { outChannels * (inChannels / groups) * kernel * kernel }
}

/// A convolution with its weights (batch norm already folded in) and its oneDNN plans.
///
/// Forward can fuse the residual add (accumulating into the destination, oneDNN's sum post-op)
/// and a ReLU. Backward-data gives the gradient at the input, and can add it to a gradient
/// already there (a shortcut's or a branch's): fused as a sum post-op where the stride is 1,
/// added at the strided pixels only for a strided 1×1 convolution, a separate add otherwise.
public final class Convolution: @unchecked Sendable {
    public let geometry: ConvGeometry
    /// Weights in PyTorch layout (O, I/groups, KH, KW).
    public let weights: [Float]
    public let bias: [Float]?

    private struct PlanKey: Hashable {
        let batch, height, width, threads: Int
        let accumulate, relu, sigmoid, backward: Bool
    }
    private var plans: [PlanKey: OpaquePointer] = [:]
    private let lock = NSLock()

    /// How the input gradient is computed for this geometry, each on the fastest kernel measured
    /// for it (docs/performance.md).
    enum BackwardMethod {
        /// Stride 1, one group: the input gradient is itself a convolution, of the output
        /// gradient with the weights transposed and flipped, padded by kernel − 1 − padding.
        /// oneDNN 2.6 runs that on its forward (brgconv) kernels, about 20% faster than its
        /// backward-data ones, and fuses an add into it.
        case transposedForward(Convolution)
        /// Strided, into few input channels: a matrix product and a scatter.
        case lowered(LoweredBackwardData)
        /// A strided 1×1 convolution: a 1×1 forward convolution on the output grid, then placed.
        case stridedPointwise(StridedPointwiseBackward)
        /// Everything else: oneDNN's backward-data kernel.
        case oneDNN
    }
    /// Chosen on the first backward pass, so forward-only runs and the convolutions batch-norm
    /// folding replaces never pay for transposing weights.
    private var backwardMethodCache: BackwardMethod?
    /// The forward pass on small maps of a strided 1×1 convolution without padding; nil for
    /// every other geometry.
    private let subsampled: SubsampledPointwise?

    var backwardMethod: BackwardMethod {
        lock.lock()
        defer { lock.unlock() }
        if let cached = backwardMethodCache { return cached }
        let chosen: BackwardMethod
        if let transposed = Convolution.transposedForBackward(geometry, weights) {
            chosen = .transposedForward(transposed)
        } else if let lowered = LoweredBackwardData(geometry, weights: weights) {
            chosen = .lowered(lowered)
        } else if let pointwise = StridedPointwiseBackward(geometry, weights: weights) {
            chosen = .stridedPointwise(pointwise)
        } else {
            chosen = .oneDNN
        }
        backwardMethodCache = chosen
        return chosen
    }

    public init(_ geometry: ConvGeometry, weights: [Float], bias: [Float]?) {
        precondition(weights.count == geometry.weightCount, "weights do not fit \(geometry)")
        precondition(bias.map { $0.count == geometry.outChannels } ?? true, "bias does not fit \(geometry)")
        self.geometry = geometry
        self.weights = weights
        self.bias = bias
        subsampled = SubsampledPointwise(geometry, weights: weights, bias: bias)
    }

    private static func transposedForBackward(_ g: ConvGeometry, _ weights: [Float]) -> Convolution? {
        let k = g.kernel
        guard g.stride == 1, g.groups == 1, [g.padTop, g.padLeft, g.padBottom, g.padRight].allSatisfy({ $0 <= k - 1 }) else {
            return nil
        }
        var t = ConvGeometry(inChannels: g.outChannels, outChannels: g.inChannels, kernel: k)
        (t.padTop, t.padLeft, t.padBottom, t.padRight) = (k - 1 - g.padTop, k - 1 - g.padLeft, k - 1 - g.padBottom, k - 1 - g.padRight)
        return Convolution(t, weights: transposedAndFlipped(g, weights), bias: nil)
    }

    /// Ungrouped weights with input and output channels swapped and each kernel turned
    /// by 180°, in PyTorch layout: for a 1×1 kernel, plain Wᵀ. Done in tiles of 32 × 32
    /// channels: row by row, every write of a 2048 × 512 matrix missed the cache, and turning
    /// ResNet-50's weights took 95 ms before its first gradient.
    static func transposedAndFlipped(_ g: ConvGeometry, _ weights: [Float]) -> [Float] {
        let (k, outputs, inputs, tile) = (g.kernel, g.outChannels, g.inChannels, 32)
        let taps = k * k
        return [Float](unsafeUninitializedCapacity: weights.count) { flipped, initialized in
            weights.withUnsafeBufferPointer { source in
                for o0 in stride(from: 0, to: outputs, by: tile) {
                    for c0 in stride(from: 0, to: inputs, by: tile) {
                        for o in o0..<min(o0 + tile, outputs) {
                            for c in c0..<min(c0 + tile, inputs) {
                                let from = (o * inputs + c) * taps, to = (c * outputs + o) * taps
                                // Turning a kernel by 180° reverses its taps.
                                for t in 0..<taps { flipped[to + taps - 1 - t] = source[from + t] }
                            }
                        }
                    }
                }
            }
            initialized = weights.count
        }
    }

    deinit { plans.values.forEach { unravel_conv_destroy($0) } }

    public func outputShape(for input: [Int]) -> [Int] {
        let size = geometry.outputSize(height: input[1], width: input[2])
        return [input[0], size.height, size.width, geometry.outChannels]
    }

    /// y = conv(x) + bias, or with `accumulate`, y += conv(x) + bias; then ReLU or the logistic
    /// sigmoid if asked.
    public func forward(_ input: Tensor, into output: Tensor, accumulate: Bool = false, relu: Bool = false,
                        sigmoid: Bool = false) throws {
        try checkInput(input.shape)
        guard output.shape == outputShape(for: input.shape) else {
            throw NetsError("convolution output buffer is \(output.shape), expected \(outputShape(for: input.shape))")
        }
        if let subsampled, SubsampledPointwise.applies(toOutputPixels: output.shape[1] * output.shape[2]) {
            return try subsampled.forward(input, into: output, accumulate: accumulate, relu: relu, sigmoid: sigmoid)
        }
        let plan = try self.plan(input.shape, accumulate: accumulate, relu: relu, sigmoid: sigmoid, backward: false)
        guard unravel_conv_execute(plan, input.pointer, output.pointer) == 0 else {
            throw NetsError("oneDNN failed to run a convolution \(geometry) on \(input.shape)")
        }
    }

    public func forward(_ input: Tensor, relu: Bool = false, sigmoid: Bool = false) throws -> Tensor {
        let output = Tensor(shape: outputShape(for: input.shape))
        try forward(input, into: output, relu: relu, sigmoid: sigmoid)
        return output
    }

    /// total += the gradient at the input; fused into the convolution where the method allows.
    /// `total` must not be `outputGradient`.
    public func backwardData(_ outputGradient: Tensor, inputShape: [Int], accumulatingInto total: Tensor) throws {
        precondition(total !== outputGradient, "cannot accumulate a convolution's input gradient into its output gradient")
        guard total.shape == inputShape else { throw NetsError("gradient buffer is \(total.shape), expected \(inputShape)") }
        try checkBackward(outputGradient, inputShape: inputShape)
        switch backwardMethod {
        case .transposedForward(let transposed): try transposed.forward(outputGradient, into: total, accumulate: true)
        case .stridedPointwise(let pointwise): try pointwise.inputGradient(outputGradient, into: total, accumulate: true)
        case .lowered, .oneDNN: try ParallelElementwise.add(total, try backwardData(outputGradient, inputShape: inputShape))
        }
    }

    /// The gradient at the input, given the gradient at the output and the input's shape.
    public func backwardData(_ outputGradient: Tensor, inputShape: [Int]) throws -> Tensor {
        try checkBackward(outputGradient, inputShape: inputShape)
        switch backwardMethod {
        case .transposedForward(let transposed):
            let inputGradient = Tensor(shape: inputShape)
            try transposed.forward(outputGradient, into: inputGradient)
            return inputGradient
        case .stridedPointwise(let pointwise):
            let inputGradient = Tensor(shape: inputShape)
            try pointwise.inputGradient(outputGradient, into: inputGradient, accumulate: false)
            return inputGradient
        case .lowered(let lowered):
            return lowered.inputGradient(outputGradient, inputShape: inputShape)
        case .oneDNN:
            let inputGradient = Tensor(shape: inputShape)
            let plan = try self.plan(inputShape, accumulate: false, relu: false, sigmoid: false, backward: true)
            guard unravel_conv_execute(plan, outputGradient.pointer, inputGradient.pointer) == 0 else {
                throw NetsError("oneDNN failed to run a backward convolution \(geometry) on \(inputShape)")
            }
            return inputGradient
        }
    }

    private func checkBackward(_ outputGradient: Tensor, inputShape: [Int]) throws {
        try checkInput(inputShape)
        guard outputGradient.shape == outputShape(for: inputShape) else {
            throw NetsError("convolution output gradient is \(outputGradient.shape), expected \(outputShape(for: inputShape))")
        }
    }

    private func checkInput(_ shape: [Int]) throws {
        guard shape.count == 4, shape[3] == geometry.inChannels else {
            throw NetsError("convolution expects NHWC input with \(geometry.inChannels) channels, got \(shape)")
        }
        let size = geometry.outputSize(height: shape[1], width: shape[2])
        guard size.height > 0, size.width > 0 else {
            throw NetsError("input \(shape[1])x\(shape[2]) is too small for a \(geometry.kernel)x\(geometry.kernel) convolution")
        }
    }

    /// The grid oneDNN is shown for an NHWC input. A 1×1 stride-1 convolution on small maps sees
    /// the whole batch as one row of pixels (1, 1, N·H·W): the same bytes, and each output the same
    /// sum in the same order, but brgconv_1x1 then blocks pixels across images. Per image, 7×7 and
    /// 14×14 maps leave ragged pixel blocks: ResNet-50's 1×1 convolutions on them ran at 77–82% of
    /// the peak, and at 85–90% flattened (docs/performance.md).
    func planGrid(_ input: [Int]) -> (batch: Int, height: Int, width: Int) {
        let pixels = input[1] * input[2]
        guard geometry.isUnpaddedPointwise, geometry.stride == 1, pixels <= Compute.pointwiseFlatteningPixels else {
            return (input[0], input[1], input[2])
        }
        return (1, 1, input[0] * pixels)
    }

    private func plan(_ input: [Int], accumulate: Bool, relu: Bool, sigmoid: Bool, backward: Bool) throws -> OpaquePointer {
        let threads = Compute.threads
        let (batch, height, width) = backward ? (input[0], input[1], input[2]) : planGrid(input)
        let key = PlanKey(batch: batch, height: height, width: width, threads: threads,
                          accumulate: accumulate, relu: relu, sigmoid: sigmoid, backward: backward)
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[key] { return plan }
        let size = geometry.outputSize(height: height, width: width)
        var shape = unravel_conv_shape(
            batch: batch, in_channels: geometry.inChannels, in_height: height, in_width: width,
            out_channels: geometry.outChannels, out_height: size.height, out_width: size.width,
            kernel_height: geometry.kernel, kernel_width: geometry.kernel,
            stride_height: geometry.stride, stride_width: geometry.stride,
            pad_top: geometry.padTop, pad_left: geometry.padLeft, pad_bottom: geometry.padBottom,
            pad_right: geometry.padRight, groups: geometry.groups)
        var error = [CChar](repeating: 0, count: 256)
        let created: OpaquePointer? = weights.withUnsafeBufferPointer { w in
            if backward {
                return unravel_conv_backward_data_create(&shape, w.baseAddress, Int32(threads), &error, error.count)
            }
            let fusion = unravel_conv_fusion(accumulate: accumulate ? 1 : 0, relu: relu ? 1 : 0, sigmoid: sigmoid ? 1 : 0)
            if let bias {
                return bias.withUnsafeBufferPointer { b in
                    unravel_conv_forward_create(&shape, w.baseAddress, b.baseAddress, fusion, Int32(threads), &error, error.count)
                }
            }
            return unravel_conv_forward_create(&shape, w.baseAddress, nil, fusion, Int32(threads), &error, error.count)
        }
        guard let created else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw NetsError("\(message) (convolution \(geometry) on \(input))")
        }
        let name = backward ? "backward-data" : "forward"
        Compute.noteKernel(String(cString: unravel_conv_implementation(created)),
                           for: "\(name) conv \(geometry.inChannels)->\(geometry.outChannels) k\(geometry.kernel) s\(geometry.stride) g\(geometry.groups) on \(input)")
        plans[key] = created
        return created
    }
}
