//! Trait distributions: how a trait varies between therapists of a pool or patients of a
//! population. Every distribution is truncated to the trait's valid range, so a drawn trait is
//! always meaningful (a normal warmth never leaves [-1, 1]).
//!
//! In a scenario file a distribution is a number (fixed) or an inline table:
//! `{ type = "normal", mean = 0.3, sd = 0.2 }` (optional `min`, `max`),
//! `{ type = "uniform", min = 0, max = 1 }`, `{ type = "beta", alpha = 2, beta = 5 }` (optional
//! `min`, `max` to rescale from [0, 1]), `{ type = "lognormal", meanlog = 0, sdlog = 0.5 }`,
//! `{ type = "mixture", components = [ { weight = 0.7, type = "normal", ... }, ... ] }`.

use serde::Serialize;

use crate::config::reader::{
    Node, Seg, Table, Value, fmt_num, number, parse_override_value, range_text,
};
use crate::error::Location;
use crate::math::inverse_normal_cdf;
use crate::random::Uniforms;
use crate::stats::dist::norm_cdf as normal_cdf;

/// A distribution of a trait, truncated to `[lo, hi]`, the trait's valid range.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Dist {
    /// Always the same value.
    Fixed { value: f64 },
    /// A normal truncated to `[min, max]`.
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// A uniform on `[min, max]`.
    Uniform { min: f64, max: f64 },
    /// A beta on `[0, 1]` rescaled to `[min, max]`.
    Beta {
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
    },
    /// exp(N(meanlog, sdlog)) truncated to `[min, max]`.
    Lognormal {
        meanlog: f64,
        sdlog: f64,
        min: f64,
        max: f64,
    },
    /// A weighted mixture of the above.
    Mixture { components: Vec<(f64, Dist)> },
}

impl Dist {
    /// A normal truncated to a range.
    pub fn normal(mean: f64, sd: f64, lo: f64, hi: f64) -> Dist {
        Dist::Normal {
            mean,
            sd,
            min: lo,
            max: hi,
        }
    }

    /// Draws one value from a trait's uniforms (prepares the sampler each time: for many
    /// draws, keep a [`Sampler`]).
    pub fn sample(&self, u: &mut Uniforms<'_>) -> f64 {
        self.sampler().sample(u)
    }

