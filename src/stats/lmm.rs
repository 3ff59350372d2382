//! Linear mixed models fitted by restricted maximum likelihood (REML), with Satterthwaite
//! degrees of freedom for the fixed effects as lmerTest computes them.
//!
//! The model is y = X b + Z u + e with u ~ N(0, sigma^2 Lambda Lambda'), e ~ N(0, sigma^2 I),
//! for one random-effect term (`(1 | therapist)`, `(1 + time | patient)`) or two terms whose
//! grouping factors are nested (patients in therapists: `(1 + time | patient) +
//! (1 + time | therapist)`). A row may lack a level of a term (`None`): it has no random effect
//! of that term, which is how a waitlist arm without therapists is represented (lme4's
//! `(0 + treat + treat:time | therapist)`).
//!
//! Estimation follows lme4 (Bates et al. 2015, J Stat Softw 67(1)): the relative covariance
//! factor Lambda of each term is lower triangular, parameterised by theta (its lower triangle,
//! column by column), and the REML criterion profiled over b and sigma is
//!
//! d(theta) = log|L|^2 + log|R_X|^2 + (n - p) (1 + log(2 pi r^2 / (n - p)))
//!
//! with L L' = Lambda'Z'Z Lambda + I, R_X'R_X = X'V^{-1}X sigma^2 and r^2 the penalised
//! residual sum of squares. Because the groups are nested, L is block-sparse: one small dense
//! block per inner group (patient), one per outer group (therapist), and coupling blocks only
//! between a patient and their own therapist, so one evaluation costs O(groups) small dense
//! operations on per-group cross-products computed once. theta is optimised without bounds by
//! BFGS (the criterion is invariant to flipping the sign of a column of Lambda, so the
//! unconstrained optimum is an lme4 optimum after normalising the diagonal to be >= 0);
//! diagonal elements below 1e-4 are then fixed at the boundary 0 and the rest re-optimised,
//! and the fit is flagged `singular` as lme4's `isSingular` does.
//!
//! Satterthwaite df (Kuznetsova et al. 2017, J Stat Softw 82(13)): with varpar = (theta,
//! sigma), A = 2 H^+ (H the Hessian of the REML deviance in varpar, H^+ its pseudo-inverse over
//! eigenvalues > 1e-8) and J_k = d Cov(b) / d varpar_k, the df of a contrast l'b is
//! 2 (l'Cl)^2 / (g'Ag), g_k = l'J_k l. Derivatives are central finite differences.

use serde::Serialize;

use super::design::Design;
use super::linalg;
use super::optim;
use super::{Coef, Result, StatsError, check_finite};

/// One random-effect term: a grouping factor (level per row, `None` where the term does not
/// apply to the row) and the columns of Z it multiplies (e.g. `(Intercept)` and `time`).
#[derive(Clone, Debug, PartialEq)]
pub struct RandomTerm {
    /// Name of the grouping factor (`patient`, `therapist`).
    pub group_name: String,
    /// Level of each row (codes 0..levels), `None`: no effect of this term on the row.
    pub group: Vec<Option<usize>>,
    /// Names of the random-effect columns.
    pub names: Vec<String>,
    /// The random-effect columns (each of length n).
    pub columns: Vec<Vec<f64>>,
}

impl RandomTerm {
    /// A random intercept `(1 | group)`.
    pub fn intercept(group_name: impl Into<String>, group: &[usize]) -> RandomTerm {
        RandomTerm {
            group_name: group_name.into(),
            group: group.iter().map(|&g| Some(g)).collect(),
            names: vec!["(Intercept)".into()],
            columns: vec![vec![1.0; group.len()]],
        }
    }

    /// Correlated random intercept and slope `(1 + slope | group)`; rows with `None` have
    /// neither (`(0 + d + d:slope | group)` with d the indicator of a level being present).
    pub fn intercept_and_slope(
        group_name: impl Into<String>,
        group: Vec<Option<usize>>,
        slope_name: impl Into<String>,
        slope: &[f64],
    ) -> RandomTerm {
        RandomTerm {
            group_name: group_name.into(),
            names: vec!["(Intercept)".into(), slope_name.into()],
            columns: vec![vec![1.0; group.len()], slope.to_vec()],
            group,
        }
    }

    fn n_levels(&self) -> usize {
        let mut seen: Vec<usize> = self.group.iter().flatten().copied().collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }
}

/// Options of [`Lmm::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct LmmOptions {
    /// Compute Satterthwaite df (otherwise df = infinity: z tests).
    pub satterthwaite: bool,
    /// Iteration limit of the optimiser.
    pub max_iter: usize,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Where the optimiser starts: θ in the order of [`LmmFit::theta`] (a warm start, e.g.
    /// the fit of a similar data set). `None`, or a θ of the wrong length or not finite:
    /// lme4's start (Λ = I). The optimum does not depend on it, up to the optimiser's
    /// tolerance (the criterion is then within about 1e-10 of the other start's).
    pub start: Option<Vec<f64>>,
}

impl Default for LmmOptions {
    fn default() -> Self {
        LmmOptions {
            satterthwaite: true,
            max_iter: 500,
            level: 0.95,
            start: None,
        }
    }
}

