/// ECA's excitation (Wang et al., "ECA-Net", CVPR 2020; timm's EcaModule): one filter of `taps`
/// slid across the channels of pooled features, zero-padded by (taps − 1) / 2 at both ends, so
/// each channel's logit reads its neighbours: z[c] = Σ_j w[j] · s[c + j − pad] (+ bias). It is
/// PyTorch's Conv1d(1, 1, k) on the pooled vector viewed as a one-channel sequence.
struct ChannelConvolution {
    let taps: [Float]
    let bias: Float?

    var padding: Int { (taps.count - 1) / 2 }

    /// [n, c] pooled features to [n, c] logits, each sum in tap order.
    func forward(_ s: Tensor) -> Tensor {
        let (n, c) = (s.shape[0], s.shape[1])
        let z = Tensor(shape: [n, c])
        for b in 0..<n {
            let row = s.pointer + b * c, out = z.pointer + b * c
            for k in 0..<c {
                var sum: Float = 0
                for (j, w) in taps.enumerated() {
                    let source = k + j - padding
                    if source >= 0 && source < c { sum += w * row[source] }
                }
                out[k] = bias.map { sum + $0 } ?? sum
            }
        }
        return z
    }

    /// The gradient at the pooled features: each logit's gradient sent back along its taps,
    /// dL/ds[i] = Σ_j w[j] · dL/dz[i − j + pad].
    func backward(_ gz: Tensor) -> Tensor {
        let (n, c) = (gz.shape[0], gz.shape[1])
        let gs = Tensor(shape: [n, c])
        for b in 0..<n {
            let row = gz.pointer + b * c, out = gs.pointer + b * c
            for i in 0..<c {
                var sum: Float = 0
                for (j, w) in taps.enumerated() {
                    let target = i - j + padding
                    if target >= 0 && target < c { sum += w * row[target] }
                }
                out[i] = sum
            }
        }
        return gs
    }
}
