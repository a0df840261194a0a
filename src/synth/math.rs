//! Portable math for the generator: ln, exp, cos and the inverse normal
//! CDF built from IEEE-exact operations, so the same seed gives the same
//! bytes on every platform.

//
// `f64::ln`, `exp`, `cos` and `powf` call the platform's libm, whose last-bit
// results differ between systems and versions. These replacements use only
// IEEE-exact operations (+, −, ×, ÷, sqrt and bit manipulation), so every
// platform computes the same bits. Accuracy is ~1e-15 relative, far more than
// a random generator needs.

pub(super) const LN_2: f64 = std::f64::consts::LN_2;

/// Natural logarithm of a positive finite `x` (returns −∞ for 0, NaN below).
pub(super) fn det_ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Normalise subnormals, then split x = m · 2^e with m in [√½, √2).
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54i64) // 2^54
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 + bias;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN_2
}

/// Exponential function (saturates to 0 / +∞ outside about ±708).
pub(super) fn det_exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    // x = k·ln2 + r with |r| ≤ ln2/2; e^r by Taylor series, 2^k via the exponent.
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=20 {
        term *= r / f64::from(i);
        sum += term;
    }
    let ki = k as i64;
    sum * f64::from_bits(((ki + 1023) as u64) << 52)
}

/// `cos(2π·t)` for any finite `t` (an angle in turns).
pub(super) fn det_cos_turns(t: f64) -> f64 {
    // Reduce to a ∈ [0, 1), then to an octant, and evaluate sin/cos series
    // on |y| ≤ π/4.
    let a = t - t.floor();
    let q = (a * 8.0).floor();
    let octant = q as u8;
    let frac = a - q / 8.0; // [0, 1/8)
    let taylor_cos = |y: f64| {
        let y2 = y * y;
        let (mut term, mut sum) = (1.0, 1.0);
        for i in 1..=12 {
            term *= -y2 / f64::from((2 * i - 1) * (2 * i));
            sum += term;
        }
        sum
    };
    let taylor_sin = |y: f64| {
        let y2 = y * y;
        let (mut term, mut sum) = (y, y);
        for i in 1..=12 {
            term *= -y2 / f64::from((2 * i) * (2 * i + 1));
            sum += term;
        }
        sum
    };
    let tau = std::f64::consts::TAU;
    let y = frac * tau; // [0, π/4)
    let z = (0.125 - frac) * tau; // (0, π/4]
    match octant {
        0 => taylor_cos(y),
        1 => taylor_sin(z),
        2 => -taylor_sin(y),
        3 => -taylor_cos(z),
        4 => -taylor_cos(y),
        5 => -taylor_sin(z),
        6 => taylor_sin(y),
        _ => taylor_cos(z),
    }
}

/// Quantile function of the standard normal distribution for `p` in (0, 1)
/// (P. J. Acklam's rational approximation, relative error < 1.2e-9; clamped
/// to ±8.3 outside the open interval).
pub(super) fn inv_norm_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    if p.is_nan() {
        return 0.0;
    }
    let p = p.clamp(1e-16, 1.0 - 1e-16);
    let tail = |q: f64| {
        let q = (-2.0 * det_ln(q)).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}