/// The estimated covariance of one random-effect term.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VarComp {
    pub group_name: String,
    pub names: Vec<String>,
    /// Number of levels of the grouping factor present in the data.
    pub n_levels: usize,
    /// Covariance matrix sigma^2 Lambda Lambda' (row-major q x q).
    pub cov: Vec<f64>,
    /// Standard deviations.
    pub sd: Vec<f64>,
    /// Correlations (row-major q x q; NaN where a standard deviation is 0).
    pub corr: Vec<f64>,
}

impl VarComp {
    /// Variance of column `i`.
    pub fn var(&self, i: usize) -> f64 {
        self.cov[i * self.names.len() + i]
    }
}

#[derive(Clone, Debug)]
struct Satterthwaite {
    /// 2 H^+: asymptotic covariance of (theta, sigma).
    vcov_varpar: Vec<f64>,
    /// d Cov(b) / d varpar_k, one p x p matrix per variance parameter.
    jac: Vec<Vec<f64>>,
}

/// A fitted linear mixed model.
#[derive(Clone, Debug, Serialize)]
pub struct LmmFit {
    pub names: Vec<String>,
    pub coefficients: Vec<f64>,
    /// Covariance of the fixed effects sigma^2 (R_X'R_X)^{-1} (row-major p x p).
    pub vcov: Vec<f64>,
    /// Fixed-effect table: Satterthwaite df, t tests and Wald intervals on those df.
    pub coefs: Vec<Coef>,
    /// Residual standard deviation.
    pub sigma: f64,
    /// Relative covariance parameters, term by term in the order given, each the lower
    /// triangle of Lambda column by column (lme4's theta).
    pub theta: Vec<f64>,
    /// Random-effect covariances, in the order of the terms given.
    pub var_comps: Vec<VarComp>,
    /// REML criterion (-2 restricted log-likelihood), lme4's `REMLcrit`.
    pub reml_criterion: f64,
    /// A variance at zero or a correlation at +-1 (a diagonal of Lambda below 1e-4).
    pub singular: bool,
    pub n_obs: usize,
    pub converged: bool,
    pub iterations: usize,
    /// Evaluations of the REML criterion (optimisation and Satterthwaite derivatives).
    pub evaluations: usize,
    #[serde(skip)]
    satt: Option<Satterthwaite>,
    #[serde(skip)]
    level: f64,
}

impl LmmFit {
    /// The row of a fixed effect by name.
    pub fn coef(&self, name: &str) -> Option<&Coef> {
        self.coefs.iter().find(|c| c.name == name)
    }

    /// Satterthwaite df of the contrast l'b (NaN without Satterthwaite information).
    fn satterthwaite_df(&self, l: &[f64]) -> f64 {
        let p = self.coefficients.len();
        let Some(s) = &self.satt else {
            return f64::INFINITY;
        };
        if l.len() != p {
            return f64::NAN;
        }
        let var = linalg::qform(&self.vcov, p, l, l);
        let g: Vec<f64> = s.jac.iter().map(|j| linalg::qform(j, p, l, l)).collect();
        let k = g.len();
        let denom = linalg::qform(&s.vcov_varpar, k, &g, &g);
        2.0 * var * var / denom
    }

    /// Estimate, standard error, Satterthwaite df, t test and Wald interval of the contrast l'b
    /// (lmerTest's `contest1D`).
    ///
    /// # Errors
    /// [`StatsError::Dimension`] when `l` does not have one entry per fixed effect.
    pub fn contrast(&self, name: &str, l: &[f64]) -> Result<Coef> {
        let p = self.coefficients.len();
        if l.len() != p {
            return Err(StatsError::Dimension(format!(
                "contrast has {} entries for {p} fixed effects",
                l.len()
            )));
        }
        let est: f64 = l.iter().zip(&self.coefficients).map(|(a, b)| a * b).sum();
        let se = linalg::qform(&self.vcov, p, l, l).max(0.0).sqrt();
        Ok(Coef::new(
            name,
            est,
            se,
            self.satterthwaite_df(l),
            self.level,
        ))
    }

    /// Intraclass correlation tau^2 / (tau^2 + sigma^2) of a model whose only random effect is
    /// one random intercept (`None` otherwise).
    pub fn icc(&self) -> Option<f64> {
        match self.var_comps.as_slice() {
            [vc] if vc.names.len() == 1 => Some(vc.var(0) / (vc.var(0) + self.sigma * self.sigma)),
            _ => None,
        }
    }
}

/// acc (a.len() x b.len(), row-major) += a b'.
fn add_outer(acc: &mut [f64], a: &[f64], b: &[f64]) {
    for (row, ai) in acc.chunks_exact_mut(b.len().max(1)).zip(a) {
        for (r, bj) in row.iter_mut().zip(b) {
            *r += ai * bj;
        }
    }
}

/// Block size "not known at compile time" of [`Lmm::evaluate_sized`].
const DYN: usize = usize::MAX;

/// Number of parameters of a q x q lower-triangular factor.
fn n_theta(q: usize) -> usize {
    q * (q + 1) / 2
}

/// Lambda (q x q lower triangular, row-major) from theta (lower triangle column by column).
fn lambda(theta: &[f64], q: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    let mut k = 0;
    for j in 0..q {
        for i in j..q {
            out[i * q + j] = theta[k];
            k += 1;
        }
    }
}