    /// The distribution prepared for drawing: the normal CDF at the truncation bounds is
    /// computed once here, not at every draw.
    pub fn sampler(&self) -> Sampler {
        let bounds = |mean: f64, sd: f64, lo: f64, hi: f64| {
            let a = if lo.is_finite() {
                normal_cdf((lo - mean) / sd)
            } else {
                0.0
            };
            let b = if hi.is_finite() {
                normal_cdf((hi - mean) / sd)
            } else {
                1.0
            };
            (a, b)
        };
        match self {
            Dist::Fixed { value } => Sampler::Fixed(*value),
            Dist::Normal { mean, sd, min, max } => {
                if *sd == 0.0 {
                    return Sampler::Fixed(mean.clamp(*min, *max));
                }
                let (p_lo, p_hi) = bounds(*mean, *sd, *min, *max);
                Sampler::Normal {
                    mean: *mean,
                    sd: *sd,
                    min: *min,
                    max: *max,
                    p_lo,
                    p_hi,
                    log: false,
                }
            }
            Dist::Uniform { min, max } => Sampler::Uniform {
                min: *min,
                max: *max,
            },
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
            } => Sampler::Beta {
                alpha: *alpha,
                beta: *beta,
                min: *min,
                max: *max,
            },
            Dist::Lognormal {
                meanlog,
                sdlog,
                min,
                max,
            } => {
                if *sdlog == 0.0 {
                    return Sampler::Fixed(meanlog.exp().clamp(*min, *max));
                }
                let lo = if *min > 0.0 {
                    min.ln()
                } else {
                    f64::NEG_INFINITY
                };
                let hi = max.ln();
                let (p_lo, p_hi) = bounds(*meanlog, *sdlog, lo, hi);
                Sampler::Normal {
                    mean: *meanlog,
                    sd: *sdlog,
                    min: lo,
                    max: hi,
                    p_lo,
                    p_hi,
                    log: true,
                }
            }
            Dist::Mixture { components } => Sampler::Mixture {
                total: components.iter().map(|(w, _)| w).sum(),
                components: components.iter().map(|(w, d)| (*w, d.sampler())).collect(),
            },
        }
    }

    /// The distribution's mean (of the truncated distribution for normal; approximate for
    /// lognormal and mixtures of those). Used for documentation and summaries only.
    pub fn nominal_mean(&self) -> f64 {
        match self {
            Dist::Fixed { value } => *value,
            Dist::Normal { mean, .. } => *mean,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
            } => min + (max - min) * alpha / (alpha + beta),
            Dist::Lognormal { meanlog, sdlog, .. } => (meanlog + 0.5 * sdlog * sdlog).exp(),
            Dist::Mixture { components } => {
                let total: f64 = components.iter().map(|(w, _)| w).sum();
                components
                    .iter()
                    .map(|(w, d)| w * d.nominal_mean())
                    .sum::<f64>()
                    / total
            }
        }
    }

    /// The TOML form of the distribution.
    pub fn to_toml(&self) -> toml_edit::Value {
        let mut t = toml_edit::InlineTable::new();
        match self {
            Dist::Fixed { value } => return toml_edit::Value::from(*value),
            Dist::Normal { mean, sd, min, max } => {
                t.insert("type", "normal".into());
                t.insert("mean", (*mean).into());
                t.insert("sd", (*sd).into());
                if min.is_finite() {
                    t.insert("min", (*min).into());
                }
                if max.is_finite() {
                    t.insert("max", (*max).into());
                }
            }
            Dist::Uniform { min, max } => {
                t.insert("type", "uniform".into());
                t.insert("min", (*min).into());
                t.insert("max", (*max).into());
            }
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
            } => {
                t.insert("type", "beta".into());
                t.insert("alpha", (*alpha).into());
                t.insert("beta", (*beta).into());
                if *min != 0.0 || *max != 1.0 {
                    t.insert("min", (*min).into());
                    t.insert("max", (*max).into());
                }
            }
            Dist::Lognormal {
                meanlog,
                sdlog,
                min,
                max,
            } => {
                t.insert("type", "lognormal".into());
                t.insert("meanlog", (*meanlog).into());
                t.insert("sdlog", (*sdlog).into());
                // Bounds are part of the distribution: a resolved scenario must run again as it
                // ran (0, a lognormal's own lower bound, is left out).
                if *min > 0.0 {
                    t.insert("min", (*min).into());
                }
                if max.is_finite() {
                    t.insert("max", (*max).into());
                }
            }
            Dist::Mixture { components } => {
                t.insert("type", "mixture".into());
                let mut arr = toml_edit::Array::new();
                for (w, d) in components {
                    let mut c = match d.to_toml() {
                        toml_edit::Value::InlineTable(c) => c,
                        v => {
                            let mut c = toml_edit::InlineTable::new();
                            c.insert("type", "fixed".into());
                            c.insert("value", v);
                            c
                        }
                    };
                    let mut ordered = toml_edit::InlineTable::new();
                    ordered.insert("weight", (*w).into());
                    for (k, v) in c.iter_mut() {
                        ordered.insert(k.get(), v.clone());
                    }
                    arr.push(ordered);
                }
                t.insert("components", toml_edit::Value::Array(arr));
            }
        }
        toml_edit::Value::InlineTable(t)
    }

    /// Short human form, e.g. `normal(0.3, 0.2)`.
    pub fn describe(&self) -> String {
        match self {
            Dist::Fixed { value } => fmt_num(*value),
            Dist::Normal { mean, sd, .. } => {
                format!("normal({}, {})", fmt_num(*mean), fmt_num(*sd))
            }
            Dist::Uniform { min, max } => format!("uniform({}, {})", fmt_num(*min), fmt_num(*max)),
            Dist::Beta { alpha, beta, .. } => {
                format!("beta({}, {})", fmt_num(*alpha), fmt_num(*beta))
            }
            Dist::Lognormal { meanlog, sdlog, .. } => {
                format!("lognormal({}, {})", fmt_num(*meanlog), fmt_num(*sdlog))
            }
            Dist::Mixture { components } => format!("mixture of {}", components.len()),
        }
    }
}

