/// Files hold images as (N, C, H, W), as PyTorch does; tensors are (N, H, W, C). The one
/// conversion from tensor order to file order, for everything that writes images or activations.
public enum Layout {
    /// A tensor (N, H, W, C) as (N, C, H, W) values.
    public static func nchw(_ tensor: Tensor) -> [Float] {
        let (n, h, w, c) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        return nchw(UnsafePointer(tensor.pointer), images: n, height: h, width: w, channels: c)
    }

    /// Values of one or more (H, W, C) images, each as (C, H, W).
    public static func nchw(_ values: [Float], height: Int, width: Int, channels: Int) -> [Float] {
        let size = height * width * channels
        guard size > 0, !values.isEmpty else { return [] }
        return values.withUnsafeBufferPointer {
            nchw($0.baseAddress!, images: values.count / size, height: height, width: width, channels: channels)
        }
    }

    private static func nchw(_ source: UnsafePointer<Float>, images n: Int, height h: Int, width w: Int, channels c: Int) -> [Float] {
        var values = [Float](repeating: 0, count: n * h * w * c)
        values.withUnsafeMutableBufferPointer { out in
            for b in 0..<n { for i in 0..<h { for j in 0..<w {
                let pixel = source + ((b * h + i) * w + j) * c
                for k in 0..<c { out[((b * c + k) * h + i) * w + j] = pixel[k] }
            } } }
        }
        return values
    }
}