/// Indices in theta of the diagonal elements of Lambda.
fn diag_positions(q: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(q);
    let mut k = 0;
    for j in 0..q {
        out.push(k);
        k += q - j;
    }
    out
}

/// out (q x m) = L' B for L (q x q) and B (q x m).
#[inline(always)]
fn lt_times(l: &[f64], q: usize, b: &[f64], m: usize, out: &mut [f64]) {
    for i in 0..q {
        for c in 0..m {
            let mut s = 0.0;
            for k in i..q {
                s += l[k * q + i] * b[k * m + c];
            }
            out[i * m + c] = s;
        }
    }
}

/// out (r x q) = B L for B (r x q) and lower-triangular L (q x q).
#[inline(always)]
fn times_l(b: &[f64], r: usize, l: &[f64], q: usize, out: &mut [f64]) {
    for i in 0..r {
        for j in 0..q {
            let mut s = 0.0;
            for k in j..q {
                s += b[i * q + k] * l[k * q + j];
            }
            out[i * q + j] = s;
        }
    }
}

/// c -= a' b for a (q x m1), b (q x m2), c (m1 x m2).
#[inline(always)]
fn sub_atb(a: &[f64], b: &[f64], q: usize, m1: usize, m2: usize, c: &mut [f64]) {
    for k in 0..q {
        for i in 0..m1 {
            let aki = a[k * m1 + i];
            if aki != 0.0 {
                for j in 0..m2 {
                    c[i * m2 + j] -= aki * b[k * m2 + j];
                }
            }
        }
    }
}

/// c -= a' a for a (q x m), c symmetric (m x m): only the lower triangle is updated (all that
/// [`linalg::cholesky`] reads).
#[inline(always)]
fn sub_ata_lower(a: &[f64], q: usize, m: usize, c: &mut [f64]) {
    for k in 0..q {
        let row = &a[k * m..(k + 1) * m];
        for i in 0..m {
            let aki = row[i];
            if aki != 0.0 {
                let ci = &mut c[i * m..i * m + i + 1];
                for (cij, akj) in ci.iter_mut().zip(row) {
                    *cij -= aki * akj;
                }
            }
        }
    }
}

/// The profiled quantities at one theta.
struct Eval {
    /// log|L|^2
    ldl: f64,
    /// log|R_X|^2
    ldrx: f64,
    /// penalised residual sum of squares
    r2: f64,
    beta: Vec<f64>,
    /// lower Cholesky factor of R_X'R_X (p x p)
    lx: Vec<f64>,
}

/// A linear mixed model ready to fit: the data reduced to per-group cross-products.
#[derive(Clone, Debug)]
pub struct Lmm {
    n: usize,
    p: usize,
    names: Vec<String>,
    /// Terms as given (for reporting), and whether the first given is the outer one.
    terms: Vec<(String, Vec<String>, usize)>,
    swapped: bool,
    q1: usize,
    q2: usize,
    /// Per inner group (cell): W'W, W'V, W'X, W'y (W: inner Z rows, V: outer Z rows).
    wtw: Vec<f64>,
    wtv: Vec<f64>,
    wtx: Vec<f64>,
    wty: Vec<f64>,
    /// Outer groups: the range of their cells, and V'V, V'X, V'y.
    outer_cells: Vec<(usize, usize)>,
    vtv: Vec<f64>,
    vtx: Vec<f64>,
    vty: Vec<f64>,
    /// Cells from here on have no outer group.
    lone_start: usize,
    n_cells: usize,
    xtx: Vec<f64>,
    xty: Vec<f64>,
    yty: f64,
}