/// A [`Dist`] prepared for drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    Fixed(f64),
    /// A normal truncated to [min, max] (of the log when `log`), with the CDF at the bounds.
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
        p_lo: f64,
        p_hi: f64,
        log: bool,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
    },
    Mixture {
        total: f64,
        components: Vec<(f64, Sampler)>,
    },
}

impl Sampler {
    /// Draws one value from a trait's uniforms.
    pub fn sample(&self, u: &mut Uniforms<'_>) -> f64 {
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Normal {
                mean,
                sd,
                min,
                max,
                p_lo,
                p_hi,
                log,
            } => {
                let x = if p_hi - p_lo < 1e-12 {
                    // The mass lies far outside the range: the nearest bound.
                    if *mean < *min { *min } else { *max }
                } else {
                    (mean + sd * inverse_normal_cdf(p_lo + u.draw() * (p_hi - p_lo)))
                        .clamp(*min, *max)
                };
                if *log { x.exp() } else { x }
            }
            Sampler::Uniform { min, max } => min + (max - min) * u.draw(),
            Sampler::Beta {
                alpha,
                beta,
                min,
                max,
            } => {
                let x = gamma(*alpha, u);
                let y = gamma(*beta, u);
                let b = if x + y > 0.0 { x / (x + y) } else { 0.5 };
                min + (max - min) * b
            }
            Sampler::Mixture { total, components } => {
                let mut x = u.draw() * total;
                for (w, d) in components {
                    if x < *w {
                        return d.sample(u);
                    }
                    x -= w;
                }
                components.last().expect("validated mixture").1.sample(u)
            }
        }
    }
}

