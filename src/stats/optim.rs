//! Quasi-Newton (BFGS) minimisation with central-difference gradients, for the handful of
//! smooth variance parameters of a mixed model. Parameters can be held fixed (`free = false`).

/// The outcome of a minimisation.
#[derive(Clone, Debug)]
pub(crate) struct OptResult {
    pub x: Vec<f64>,
    pub f: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
}

/// Central-difference step for parameter value `x`.
fn step(x: f64) -> f64 {
    1e-5 * x.abs().max(0.05)
}

/// Gradient and diagonal second derivatives by central differences over the free parameters.
fn gradient<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x: &[f64],
    fx: f64,
    free: &[bool],
    evals: &mut usize,
) -> (Vec<f64>, Vec<f64>) {
    let k = x.len();
    let mut g = vec![0.0; k];
    let mut d2 = vec![0.0; k];
    let mut xp = x.to_vec();
    for i in 0..k {
        if !free[i] {
            continue;
        }
        let h = step(x[i]);
        xp[i] = x[i] + h;
        let fp = f(&xp);
        xp[i] = x[i] - h;
        let fm = f(&xp);
        xp[i] = x[i];
        *evals += 2;
        g[i] = (fp - fm) / (2.0 * h);
        d2[i] = (fp - 2.0 * fx + fm) / (h * h);
    }
    (g, d2)
}

/// Forward-difference gradient (half the evaluations of [`gradient`]; used far from the
/// optimum, where its O(h) error does not matter).
fn forward_gradient<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x: &[f64],
    fx: f64,
    free: &[bool],
    evals: &mut usize,
) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        if free[i] {
            let h = step(x[i]);
            xp[i] = x[i] + h;
            g[i] = (f(&xp) - fx) / h;
            xp[i] = x[i];
            *evals += 1;
        }
    }
    g
}

fn initial_inverse_hessian(d2: &[f64], g: &[f64], free: &[bool]) -> Vec<f64> {
    let k = d2.len();
    let mut h = vec![0.0; k * k];
    for i in 0..k {
        if free[i] {
            h[i * k + i] = if d2[i] > 1e-8 {
                1.0 / d2[i]
            } else {
                1.0 / (1.0 + g[i].abs())
            };
        }
    }
    h
}