impl Lmm {
    /// Prepares the model y ~ X + terms (one term, or two nested terms in either order).
    ///
    /// # Errors
    /// Mismatched lengths, non-finite values, no or more than two terms, terms that are not
    /// nested, a rank-deficient X, too few observations for the fixed or random effects.
    pub fn new(y: &[f64], x: &Design, terms: &[RandomTerm]) -> Result<Lmm> {
        let n = y.len();
        x.check(n, "fixed-effects design")?;
        check_finite("response", y)?;
        let p = x.ncols();
        if n <= p {
            return Err(StatsError::TooFewObservations { n, needed: p + 1 });
        }
        if terms.is_empty() || terms.len() > 2 {
            return Err(StatsError::Unsupported(format!(
                "{} random-effect terms (one, or two nested, are supported)",
                terms.len()
            )));
        }
        for t in terms {
            if t.group.len() != n || t.columns.len() != t.names.len() || t.columns.is_empty() {
                return Err(StatsError::Dimension(format!(
                    "random term `{}`: {} levels for {n} rows, {} columns, {} names",
                    t.group_name,
                    t.group.len(),
                    t.columns.len(),
                    t.names.len()
                )));
            }
            for (name, c) in t.names.iter().zip(&t.columns) {
                if c.len() != n {
                    return Err(StatsError::Dimension(format!(
                        "random term `{}` column `{name}` has {} rows, expected {n}",
                        t.group_name,
                        c.len()
                    )));
                }
                check_finite(
                    &format!("random term `{}` column `{name}`", t.group_name),
                    c,
                )?;
            }
            let levels = t.n_levels();
            if levels == 0 || levels >= n {
                return Err(StatsError::TooFewObservations {
                    n,
                    needed: levels + 1,
                });
            }
        }
        let n_re: usize = terms.iter().map(|t| t.n_levels() * t.columns.len()).sum();
        if n <= n_re {
            return Err(StatsError::TooFewObservations {
                n,
                needed: n_re + 1,
            });
        }
        // Which term is inner (nested in the other)?
        let (inner, outer, swapped) = if terms.len() == 1 {
            (&terms[0], None, false)
        } else {
            match nesting_violation(&terms[0], &terms[1]) {
                None => (&terms[0], Some(&terms[1]), false),
                Some(level) => {
                    if nesting_violation(&terms[1], &terms[0]).is_none() {
                        (&terms[1], Some(&terms[0]), true)
                    } else {
                        return Err(StatsError::NotNested {
                            inner: terms[0].group_name.clone(),
                            outer: terms[1].group_name.clone(),
                            level,
                        });
                    }
                }
            }
        };
        let q1 = inner.columns.len();
        let q2 = outer.map_or(0, |o| o.columns.len());

        // Outer level of each inner level.
        let inner_max = inner.group.iter().flatten().max().map_or(0, |m| m + 1);
        let mut inner_outer: Vec<Option<usize>> = vec![None; inner_max];
        let mut inner_present = vec![false; inner_max];
        for i in 0..n {
            if let Some(l) = inner.group[i] {
                inner_present[l] = true;
                if let Some(o) = outer.and_then(|o| o.group[i]) {
                    inner_outer[l] = Some(o);
                }
            }
        }
        let outer_max = outer.map_or(0, |o| o.group.iter().flatten().max().map_or(0, |m| m + 1));
        let mut outer_present = vec![false; outer_max];
        if let Some(o) = outer {
            for l in o.group.iter().flatten() {
                outer_present[*l] = true;
            }
        }
        // Cells ordered by outer level, then the cells without one.
        let mut outer_levels: Vec<usize> = (0..outer_max).filter(|&t| outer_present[t]).collect();
        outer_levels.sort_unstable();
        let mut cell_of = vec![usize::MAX; inner_max];
        let mut outer_slot = vec![usize::MAX; outer_max];
        for (s, &t) in outer_levels.iter().enumerate() {
            outer_slot[t] = s;
        }
        let mut by_outer: Vec<Vec<usize>> = vec![Vec::new(); outer_levels.len()];
        let mut lone = Vec::new();
        for l in 0..inner_max {
            if !inner_present[l] {
                continue;
            }
            match inner_outer[l] {
                Some(t) => by_outer[outer_slot[t]].push(l),
                None => lone.push(l),
            }
        }
        let mut next = 0;
        let mut outer_cells = Vec::with_capacity(by_outer.len());
        for cells in &by_outer {
            let start = next;
            for &l in cells {
                cell_of[l] = next;
                next += 1;
            }
            outer_cells.push((start, next));
        }
        let lone_start = next;
        for &l in &lone {
            cell_of[l] = next;
            next += 1;
        }
        let n_cells = next;

        let mut m = Lmm {
            n,
            p,
            names: x.names.clone(),
            terms: terms
                .iter()
                .map(|t| (t.group_name.clone(), t.names.clone(), t.n_levels()))
                .collect(),
            swapped,
            q1,
            q2,
            wtw: vec![0.0; n_cells * q1 * q1],
            wtv: vec![0.0; n_cells * q1 * q2],
            wtx: vec![0.0; n_cells * q1 * p],
            wty: vec![0.0; n_cells * q1],
            outer_cells,
            vtv: vec![0.0; outer_levels.len() * q2 * q2],
            vtx: vec![0.0; outer_levels.len() * q2 * p],
            vty: vec![0.0; outer_levels.len() * q2],
            lone_start,
            n_cells,
            xtx: vec![0.0; p * p],
            xty: vec![0.0; p],
            yty: 0.0,
        };
        let mut xr = vec![0.0; p];
        let mut w = vec![0.0; q1];
        let mut v = vec![0.0; q2];
        for (i, &yi) in y.iter().enumerate() {
            for (xj, col) in xr.iter_mut().zip(&x.columns) {
                *xj = col[i];
            }
            add_outer(&mut m.xtx, &xr, &xr);
            add_outer(&mut m.xty, &xr, &[yi]);
            m.yty += yi * yi;
            let ov = outer.and_then(|o| o.group[i].map(|t| (o, outer_slot[t])));
            if let Some((o, s)) = ov {
                for (k, vk) in v.iter_mut().enumerate() {
                    *vk = o.columns[k][i];
                }
                add_outer(&mut m.vtv[s * q2 * q2..(s + 1) * q2 * q2], &v, &v);
                add_outer(&mut m.vtx[s * q2 * p..(s + 1) * q2 * p], &v, &xr);
                add_outer(&mut m.vty[s * q2..(s + 1) * q2], &v, &[yi]);
            } else {
                v.iter_mut().for_each(|vk| *vk = 0.0);
            }
            if let Some(l) = inner.group[i] {
                let c = cell_of[l];
                for (k, wk) in w.iter_mut().enumerate() {
                    *wk = inner.columns[k][i];
                }
                add_outer(&mut m.wtw[c * q1 * q1..(c + 1) * q1 * q1], &w, &w);
                add_outer(&mut m.wtv[c * q1 * q2..(c + 1) * q1 * q2], &w, &v);
                add_outer(&mut m.wtx[c * q1 * p..(c + 1) * q1 * p], &w, &xr);
                add_outer(&mut m.wty[c * q1..(c + 1) * q1], &w, &[yi]);
            }
        }
        // Full column rank of X (equilibrated Cholesky of X'X).
        let scale: Vec<f64> = (0..p).map(|j| m.xtx[j * p + j].sqrt()).collect();
        if let Some(j) = scale.iter().position(|&s| s.is_nan() || s <= 0.0) {
            return Err(StatsError::RankDeficient(x.names[j].clone()));
        }
        let mut a: Vec<f64> = (0..p * p)
            .map(|k| m.xtx[k] / (scale[k / p] * scale[k % p]))
            .collect();
        linalg::cholesky(&mut a, p, 1e-10)
            .map_err(|j| StatsError::RankDeficient(x.names[j].clone()))?;
        Ok(m)
    }