/// A Gamma(shape, 1) draw by Marsaglia & Tsang's method (2000), with the shape < 1 boost
/// `Gamma(a) = Gamma(a + 1) U^(1/a)`; normals by inversion, so a first accepted proposal uses
/// exactly two uniforms.
fn gamma(shape: f64, u: &mut Uniforms<'_>) -> f64 {
    if shape < 1.0 {
        let boost = u.draw().powf(1.0 / shape);
        return gamma(shape + 1.0, u) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = inverse_normal_cdf(u.draw());
        let v = 1.0 + c * z;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        if u.draw().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

impl Table<'_> {
    /// Reads a trait distribution whose support must lie in `[lo, hi]`.
    pub fn dist(&self, key: &'static str, default: Dist, lo: f64, hi: f64, doc: &str) -> Dist {
        self.document(key, default.describe(), range_text(lo, hi), doc);
        let d = match self.get(key) {
            None => default,
            Some(node) => {
                let mut path = self.path().to_vec();
                path.push(Seg::Key(key.to_string()));
                let merged = onto_default(node, &default);
                read_dist(self, &path, merged.as_ref().unwrap_or(node), lo, hi).unwrap_or(default)
            }
        };
        self.resolve(key, d.to_toml(), doc);
        d
    }
}

/// A table without `type` (such as `--set 'therapist_pools[0].fis.sd=2'` on a pool that leaves
/// `fis` at its default) changes the keys it gives of the distribution in force: the default's
/// type and other parameters are kept. `None` when the node is not such a table.
fn onto_default(node: &Node, default: &Dist) -> Option<Node> {
    let Value::Table(given) = &node.value else {
        return None;
    };
    if given.iter().any(|e| e.key == "type") {
        return None;
    }
    let toml_edit::Value::InlineTable(base) = default.to_toml() else {
        return None; // a fixed default has no parameters to keep
    };
    let text = toml_edit::Value::InlineTable(base).to_string();
    let origin = match &node.loc {
        Location::Override(o) => o.clone(),
        other => other.to_string(),
    };
    let Value::Table(mut entries) = parse_override_value(text.trim(), &origin).value else {
        return None;
    };
    entries.retain(|e| !given.iter().any(|g| g.key == e.key));
    entries.extend(given.iter().cloned());
    Some(Node {
        value: Value::Table(entries),
        loc: node.loc.clone(),
    })
}

fn read_dist(t: &Table<'_>, path: &[Seg], node: &Node, lo: f64, hi: f64) -> Option<Dist> {
    let ctx = t.ctx();
    let range = range_text(lo, hi);
    let err = |p: &[Seg], n: &Node, m: String| {
        ctx.error(p, &n.loc, m);
        None
    };
    if let Some(x) = number(&node.value) {
        if x.is_finite() && x >= lo && x <= hi {
            return Some(Dist::Fixed { value: x });
        }
        return err(
            path,
            node,
            format!(
                "{} is out of range: expected a value in {range}",
                crate::config::reader::fmt_value(x)
            ),
        );
    }
    let Value::Table(entries) = &node.value else {
        return err(
            path,
            node,
            format!(
                "expected a number in {range} or a distribution such as {{ type = \"normal\", mean = .., sd = .. }}, found {}",
                node.value.kind()
            ),
        );
    };
    let field = |k: &str| entries.iter().find(|e| e.key == k);
    let sub = |k: &str| {
        let mut p = path.to_vec();
        p.push(Seg::Key(k.to_string()));
        p
    };
    let Some(kind) = field("type") else {
        return err(
            path,
            node,
            "a distribution needs `type`: one of \"fixed\", \"normal\", \"uniform\", \"beta\", \"lognormal\", \"mixture\"".into(),
        );
    };
    let Value::Str(kind_s) = &kind.node.value else {
        return err(&sub("type"), &kind.node, "expected a string".into());
    };
    let allowed: &[&str] = match kind_s.as_str() {
        "fixed" => &["type", "value", "weight"],
        "normal" => &["type", "mean", "sd", "min", "max", "weight"],
        "uniform" => &["type", "min", "max", "weight"],
        "beta" => &["type", "alpha", "beta", "min", "max", "weight"],
        "lognormal" => &["type", "meanlog", "sdlog", "min", "max", "weight"],
        "mixture" => &["type", "components", "weight"],
        other => {
            let hint = crate::config::reader::did_you_mean(
                other,
                ["fixed", "normal", "uniform", "beta", "lognormal", "mixture"].into_iter(),
            )
            .map_or(String::new(), |m| format!(" (did you mean \"{m}\"?)"));
            return err(
                &sub("type"),
                &kind.node,
                format!(
                    "unknown distribution \"{other}\": expected one of \"fixed\", \"normal\", \"uniform\", \"beta\", \"lognormal\", \"mixture\"{hint}"
                ),
            );
        }
    };
    let mut ok = true;
    for e in entries {
        if !allowed.contains(&e.key.as_str()) {
            let hint = crate::config::reader::did_you_mean(&e.key, allowed.iter().copied())
                .map_or(String::new(), |m| format!("; did you mean `{m}`?"));
            ctx.error(
                &sub(&e.key),
                &e.key_loc,
                format!(
                    "unknown key `{}` for a {kind_s} distribution{hint} (known keys: {})",
                    e.key,
                    allowed.join(", ")
                ),
            );
            ok = false;
        }
    }
    // A numeric field: required when `default` is None.
    let num = |k: &str, default: Option<f64>, flo: f64, fhi: f64| -> Option<f64> {
        match field(k) {
            None => {
                if default.is_none() {
                    ctx.error(
                        path,
                        &node.loc,
                        format!("a {kind_s} distribution needs `{k}`"),
                    );
                }
                default
            }
            Some(e) => match number(&e.node.value) {
                Some(x) if x.is_finite() && x >= flo && x <= fhi => Some(x),
                Some(x) => {
                    ctx.error(
                        &sub(k),
                        &e.node.loc,
                        format!(
                            "{} is out of range: expected a number in {}",
                            crate::config::reader::fmt_value(x),
                            range_text(flo, fhi)
                        ),
                    );
                    None
                }
                None => {
                    ctx.error(
                        &sub(k),
                        &e.node.loc,
                        format!("expected a number, found {}", e.node.value.kind()),
                    );
                    None
                }
            },
        }
    };
    let dist = match kind_s.as_str() {
        "fixed" => Dist::Fixed {
            value: num("value", None, lo, hi)?,
        },
        "normal" => {
            let mean = num("mean", None, lo, hi);
            let sd = num("sd", None, 0.0, f64::INFINITY);
            let min = num("min", Some(lo), lo, hi);
            let max = num("max", Some(hi), lo, hi);
            let (mean, sd, min, max) = (mean?, sd?, min?, max?);
            if min >= max {
                return err(
                    path,
                    node,
                    format!(
                        "`min` ({}) must be below `max` ({})",
                        fmt_num(min),
                        fmt_num(max)
                    ),
                );
            }
            Dist::Normal { mean, sd, min, max }
        }
        "uniform" => {
            let min = num("min", None, lo, hi);
            let max = num("max", None, lo, hi);
            let (min, max) = (min?, max?);
            if min > max {
                return err(
                    path,
                    node,
                    format!(
                        "`min` ({}) must not exceed `max` ({})",
                        fmt_num(min),
                        fmt_num(max)
                    ),
                );
            }
            Dist::Uniform { min, max }
        }
        "beta" => {
            let alpha = num("alpha", None, 1e-6, 1e6);
            let beta = num("beta", None, 1e-6, 1e6);
            let dmin = if lo.is_finite() {
                lo.max(0.0).min(hi)
            } else {
                0.0
            };
            let dmax = if hi.is_finite() {
                hi.min(1.0).max(dmin)
            } else {
                1.0
            };
            let min = num("min", Some(dmin), lo, hi);
            let max = num("max", Some(dmax), lo, hi);
            let (alpha, beta, min, max) = (alpha?, beta?, min?, max?);
            if min >= max {
                return err(
                    path,
                    node,
                    format!(
                        "`min` ({}) must be below `max` ({})",
                        fmt_num(min),
                        fmt_num(max)
                    ),
                );
            }
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
            }
        }
        "lognormal" => {
            if hi <= 0.0 {
                return err(
                    path,
                    node,
                    format!("a lognormal distribution is positive, but this value lies in {range}"),
                );
            }
            let meanlog = num("meanlog", None, -50.0, 50.0);
            let sdlog = num("sdlog", None, 0.0, 10.0);
            let min = num("min", Some(lo.max(0.0)), lo.max(0.0), hi);
            let max = num("max", Some(hi), lo.max(0.0), hi);
            Dist::Lognormal {
                meanlog: meanlog?,
                sdlog: sdlog?,
                min: min?,
                max: max?,
            }
        }
        "mixture" => {
            let Some(comps) = field("components") else {
                return err(
                    path,
                    node,
                    "a mixture needs `components`, an array of distributions each with a `weight`"
                        .into(),
                );
            };
            let Value::Array(items) = &comps.node.value else {
                return err(
                    &sub("components"),
                    &comps.node,
                    "expected an array of distributions".into(),
                );
            };
            if items.is_empty() {
                return err(
                    &sub("components"),
                    &comps.node,
                    "a mixture needs at least one component".into(),
                );
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut p = sub("components");
                p.push(Seg::Index(i));
                let weight = match &item.value {
                    Value::Table(es) => match es.iter().find(|e| e.key == "weight") {
                        Some(e) => match number(&e.node.value) {
                            Some(w) if w > 0.0 && w.is_finite() => Some(w),
                            _ => {
                                let mut pw = p.clone();
                                pw.push(Seg::Key("weight".into()));
                                ctx.error(&pw, &e.node.loc, "expected a positive number");
                                None
                            }
                        },
                        None => {
                            ctx.error(
                                &p,
                                &item.loc,
                                "each mixture component needs a positive `weight`",
                            );
                            None
                        }
                    },
                    _ => {
                        ctx.error(
                            &p,
                            &item.loc,
                            format!("expected a distribution table, found {}", item.value.kind()),
                        );
                        None
                    }
                };
                let d = read_dist(t, &p, item, lo, hi);
                if let (Some(w), Some(d)) = (weight, d) {
                    out.push((w, d));
                } else {
                    ok = false;
                }
            }
            Dist::Mixture { components: out }
        }
        _ => unreachable!("checked above"),
    };
    ok.then_some(dist)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{Entity, Purpose, Streams, TraitDraws};

    #[test]
    fn truncated_normal_stays_in_range_with_right_mean() {
        let d = Dist::normal(0.9, 0.3, 0.0, 1.0);
        let n = 20_000;
        let streams = Streams::new(1);
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                let mut t =
                    TraitDraws::new(streams.stream(0, Entity::Patient, i, Purpose::Traits, 0));
                d.sample(&mut t.source(0))
            })
            .collect();
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        // Mean of N(0.9, 0.3) truncated to [0, 1]: 0.9 + 0.3 (phi(-3) - phi(1/3)) / (Phi(1/3) - Phi(-3)).
        let phi = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let expect =
            0.9 + 0.3 * (phi(-3.0) - phi(1.0 / 3.0)) / (normal_cdf(1.0 / 3.0) - normal_cdf(-3.0));
        let mean = crate::stats::mean(&xs);
        // SD of the truncated variable is below 0.3, so 4 Monte Carlo SEs is under 0.0085.
        assert!(
            (mean - expect).abs() < 4.0 * 0.3 / (n as f64).sqrt(),
            "{mean} vs {expect}"
        );
    }

    /// Beta draws through Marsaglia-Tsang gammas have the beta's mean and variance, for shapes
    /// below and above 1.
    #[test]
    fn beta_has_its_mean_and_variance() {
        let streams = Streams::new(2);
        for (a, b) in [(2.0, 5.0), (0.5, 0.5), (7.0, 3.0)] {
            let d = Dist::Beta {
                alpha: a,
                beta: b,
                min: 0.0,
                max: 1.0,
            };
            let n = 40_000u64;
            let xs: Vec<f64> = (0..n)
                .map(|i| {
                    d.sample(
                        &mut TraitDraws::new(streams.stream(
                            0,
                            Entity::Patient,
                            i,
                            Purpose::Traits,
                            0,
                        ))
                        .source(3),
                    )
                })
                .collect();
            let (mean, var) = (crate::stats::mean(&xs), crate::stats::var(&xs));
            let (em, ev) = (a / (a + b), a * b / ((a + b).powi(2) * (a + b + 1.0)));
            // 5 Monte Carlo SEs for the mean; the variance within 5% (its SE is about 1%).
            assert!(
                (mean - em).abs() < 5.0 * (ev / n as f64).sqrt(),
                "beta({a},{b}) mean {mean} vs {em}"
            );
            assert!(
                (var / ev - 1.0).abs() < 0.05,
                "beta({a},{b}) var {var} vs {ev}"
            );
        }
    }
}
