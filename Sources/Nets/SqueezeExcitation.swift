import Foundation

/// Squeeze-excitation (Hu et al. 2018), as timm and torchvision put it inside a residual branch:
/// s = mean over h, w of x; g = sigmoid(expand(relu(reduce(s)))); y = x · g per channel. The two
/// 1x1 convolutions act on pooled features, so they run as linear layers.
struct SqueezeExcitation {
    let reduce: Linear
    let expand: Linear

    /// What backward needs: the reduce output before its ReLU, and the gate.
    struct Record {
        let hidden: Tensor
        let gate: Tensor
    }

    func gate(_ x: Tensor) throws -> Record {
        let pooled = GlobalAvgPool.forward(x)
        let hidden = try reduce.forward(pooled)
        let activated = Tensor(shape: hidden.shape)
        reluForward(hidden.pointer, activated.pointer, hidden.count)
        let gate = try expand.forward(activated)
        for i in 0..<gate.count { gate.pointer[i] = 1 / (1 + exp(-gate.pointer[i])) }
        return Record(hidden: hidden, gate: gate)
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
    /// `x`, which costs one pooling and two small matrix products.
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
        let activatedGradient = expand.backward(gateGradient)
        for i in 0..<activatedGradient.count where !(record.hidden.pointer[i] > 0) { activatedGradient.pointer[i] = 0 }
        let pooledGradient = reduce.backward(activatedGradient)
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