    /// Number of variance parameters theta.
    fn n_theta(&self) -> usize {
        n_theta(self.q1) + n_theta(self.q2)
    }

    /// The profiled quantities at theta (internal order: inner term, then outer term).
    fn evaluate(&self, theta: &[f64]) -> Option<Eval> {
        // Monomorphised for the usual block sizes, so that the tiny loops unroll.
        match (self.q1, self.q2) {
            (1, 0) => self.evaluate_sized::<1, 0>(theta),
            (2, 0) => self.evaluate_sized::<2, 0>(theta),
            (1, 1) => self.evaluate_sized::<1, 1>(theta),
            (2, 1) => self.evaluate_sized::<2, 1>(theta),
            (1, 2) => self.evaluate_sized::<1, 2>(theta),
            (2, 2) => self.evaluate_sized::<2, 2>(theta),
            _ => self.evaluate_sized::<DYN, DYN>(theta),
        }
    }

    /// [`Lmm::evaluate`] with block sizes known at compile time ([`DYN`]: taken from `self`).
    #[inline(always)]
    fn evaluate_sized<const Q1: usize, const Q2: usize>(&self, theta: &[f64]) -> Option<Eval> {
        let q1 = if Q1 == DYN { self.q1 } else { Q1 };
        let q2 = if Q2 == DYN { self.q2 } else { Q2 };
        let p = self.p;
        let k1 = n_theta(q1);
        let mut l1 = vec![0.0; q1 * q1];
        let mut l2 = vec![0.0; q2 * q2];
        lambda(&theta[..k1], q1, &mut l1);
        lambda(&theta[k1..], q2, &mut l2);
        let mut c = self.xtx.clone();
        let mut xy = self.xty.clone();
        let mut yy = self.yty;
        let mut ld = 0.0;
        let mut det = 1.0_f64;
        // scratch
        let mut t1 = vec![0.0; q1 * q1];
        let mut mm = vec![0.0; q1 * q1];
        let mut cx = vec![0.0; q1 * p];
        let mut cy = vec![0.0; q1];
        let mut g0 = vec![0.0; q1 * q2];
        let mut g = vec![0.0; q1 * q2];
        let mut t2 = vec![0.0; q2 * q2];
        let mut s = vec![0.0; q2 * q2];
        let mut bx = vec![0.0; q2 * p];
        let mut by = vec![0.0; q2];
        let n_outer = self.outer_cells.len();
        for og in 0..=n_outer {
            let has_outer = og < n_outer;
            let (start, end) = if has_outer {
                self.outer_cells[og]
            } else {
                (self.lone_start, self.n_cells)
            };
            if has_outer {
                // S = L2' V'V L2 + I, Bx = L2' V'X, By = L2' V'y
                let vtv = &self.vtv[og * q2 * q2..(og + 1) * q2 * q2];
                times_l(vtv, q2, &l2, q2, &mut t2);
                lt_times(&l2, q2, &t2, q2, &mut s);
                for j in 0..q2 {
                    s[j * q2 + j] += 1.0;
                }
                lt_times(
                    &l2,
                    q2,
                    &self.vtx[og * q2 * p..(og + 1) * q2 * p],
                    p,
                    &mut bx,
                );
                lt_times(&l2, q2, &self.vty[og * q2..(og + 1) * q2], 1, &mut by);
            }
            for cell in start..end {
                let wtw = &self.wtw[cell * q1 * q1..(cell + 1) * q1 * q1];
                times_l(wtw, q1, &l1, q1, &mut t1);
                lt_times(&l1, q1, &t1, q1, &mut mm);
                for j in 0..q1 {
                    mm[j * q1 + j] += 1.0;
                }
                linalg::cholesky(&mut mm, q1, 0.0).ok()?;
                // log|L|² accumulated as a product of the diagonals (each ≥ 1, since the block
                // is Λ'W'WΛ + I), taken to the log only when it grows large: a log per
                // patient was a tenth of the fit's time.
                for j in 0..q1 {
                    det *= mm[j * q1 + j];
                }
                if det > 1e100 {
                    ld += 2.0 * det.ln();
                    det = 1.0;
                }
                lt_times(
                    &l1,
                    q1,
                    &self.wtx[cell * q1 * p..(cell + 1) * q1 * p],
                    p,
                    &mut cx,
                );
                linalg::forward_solve(&mm, q1, &mut cx, p);
                lt_times(&l1, q1, &self.wty[cell * q1..(cell + 1) * q1], 1, &mut cy);
                linalg::forward_solve(&mm, q1, &mut cy, 1);
                sub_ata_lower(&cx, q1, p, &mut c);
                sub_atb(&cx, &cy, q1, p, 1, &mut xy);
                yy -= cy.iter().map(|v| v * v).sum::<f64>();
                if has_outer {
                    lt_times(
                        &l1,
                        q1,
                        &self.wtv[cell * q1 * q2..(cell + 1) * q1 * q2],
                        q2,
                        &mut g0,
                    );
                    times_l(&g0, q1, &l2, q2, &mut g);
                    linalg::forward_solve(&mm, q1, &mut g, q2);
                    sub_ata_lower(&g, q1, q2, &mut s);
                    sub_atb(&g, &cx, q1, q2, p, &mut bx);
                    sub_atb(&g, &cy, q1, q2, 1, &mut by);
                }
            }
            if has_outer {
                linalg::cholesky(&mut s, q2, 0.0).ok()?;
                ld += linalg::log_det_chol(&s, q2);
                linalg::forward_solve(&s, q2, &mut bx, p);
                linalg::forward_solve(&s, q2, &mut by, 1);
                sub_ata_lower(&bx, q2, p, &mut c);
                sub_atb(&bx, &by, q2, p, 1, &mut xy);
                yy -= by.iter().map(|v| v * v).sum::<f64>();
            }
        }
        ld += 2.0 * det.ln();
        linalg::cholesky(&mut c, p, 1e-14).ok()?;
        let ldrx = linalg::log_det_chol(&c, p);
        let mut beta = xy;
        linalg::forward_solve(&c, p, &mut beta, 1);
        let r2 = yy - beta.iter().map(|v| v * v).sum::<f64>();
        if r2.is_nan() || r2 <= 0.0 || !ld.is_finite() {
            return None;
        }
        linalg::backward_solve_t(&c, p, &mut beta);
        Some(Eval {
            ldl: ld,
            ldrx,
            r2,
            beta,
            lx: c,
        })
    }

