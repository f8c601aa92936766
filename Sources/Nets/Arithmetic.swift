import CDNNL

/// What decides the last digits of the numbers Unravel computes: its own kernels' order of
/// rounding, oneDNN's version and the instruction set its kernels run with. Results computed
/// under two arithmetics differ in their last digits, so a results file records the one it was
/// computed with, and a run that would add to it, resume it or merge it with another must share it.
public enum Arithmetic {
    /// Raised whenever a change to Unravel's own code moves any result in its last digits (a
    /// golden text or a parity fixture regenerated for rounding):
    /// 1. up to 2026-12-07;
    /// 2. norms applied in one rounding, as PyTorch applies them (affine.c);
    /// 3. SiLU with its own exp (silu.c).
    public static let numericsVersion = 3

    /// The instruction set family oneDNN's float32 kernels use here ("avx512_core", "avx2", …).
    public static var kernelISA: String { String(cString: unravel_dnnl_fp32_isa()) }

    /// One line naming all three, as results files record it.
    public static var current: String {
        "Unravel numerics \(numericsVersion), oneDNN \(Compute.oneDNNVersion), \(kernelISA) kernels"
    }
}