/// Minimises `f` from `x0` by BFGS with a backtracking (Armijo) line search. Stops when the
/// Newton decrement g' H g falls below `tol`, when no step lowers f by more than rounding
/// noise (1e-13 |f|, three times in a row), when no step lowers f at all, or after `max_iter`
/// iterations (then `converged = false`).
pub(crate) fn bfgs<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x0: &[f64],
    free: &[bool],
    max_iter: usize,
    tol: f64,
) -> OptResult {
    let k = x0.len();
    let mut evals = 1;
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    if !fx.is_finite() {
        return OptResult {
            x,
            f: fx,
            iterations: 0,
            evaluations: evals,
            converged: false,
        };
    }
    let (mut g, d2) = gradient(f, &x, fx, free, &mut evals);
    let mut h = initial_inverse_hessian(&d2, &g, free);
    let mut converged = false;
    let mut iterations = 0;
    let mut restarted = false;
    let mut stalls = 0;
    // Whether g is a central-difference gradient: convergence is only declared on those.
    let mut central = true;
    while iterations < max_iter {
        iterations += 1;
        let mut p: Vec<f64> = (0..k)
            .map(|i| -(0..k).map(|j| h[i * k + j] * g[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = p.iter().zip(&g).map(|(a, b)| a * b).sum();
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from the diagonal curvature.
            let (gc, d2) = gradient(f, &x, fx, free, &mut evals);
            g = gc;
            central = true;
            h = initial_inverse_hessian(&d2, &g, free);
            p = (0..k).map(|i| -h[i * k + i] * g[i]).collect();
            slope = p.iter().zip(&g).map(|(a, b)| a * b).sum();
            if slope.is_nan() || slope >= 0.0 {
                converged = true;
                break;
            }
        }
        if -slope < tol {
            if central {
                converged = true;
                break;
            }
            g = gradient(f, &x, fx, free, &mut evals).0;
            central = true;
            continue;
        }
        // Keep steps moderate: no parameter moves by more than 2 + |x| at once.
        let maxrel = (0..k)
            .map(|i| p[i].abs() / (2.0 + x[i].abs()))
            .fold(0.0, f64::max);
        if maxrel > 1.0 {
            for v in &mut p {
                *v /= maxrel;
            }
            slope /= maxrel;
        }
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let xn: Vec<f64> = (0..k).map(|i| x[i] + alpha * p[i]).collect();
            let fnew = f(&xn);
            evals += 1;
            if fnew.is_finite() && fnew <= fx + 1e-4 * alpha * slope {
                accepted = Some((xn, fnew));
                break;
            }
            let next = if fnew.is_finite() {
                // Minimiser of the quadratic through f(0), f'(0) and f(alpha).
                let denom = 2.0 * (fnew - fx - slope * alpha);
                if denom > 0.0 {
                    -slope * alpha * alpha / denom
                } else {
                    0.5 * alpha
                }
            } else {
                0.5 * alpha
            };
            alpha = next.clamp(0.1 * alpha, 0.5 * alpha);
        }
        let Some((xn, fnew)) = accepted else {
            // No step lowers f: either converged to the precision of f or a bad curvature
            // model; try once from the diagonal model, then give up.
            if restarted {
                converged = -slope < tol * 1e4;
                break;
            }
            restarted = true;
            let (gc, d2) = gradient(f, &x, fx, free, &mut evals);
            g = gc;
            central = true;
            h = initial_inverse_hessian(&d2, &g, free);
            continue;
        };
        restarted = false;
        // Steps that gain no more than rounding noise: three in a row end the search.
        if central && fx - fnew <= 1e-13 * fx.abs().max(1.0) {
            stalls += 1;
            if stalls >= 3 {
                x = xn;
                fx = fnew;
                converged = -slope < 1e-6;
                break;
            }
        } else {
            stalls = 0;
        }
        central = -slope <= 1e-2;
        let gn = if central {
            gradient(f, &xn, fnew, free, &mut evals).0
        } else {
            forward_gradient(f, &xn, fnew, free, &mut evals)
        };
        let s: Vec<f64> = (0..k).map(|i| xn[i] - x[i]).collect();
        let yv: Vec<f64> = (0..k).map(|i| gn[i] - g[i]).collect();
        let sy: f64 = s.iter().zip(&yv).map(|(a, b)| a * b).sum();
        let ss: f64 = s.iter().map(|a| a * a).sum::<f64>().sqrt();
        let yy: f64 = yv.iter().map(|a| a * a).sum::<f64>().sqrt();
        if sy > 1e-12 * ss * yy {
            // H+ = (I - rho s y') H (I - rho y s') + rho s s'
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..k)
                .map(|i| (0..k).map(|j| h[i * k + j] * yv[j]).sum())
                .collect();
            let yhy: f64 = yv.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..k {
                for j in 0..k {
                    h[i * k + j] += -rho * (s[i] * hy[j] + hy[i] * s[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        x = xn;
        fx = fnew;
        g = gn;
    }
    OptResult {
        x,
        f: fx,
        iterations,
        evaluations: evals,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_rosenbrock_valley() {
        let mut f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let r = bfgs(&mut f, &[-1.2, 1.0], &[true, true], 500, 1e-16);
        assert!(
            (r.x[0] - 1.0).abs() < 1e-5 && (r.x[1] - 1.0).abs() < 1e-5,
            "{:?}",
            r
        );
        let mut g = |x: &[f64]| (x[0] - 3.0).powi(2) + (x[1] + 1.0).powi(2);
        let r = bfgs(&mut g, &[0.0, 0.0], &[true, false], 100, 1e-16);
        assert!((r.x[0] - 3.0).abs() < 1e-6 && r.x[1] == 0.0);
    }
}
