import Foundation

/// Squeeze-excitation (Hu et al. 2018), as timm and torchvision put it inside a residual branch:
/// s = mean over h, w of x; g = sigmoid(excite(s)); y = x · g per channel. The excitation is
/// Hu et al.'s bottleneck, expand(relu(reduce(s))), whose two 1x1 convolutions act on pooled
/// features and so run as linear layers; or ECA's 1-D convolution across the channels.
struct SqueezeExcitation {
    enum Excitation {
        case bottleneck(reduce: Linear, expand: Linear)
        case channelConvolution(ChannelConvolution)
    }

    let excitation: Excitation

    /// What backward needs: the bottleneck's reduce output before its ReLU, and the gate.
    struct Record {
        let hidden: Tensor?
        let gate: Tensor
    }

    func gate(_ x: Tensor) throws -> Record {
        let pooled = GlobalAvgPool.forward(x)
        let hidden: Tensor?, gate: Tensor
        switch excitation {
        case .bottleneck(let reduce, let expand):
            let reduced = try reduce.forward(pooled)
            let activated = Tensor(shape: reduced.shape)
            reluForward(reduced.pointer, activated.pointer, reduced.count)
            (hidden, gate) = (reduced, try expand.forward(activated))
        case .channelConvolution(let conv):
            (hidden, gate) = (nil, conv.forward(pooled))
        }
        for i in 0..<gate.count { gate.pointer[i] = 1 / (1 + exp(-gate.pointer[i])) }
        return Record(hidden: hidden, gate: gate)
    }

    /// dL/d(pooled features) from dL/d(the gate's logits).
    private func pooledGradient(_ logitGradient: Tensor, _ record: Record) -> Tensor {
        switch excitation {
        case .bottleneck(let reduce, let expand):
            let activatedGradient = expand.backward(logitGradient)
            for i in 0..<activatedGradient.count where !(record.hidden!.pointer[i] > 0) { activatedGradient.pointer[i] = 0 }
            return reduce.backward(activatedGradient)
        case .channelConvolution(let conv):
            return conv.backward(logitGradient)
        }
    }

    func forward(_ x: Tensor) throws -> Tensor {
        let g = try gate(x).gate
        let y = Tensor(shape: x.shape)
        let (n, c) = (x.shape[0], x.channels)
        let pixels = x.count / (n * c)
        for b in 0..<n {
            for p in 0..<pixels {
                let offset = (b * pixels + p) * c
                for k in 0..<c { y.pointer[offset + k] = x.pointer[offset + k] * g.pointer[b * c + k] }
            }
        }
        return y
    }

    /// dL/dx = dL/dy · g + (through the gate) ∂/∂x of the pooled mean. Recomputes the gate from
    /// `x`, which costs one pooling and the excitation's small products.
    func backward(_ gy: Tensor, input x: Tensor) throws -> Tensor {
        let record = try gate(x)
        let (n, c) = (x.shape[0], x.channels)
        let pixels = x.count / (n * c)
        // dL/dg[b, k] = Σ_p dL/dy · x, then through the sigmoid.
        let gateGradient = Tensor(zeros: [n, c])
        for b in 0..<n {
            let out = gateGradient.pointer + b * c
            for p in 0..<pixels {
                let offset = (b * pixels + p) * c
                for k in 0..<c { out[k] += gy.pointer[offset + k] * x.pointer[offset + k] }
            }
            for k in 0..<c {
                let t = record.gate.pointer[b * c + k]
                out[k] *= t * (1 - t)
            }
        }
        let pooledGradient = pooledGradient(gateGradient, record)
        let gx = Tensor(shape: x.shape)
        let share = 1 / Float(pixels)
        for b in 0..<n {
            for p in 0..<pixels {
                let offset = (b * pixels + p) * c
                for k in 0..<c {
                    gx.pointer[offset + k] = gy.pointer[offset + k] * record.gate.pointer[b * c + k]
                        + pooledGradient.pointer[b * c + k] * share
                }
            }
        }
        return gx
    }
}
