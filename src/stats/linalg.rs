//! Small dense linear algebra on row-major `f64` slices: Cholesky factors, triangular solves,
//! inverses and the symmetric eigen-decomposition. The models of this module have few fixed
//! effects and small random-effect blocks, so plain loops beat any general library here.

/// Cholesky factorisation in place: `a` (n x n, symmetric, row-major) becomes its lower factor
/// L with A = L L' (the strict upper triangle is zeroed). `Err(j)` when pivot j is not positive
/// or below `rel_tol` times the original diagonal element (a rank-deficient or indefinite A).
/// Always inlined: the mixed models call it on blocks whose size is a compile-time constant,
/// and the unrolled loops are much of their speed.
#[inline(always)]
pub fn cholesky(a: &mut [f64], n: usize, rel_tol: f64) -> Result<(), usize> {
    for j in 0..n {
        let orig = a[j * n + j];
        let mut d = orig;
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= rel_tol * orig.abs() || !d.is_finite() || d <= 0.0 {
            return Err(j);
        }
        let ljj = d.sqrt();
        a[j * n + j] = ljj;
        for i in (j + 1)..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / ljj;
        }
        for k in (j + 1)..n {
            a[j * n + k] = 0.0;
        }
    }
    Ok(())
}

/// Solves L X = B in place for a lower-triangular L (n x n) and B (n x m, row-major). Always
/// inlined, as [`cholesky`].
#[inline(always)]
pub fn forward_solve(l: &[f64], n: usize, b: &mut [f64], m: usize) {
    for i in 0..n {
        for k in 0..i {
            let lik = l[i * n + k];
            if lik != 0.0 {
                for c in 0..m {
                    b[i * m + c] -= lik * b[k * m + c];
                }
            }
        }
        let d = l[i * n + i];
        for c in 0..m {
            b[i * m + c] /= d;
        }
    }
}

/// Solves L' x = b in place for a lower-triangular L (n x n) and a vector b.
pub fn backward_solve_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// The inverse of A = L L' from its lower Cholesky factor L (n x n).
pub fn cholesky_inverse(l: &[f64], n: usize) -> Vec<f64> {
    // L^{-1} by forward substitution on the identity, then A^{-1} = L^{-T} L^{-1}.
    let mut li = vec![0.0; n * n];
    for i in 0..n {
        li[i * n + i] = 1.0;
    }
    forward_solve(l, n, &mut li, n);
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = 0.0;
            for k in i.max(j)..n {
                s += li[k * n + i] * li[k * n + j];
            }
            inv[i * n + j] = s;
            inv[j * n + i] = s;
        }
    }
    inv
}

/// Sum of 2 ln L_jj: the log-determinant of L L'.
#[inline]
pub fn log_det_chol(l: &[f64], n: usize) -> f64 {
    (0..n).map(|j| 2.0 * l[j * n + j].ln()).sum()
}

/// X' X (p x p) of a column-major list of columns.
pub fn crossprod_cols(cols: &[Vec<f64>]) -> Vec<f64> {
    let p = cols.len();
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = cols[i].iter().zip(&cols[j]).map(|(a, b)| a * b).sum();
            out[i * p + j] = s;
            out[j * p + i] = s;
        }
    }
    out
}

/// Symmetric matrix times vector.
pub fn mat_vec(a: &[f64], n: usize, x: &[f64]) -> Vec<f64> {
    (0..n)
        .map(|i| (0..n).map(|j| a[i * n + j] * x[j]).sum())
        .collect()
}

/// x' A y for A (n x n).
pub fn qform(a: &[f64], n: usize, x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * a[i * n + j] * y[j];
        }
    }
    s
}

/// Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations: returns the
/// eigenvalues and the eigenvectors as the columns of a row-major n x n matrix.
fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j].powi(2))
            .sum();
        let diag: f64 = (0..n).map(|i| m[i * n + i].powi(2)).sum();
        if off <= 1e-30 * diag.max(f64::MIN_POSITIVE) || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let app = m[p * n + p];
                let aqq = m[q * n + q];
                let tau = (aqq - app) / (2.0 * apq);
                let t = tau.signum() / (tau.abs() + (1.0 + tau * tau).sqrt());
                let t = if tau == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

/// Moore-Penrose inverse of a symmetric matrix keeping eigenvalues above `tol` (the rule
/// lmerTest applies to the Hessian of the variance parameters).
pub fn pseudo_inverse_sym(a: &[f64], n: usize, tol: f64) -> Vec<f64> {
    let (vals, vecs) = symmetric_eigen(a, n);
    let mut out = vec![0.0; n * n];
    for (k, &lam) in vals.iter().enumerate() {
        if lam > tol {
            for i in 0..n {
                for j in 0..n {
                    out[i * n + j] += vecs[i * n + k] * vecs[j * n + k] / lam;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_inverse_and_eigen() {
        let a = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let mut l = a.clone();
        cholesky(&mut l, 3, 1e-12).unwrap();
        let inv = cholesky_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let (vals, vecs) = symmetric_eigen(&a, 3);
        for k in 0..3 {
            let v: Vec<f64> = (0..3).map(|i| vecs[i * 3 + k]).collect();
            let av = mat_vec(&a, 3, &v);
            for i in 0..3 {
                assert!((av[i] - vals[k] * v[i]).abs() < 1e-10);
            }
        }
        let pinv = pseudo_inverse_sym(&a, 3, 1e-8);
        for (x, y) in pinv.iter().zip(&inv) {
            assert!((x - y).abs() < 1e-10);
        }
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert_eq!(cholesky(&mut singular, 2, 1e-10), Err(1));
    }
}