    fn criterion(&self, e: &Eval) -> f64 {
        let df = (self.n - self.p) as f64;
        e.ldl + e.ldrx + df * (1.0 + (2.0 * std::f64::consts::PI * e.r2 / df).ln())
    }

    /// Maps theta from the order of the terms as given to the internal order (inner first).
    fn to_internal(&self, theta: &[f64]) -> Vec<f64> {
        if self.swapped {
            let k2 = n_theta(self.q2);
            [&theta[k2..], &theta[..k2]].concat()
        } else {
            theta.to_vec()
        }
    }

    fn to_user(&self, theta: &[f64]) -> Vec<f64> {
        if self.swapped {
            let k1 = n_theta(self.q1);
            [&theta[k1..], &theta[..k1]].concat()
        } else {
            theta.to_vec()
        }
    }

    /// The REML criterion (lme4's `REMLcrit`) at theta given in the order of the terms;
    /// infinity where it cannot be evaluated.
    pub fn reml_criterion(&self, theta: &[f64]) -> f64 {
        if theta.len() != self.n_theta() {
            return f64::NAN;
        }
        self.evaluate(&self.to_internal(theta))
            .map_or(f64::INFINITY, |e| self.criterion(&e))
    }

    /// Diagonal positions of Lambda in the internal theta.
    fn diagonals(&self) -> Vec<usize> {
        let k1 = n_theta(self.q1);
        let mut d = diag_positions(self.q1);
        d.extend(diag_positions(self.q2).into_iter().map(|i| i + k1));
        d
    }

    /// Flips columns of each Lambda so that its diagonal is non-negative (same covariance).
    fn normalise(&self, theta: &mut [f64]) {
        let k1 = n_theta(self.q1);
        for (off, q) in [(0, self.q1), (k1, self.q2)] {
            let mut k = off;
            for j in 0..q {
                let len = q - j;
                if theta[k] < 0.0 {
                    for v in &mut theta[k..k + len] {
                        *v = -*v;
                    }
                }
                k += len;
            }
        }
    }

