//! Design matrices and factors: the fixed-effects columns of a model, built by hand or from
//! categorical variables with treatment (dummy) coding as R's `model.matrix` does.

use std::collections::BTreeMap;

use super::{Result, StatsError, check_finite};

/// A design matrix stored by columns, each with a name (R's coefficient names, e.g.
/// `(Intercept)`, `intake`, `armcbt`, `time:armtreatment`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Design {
    pub names: Vec<String>,
    pub columns: Vec<Vec<f64>>,
}

impl Design {
    /// A design holding only the intercept column `(Intercept)` of `n` ones.
    pub fn intercept(n: usize) -> Design {
        Design::default().with("(Intercept)", vec![1.0; n])
    }

    /// Adds a column (builder style).
    pub fn with(mut self, name: impl Into<String>, values: Vec<f64>) -> Design {
        self.push(name, values);
        self
    }

    /// Adds a column.
    fn push(&mut self, name: impl Into<String>, values: Vec<f64>) {
        self.names.push(name.into());
        self.columns.push(values);
    }

    /// Adds the treatment-coded dummies of a factor (one column per non-reference level,
    /// named `prefix` + level).
    pub fn with_dummies(mut self, prefix: &str, factor: &Factor) -> Design {
        for (name, col) in factor.dummies(prefix) {
            self.push(name, col);
        }
        self
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.columns.len()
    }

    /// Checks that every column has `n` finite values and that names and columns agree.
    ///
    /// # Errors
    /// [`StatsError::Dimension`] or [`StatsError::NonFinite`].
    pub fn check(&self, n: usize, what: &str) -> Result<()> {
        if self.names.len() != self.columns.len() {
            return Err(StatsError::Dimension(format!(
                "{what}: {} names for {} columns",
                self.names.len(),
                self.columns.len()
            )));
        }
        if self.columns.is_empty() {
            return Err(StatsError::Dimension(format!("{what}: no columns")));
        }
        for (name, col) in self.names.iter().zip(&self.columns) {
            if col.len() != n {
                return Err(StatsError::Dimension(format!(
                    "{what}: column `{name}` has {} rows, expected {n}",
                    col.len()
                )));
            }
            check_finite(&format!("{what} column `{name}`"), col)?;
        }
        Ok(())
    }

    /// Whether some column is identically one (the model has an intercept).
    pub fn has_intercept(&self) -> bool {
        self.columns
            .iter()
            .any(|c| !c.is_empty() && c.iter().all(|&v| v == 1.0))
    }
}

/// A categorical variable: the level of each observation (an index into `levels`).
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    pub codes: Vec<usize>,
    pub levels: Vec<String>,
}

impl Factor {
    /// A factor whose levels are the distinct labels sorted as strings (R's `factor()` default).
    pub fn new<S: AsRef<str>>(labels: &[S]) -> Factor {
        let mut set: BTreeMap<&str, usize> = labels.iter().map(|l| (l.as_ref(), 0)).collect();
        for (i, v) in set.values_mut().enumerate() {
            *v = i;
        }
        let codes = labels.iter().map(|l| set[l.as_ref()]).collect();
        Factor {
            codes,
            levels: set.keys().map(|k| k.to_string()).collect(),
        }
    }

    /// A factor with the given levels in the given order; the first is the reference level of
    /// [`Factor::dummies`].
    ///
    /// # Errors
    /// [`StatsError::Dimension`] when a label is not among `levels`.
    pub fn with_levels<S: AsRef<str>>(labels: &[S], levels: &[&str]) -> Result<Factor> {
        let codes = labels
            .iter()
            .map(|l| {
                levels.iter().position(|x| *x == l.as_ref()).ok_or_else(|| {
                    StatsError::Dimension(format!("label `{}` is not a level", l.as_ref()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Factor {
            codes,
            levels: levels.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Codes of an optional label per observation (e.g. the therapist of a patient, `None` on a
    /// waitlist): levels sorted as strings.
    pub fn optional<S: AsRef<str>>(labels: &[Option<S>]) -> (Vec<Option<usize>>, Vec<String>) {
        let present: Vec<&str> = labels.iter().flatten().map(AsRef::as_ref).collect();
        let f = Factor::new(&present);
        let mut it = f.codes.into_iter();
        let codes = labels
            .iter()
            .map(|l| l.as_ref().map(|_| it.next().unwrap_or(0)))
            .collect();
        (codes, f.levels)
    }

    /// Number of levels.
    pub fn n_levels(&self) -> usize {
        self.levels.len()
    }

    /// Treatment (dummy) coding against the first level: one 0/1 column per other level, named
    /// `prefix` followed by the level (R: `armcbt` for level `cbt` of `arm`).
    pub fn dummies(&self, prefix: &str) -> Vec<(String, Vec<f64>)> {
        (1..self.levels.len())
            .map(|k| {
                (
                    format!("{prefix}{}", self.levels[k]),
                    self.codes
                        .iter()
                        .map(|&c| if c == k { 1.0 } else { 0.0 })
                        .collect(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_coding_follows_r() {
        let f = Factor::new(&["b", "a", "c", "a"]);
        assert_eq!(f.levels, ["a", "b", "c"]);
        assert_eq!(f.codes, [1, 0, 2, 0]);
        let d = f.dummies("arm");
        assert_eq!(d[0].0, "armb");
        assert_eq!(d[1].1, [0.0, 0.0, 1.0, 0.0]);
        let (codes, levels) = Factor::optional(&[Some("t2"), None, Some("t1")]);
        assert_eq!(codes, [Some(1), None, Some(0)]);
        assert_eq!(levels, ["t1", "t2"]);
        assert!(Factor::with_levels(&["x"], &["a"]).is_err());
    }
}
