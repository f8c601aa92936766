import Nets

/// Files use NCHW, as PyTorch does; tensors are NHWC.
enum Layout {
    static func nchw(_ tensor: Tensor) -> [Float] {
        let (n, h, w, c) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        var values = [Float](repeating: 0, count: tensor.count)
        values.withUnsafeMutableBufferPointer { out in
            for b in 0..<n { for i in 0..<h { for j in 0..<w {
                let source = tensor.pointer + ((b * h + i) * w + j) * c
                for k in 0..<c { out[((b * c + k) * h + i) * w + j] = source[k] }
            } } }
        }
        return values
    }
}
