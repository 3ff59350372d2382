//! Numbers as CSV cells: fixed decimals, trailing zeros trimmed, empty for NaN (the one
//! formatter of output files).

use std::fmt::Write as _;

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Appends `x` rounded to `dp` decimals (at most 9), trailing zeros removed; nothing for NaN or
/// infinity (an empty cell). Rounds half away from zero on `x * 10^dp`.
pub(crate) fn push_num(out: &mut String, x: f64, dp: usize) {
    if !x.is_finite() {
        return;
    }
    let dp = dp.min(9);
    let scaled = (x * POW10[dp]).round();
    if scaled.abs() >= 9.0e15 {
        // Beyond exact integers: fall back to the standard formatter.
        let _ = write!(out, "{x:.dp$}");
        return;
    }
    let v = scaled as i64;
    if v == 0 {
        out.push('0');
        return;
    }
    if v < 0 {
        out.push('-');
    }
    let p = POW10[dp] as u64;
    let a = v.unsigned_abs();
    let _ = write!(out, "{}", a / p);
    let mut frac = a % p;
    if frac != 0 {
        let mut digits = dp;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0digits$}");
    }
}

/// `x` rounded to `dp` decimals (at most 9), trailing zeros removed, empty for NaN or infinity:
/// the one formatter of numbers in output files (CSV cells, manifests, chart captions).
pub fn num(x: f64, dp: usize) -> String {
    let mut s = String::new();
    push_num(&mut s, x, dp);
    s
}

/// A boolean as a CSV cell: `1` or `0`.
pub(crate) fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast formatter agrees with the standard one (trailing zeros trimmed) except, at
    /// most, on exact decimal ties, where it rounds half away from zero.
    #[test]
    fn push_num_matches_standard_formatting() {
        let std_fmt = |x: f64, dp: usize| {
            let s = format!("{x:.dp$}");
            let s = if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            };
            if s == "-0" { "0".to_string() } else { s }
        };
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut differ = 0;
        for i in 0..200_000 {
            state = crate::random::mix64(state);
            let x = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((i % 9) - 2);
            for dp in [0, 1, 4] {
                if num(x, dp) != std_fmt(x, dp) {
                    differ += 1;
                }
            }
        }
        assert!(differ < 20, "{differ} of 600000 differ");
        assert_eq!(num(-0.00001, 4), "0");
        assert_eq!(num(12.0, 0), "12");
        assert_eq!(num(0.5, 4), "0.5");
        assert_eq!(num(-1.23456, 4), "-1.2346");
        assert_eq!(num(f64::NAN, 4), "");
    }
}
