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
        let z = slide(s, direction: 1)
        if let bias { for i in 0..<z.count { z.pointer[i] += bias } }
        return z
    }

    /// The gradient at the pooled features: each logit's gradient sent back along its taps,
    /// dL/ds[i] = Σ_j w[j] · dL/dz[i − j + pad].
    func backward(_ gz: Tensor) -> Tensor { slide(gz, direction: -1) }

    /// out[k] = Σ_j w[j] · v[k + direction · (j − pad)], zero outside the channels: the filter
    /// forward (direction 1) or mirrored, as its transpose (direction −1).
    private func slide(_ v: Tensor, direction: Int) -> Tensor {
        let (n, c) = (v.shape[0], v.shape[1])
        let out = Tensor(shape: [n, c])
        for b in 0..<n {
            let row = v.pointer + b * c, result = out.pointer + b * c
            for k in 0..<c {
                var sum: Float = 0
                for (j, w) in taps.enumerated() {
                    let at = k + direction * (j - padding)
                    if at >= 0 && at < c { sum += w * row[at] }
                }
                result[k] = sum
            }
        }
        return out
    }
}