    /// Fits the model by REML.
    ///
    /// # Errors
    /// [`StatsError::Optimizer`] when the criterion cannot be evaluated at the start or the
    /// optimiser ends at a non-finite value.
    pub fn fit(&self, opts: &LmmOptions) -> Result<LmmFit> {
        let k = self.n_theta();
        let theta0 = match &opts.start {
            Some(t) if t.len() == k && t.iter().all(|v| v.is_finite()) => {
                // A diagonal at exactly 0 would start on the boundary, where the interior
                // search cannot move it: start it just inside.
                let mut t = self.to_internal(t);
                for i in self.diagonals() {
                    t[i] = t[i].abs().max(1e-2);
                }
                t
            }
            _ => {
                let mut t = vec![0.0; k];
                for i in self.diagonals() {
                    t[i] = 1.0;
                }
                t
            }
        };
        let mut evaluations = 0usize;
        let mut objective = |t: &[f64]| {
            self.evaluate(t)
                .map_or(f64::INFINITY, |e| self.criterion(&e))
        };
        let free = vec![true; k];
        let tol = 1e-11;
        let r = optim::bfgs(&mut objective, &theta0, &free, opts.max_iter, tol);
        evaluations += r.evaluations;
        if !r.f.is_finite() {
            return Err(StatsError::Optimizer(
                "the REML criterion is not finite".into(),
            ));
        }
        let mut theta = r.x;
        let mut dev = r.f;
        let mut converged = r.converged;
        let mut iterations = r.iterations;
        self.normalise(&mut theta);
        // Boundary: try fixing small diagonal elements of Lambda at 0 (all together, then each
        // alone) and re-optimising the others; keep a boundary fit whose REML criterion is
        // within 1e-7 of the interior one (the two are then the same optimum to the precision
        // of the optimisers: lme4 reports the boundary point).
        let small: Vec<usize> = self
            .diagonals()
            .into_iter()
            .filter(|&i| theta[i] < 1e-2)
            .collect();
        let mut subsets: Vec<Vec<usize>> = vec![small.clone()];
        if small.len() > 1 {
            subsets.extend(small.iter().map(|&i| vec![i]));
        }
        for subset in subsets.into_iter().filter(|s| !s.is_empty()) {
            let mut t0 = theta.clone();
            let mut free = vec![true; k];
            for &i in &subset {
                t0[i] = 0.0;
                free[i] = false;
            }
            let r2 = optim::bfgs(&mut objective, &t0, &free, opts.max_iter, tol);
            evaluations += r2.evaluations;
            iterations += r2.iterations;
            if r2.f.is_finite() && r2.f <= dev + 1e-7 {
                theta = r2.x;
                dev = dev.min(r2.f);
                converged = r2.converged;
                self.normalise(&mut theta);
                break;
            }
        }
        let singular = self.diagonals().into_iter().any(|i| theta[i] < 1e-4);
        let e = self.evaluate(&theta).ok_or_else(|| {
            StatsError::Optimizer("the REML criterion is not finite at the optimum".into())
        })?;
        let p = self.p;
        let df_resid = (self.n - p) as f64;
        let sigma = (e.r2 / df_resid).sqrt();
        let cinv = linalg::cholesky_inverse(&e.lx, p);
        let vcov: Vec<f64> = cinv.iter().map(|v| v * sigma * sigma).collect();
        let satt = if opts.satterthwaite {
            let (s, ev) = self.satterthwaite(&theta, sigma, &e, &cinv);
            evaluations += ev;
            s
        } else {
            None
        };
        let mut fit = LmmFit {
            names: self.names.clone(),
            coefficients: e.beta.clone(),
            vcov,
            coefs: Vec::new(),
            sigma,
            theta: self.to_user(&theta),
            var_comps: self.var_comps(&theta, sigma),
            reml_criterion: dev,
            singular,
            n_obs: self.n,
            converged,
            iterations,
            evaluations,
            satt,
            level: opts.level,
        };
        fit.coefs = (0..p)
            .map(|j| {
                let mut l = vec![0.0; p];
                l[j] = 1.0;
                let se = fit.vcov[j * p + j].max(0.0).sqrt();
                let df = fit.satterthwaite_df(&l);
                Coef::new(
                    self.names[j].clone(),
                    fit.coefficients[j],
                    se,
                    df,
                    opts.level,
                )
            })
            .collect();
        Ok(fit)
    }

    fn var_comps(&self, theta: &[f64], sigma: f64) -> Vec<VarComp> {
        let k1 = n_theta(self.q1);
        let internal = [(&theta[..k1], self.q1), (&theta[k1..], self.q2)];
        let mut out = Vec::new();
        for (idx, (name, names, n_levels)) in self.terms.iter().enumerate() {
            let (th, q) = internal[if self.swapped { 1 - idx } else { idx }];
            let mut l = vec![0.0; q * q];
            lambda(th, q, &mut l);
            let mut cov = vec![0.0; q * q];
            for i in 0..q {
                for j in 0..q {
                    cov[i * q + j] =
                        sigma * sigma * (0..q).map(|k| l[i * q + k] * l[j * q + k]).sum::<f64>();
                }
            }
            let sd: Vec<f64> = (0..q).map(|i| cov[i * q + i].max(0.0).sqrt()).collect();
            let corr = (0..q * q)
                .map(|ij| cov[ij] / (sd[ij / q] * sd[ij % q]))
                .map(|c| if c.is_finite() { c } else { f64::NAN })
                .collect();
            out.push(VarComp {
                group_name: name.clone(),
                names: names.clone(),
                n_levels: *n_levels,
                cov,
                sd,
                corr,
            });
        }
        out
    }

