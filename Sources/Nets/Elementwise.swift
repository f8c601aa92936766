import CDNNL

/// Element-wise kernels over raw buffers. They are free functions over SIMD16<Float>: the same
/// loops written inside Swift closures ran ~40x slower.

typealias Vector = SIMD16<Float>

@inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector {
    UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
}

@inline(__always) func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vector.self)
}

/// y = max(x, 0), in place allowed. A plain loop: SIMD16's pointwiseMax compiles to one lane at a
/// time through the stack (it was a quarter of a batch-norm recalibration's samples).
func reluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { y[i] = max(x[i], 0) }
}

/// g *= [y > 0 or NaN]: the ReLU backward, given the ReLU's output y, as oneDNN's kernel computes
/// it on larger tensors (a product, and a NaN output passes the gradient, as in PyTorch), so
/// that the result does not depend on the size or the thread count.
func reluBackward(_ g: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { g[i] = y[i] <= 0 ? g[i] * 0 : g[i] }
}

/// a += b.
func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count { store(load(a, i) + load(b, i), a, i); i += 16 }
    while i < count { a[i] += b[i]; i += 1 }
}

/// a *= s.
func scaleInPlace(_ a: UnsafeMutablePointer<Float>, _ s: Float, _ count: Int) {
    var i = 0
    while i + 16 <= count { store(load(a, i) * s, a, i); i += 16 }
    while i < count { a[i] *= s; i += 1 }
}

/// y = x * scale[c] + shift[c] over NHWC rows of `channels`, then ReLU if asked: an inference
/// batch norm or a group norm, optionally fused with the ReLU that follows it. One rounding (a
/// fused multiply-add), as PyTorch applies both (`unravel_affine_rows`, in C: Swift's baseline
/// x86-64 has no FMA instruction).
func scaleShift(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, pixels: Int, channels: Int,
                scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool) {
    unravel_affine_rows(x, y, pixels, channels, scale, shift, relu ? 1 : 0)
}

/// g = g * scale[c] over NHWC rows: the batch-norm backward to its input. With `mask` (the
/// output of a ReLU after the batch norm), g is 0 where mask is not positive.
func scaleChannels(_ g: UnsafeMutablePointer<Float>, pixels: Int, channels: Int, scale: UnsafePointer<Float>,
                   keepingWherePositive mask: UnsafePointer<Float>? = nil) {
    if let mask {
        // The product is taken unconditionally, so that the select vectorises: with the multiply
        // inside the branch LLVM kept a scalar loop (a quarter of a pre-activation gradient pass).
        for p in 0..<pixels {
            let (row, kept) = (g + p * channels, mask + p * channels)
            for c in 0..<channels {
                let product = row[c] * scale[c]
                row[c] = kept[c] > 0 ? product : 0
            }
        }
        return
    }
    for p in 0..<pixels {
        let row = g + p * channels
        for c in 0..<channels { row[c] *= scale[c] }
    }
}

// MARK: - Highway layers: y = h·t + x·(1 − t) and its gradients

/// y = h·t + x·(1 − t), or x·(1 − t) when h is nil (a lesioned layer).
func highwayMerge(_ h: UnsafePointer<Float>?, _ t: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                  _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    if let h {
        while i + 16 <= count { let ti = load(t, i); store(load(h, i) * ti + load(x, i) * (1 - ti), y, i); i += 16 }
        while i < count { y[i] = h[i] * t[i] + x[i] * (1 - t[i]); i += 1 }
    } else {
        while i + 16 <= count { store(load(x, i) * (1 - load(t, i)), y, i); i += 16 }
        while i < count { y[i] = x[i] * (1 - t[i]); i += 1 }
    }
}

/// out = g·t, or g·(1 − t) for the carry.
func highwayGated(_ g: UnsafePointer<Float>, _ t: UnsafePointer<Float>, carry: Bool, _ out: UnsafeMutablePointer<Float>,
                  _ count: Int) {
    var i = 0
    if carry {
        while i + 16 <= count { store(load(g, i) * (1 - load(t, i)), out, i); i += 16 }
        while i < count { out[i] = g[i] * (1 - t[i]); i += 1 }
    } else {
        while i + 16 <= count { store(load(g, i) * load(t, i), out, i); i += 16 }
        while i < count { out[i] = g[i] * t[i]; i += 1 }
    }
}

/// out = g·(h − x)·t·(1 − t), with h = 0 when nil: the gradient at the gate's pre-activation.
func highwayGateGradient(_ g: UnsafePointer<Float>, _ h: UnsafePointer<Float>?, _ x: UnsafePointer<Float>,
                         _ t: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    if let h {
        while i + 16 <= count {
            let ti = load(t, i)
            store(load(g, i) * (load(h, i) - load(x, i)) * ti * (1 - ti), out, i)
            i += 16
        }
        while i < count { out[i] = g[i] * (h[i] - x[i]) * t[i] * (1 - t[i]); i += 1 }
    } else {
        while i + 16 <= count {
            let ti = load(t, i)
            store(-load(g, i) * load(x, i) * ti * (1 - ti), out, i)
            i += 16
        }
        while i < count { out[i] = -g[i] * x[i] * t[i] * (1 - t[i]); i += 1 }
    }
}