    /// Hessian of the REML deviance in (theta, sigma) and Jacobian of Cov(b), by central
    /// differences in theta (the sigma derivatives are analytic), as lmerTest's
    /// `as_lmerModLT` computes them with numDeriv. Returns the Satterthwaite information and
    /// the number of evaluations.
    fn satterthwaite(
        &self,
        theta: &[f64],
        sigma: f64,
        e0: &Eval,
        cinv0: &[f64],
    ) -> (Option<Satterthwaite>, usize) {
        let k = theta.len();
        let p = self.p;
        let s2 = sigma * sigma;
        let f0 = e0.ldl + e0.ldrx;
        let g0 = e0.r2;
        // Steps of 1e-3 relative (floor 5e-5): smaller steps let the rounding error of the
        // criterion dominate, larger ones the truncation error (both ~1e-5 relative here).
        let h: Vec<f64> = theta.iter().map(|t| 1e-3 * t.abs().max(0.05)).collect();
        let mut evals = 0;
        let mut at = |d: &[(usize, f64)]| -> Option<Eval> {
            let mut t = theta.to_vec();
            for &(i, s) in d {
                t[i] += s;
            }
            evals += 1;
            self.evaluate(&t)
        };
        let mut fp = vec![0.0; k];
        let mut fm = vec![0.0; k];
        let mut gp = vec![0.0; k];
        let mut gm = vec![0.0; k];
        let mut jac = Vec::with_capacity(k + 1);
        for i in 0..k {
            let (Some(ep), Some(em)) = (at(&[(i, h[i])]), at(&[(i, -h[i])])) else {
                return (None, evals);
            };
            fp[i] = ep.ldl + ep.ldrx;
            fm[i] = em.ldl + em.ldrx;
            gp[i] = ep.r2;
            gm[i] = em.r2;
            let cp = linalg::cholesky_inverse(&ep.lx, p);
            let cm = linalg::cholesky_inverse(&em.lx, p);
            jac.push(
                cp.iter()
                    .zip(&cm)
                    .map(|(a, b)| s2 * (a - b) / (2.0 * h[i]))
                    .collect::<Vec<f64>>(),
            );
        }
        jac.push(cinv0.iter().map(|v| 2.0 * sigma * v).collect());
        let kk = k + 1;
        let mut hess = vec![0.0; kk * kk];
        for i in 0..k {
            let fii = (fp[i] - 2.0 * f0 + fm[i]) / (h[i] * h[i]);
            let gii = (gp[i] - 2.0 * g0 + gm[i]) / (h[i] * h[i]);
            hess[i * kk + i] = fii + gii / s2;
            let gi = (gp[i] - gm[i]) / (2.0 * h[i]);
            hess[i * kk + k] = -2.0 * gi / (s2 * sigma);
            hess[k * kk + i] = hess[i * kk + k];
            for j in 0..i {
                let mut fg = [0.0; 4];
                let mut gg = [0.0; 4];
                for (m, (si, sj)) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]
                    .into_iter()
                    .enumerate()
                {
                    let Some(ev) = at(&[(i, si * h[i]), (j, sj * h[j])]) else {
                        return (None, evals);
                    };
                    fg[m] = ev.ldl + ev.ldrx;
                    gg[m] = ev.r2;
                }
                let d = 4.0 * h[i] * h[j];
                let fij = (fg[0] - fg[1] - fg[2] + fg[3]) / d;
                let gij = (gg[0] - gg[1] - gg[2] + gg[3]) / d;
                hess[i * kk + j] = fij + gij / s2;
                hess[j * kk + i] = hess[i * kk + j];
            }
        }
        let df = (self.n - p) as f64;
        hess[k * kk + k] = 6.0 * g0 / (s2 * s2) - 2.0 * df / s2;
        let vcov_varpar: Vec<f64> = linalg::pseudo_inverse_sym(&hess, kk, 1e-8)
            .into_iter()
            .map(|v| 2.0 * v)
            .collect();
        (Some(Satterthwaite { vcov_varpar, jac }), evals)
    }
}

/// The first level of `a` found in more than one level of `b` (None: `a` is nested in `b`).
fn nesting_violation(a: &RandomTerm, b: &RandomTerm) -> Option<usize> {
    let mut map: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (ga, gb) in a.group.iter().zip(&b.group) {
        if let (Some(la), Some(lb)) = (ga, gb) {
            match map.get(la) {
                Some(prev) if prev != lb => return Some(*la),
                Some(_) => {}
                None => {
                    map.insert(*la, *lb);
                }
            }
        }
    }
    None
}

/// Fits y ~ X + terms by REML with default options (see [`Lmm`]).
///
/// # Errors
/// As [`Lmm::new`] and [`Lmm::fit`].
pub fn fit_lmm(y: &[f64], x: &Design, terms: &[RandomTerm]) -> Result<LmmFit> {
    Lmm::new(y, x, terms)?.fit(&LmmOptions::default())
}

/// Random-intercept model y ~ X + (1 | group), e.g. `end ~ intake + arm + (1 | therapist)`.
/// [`LmmFit::icc`] gives the intraclass correlation.
///
/// # Errors
/// As [`fit_lmm`].
pub fn random_intercept(
    y: &[f64],
    x: &Design,
    group_name: &str,
    group: &[usize],
) -> Result<LmmFit> {
    fit_lmm(y, x, &[RandomTerm::intercept(group_name, group)])
}
