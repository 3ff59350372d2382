#!/usr/bin/env Rscript
# Reference fixtures of the statistics module (src/stats/), written to tests/fixtures/stats/.
#
# 1. Generates every data set deterministically (one set.seed per data set, R >= 3.6 sampling)
#    and writes it as CSV, values rounded to 3 decimals so that R and Rust read the same doubles.
# 2. Reads each CSV back and fits the reference models with lm, sandwich, AER::ivreg, lme4 and
#    lmerTest, and writes the expected values as JSON beside the data (*.expected.json).
#
# Run from the crate root:  Rscript scripts/r/make_fixtures.R
# Needs: scripts/r/install_r.sh. The Rust tests (tests/stats_*.rs) only read the committed files.
# The formulations are documented in docs/statistics.md.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(AER)
  library(sandwich)
  library(jsonlite)
})
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
out <- "tests/fixtures/stats"
dir.create(out, recursive = TRUE, showWarnings = FALSE)

versions <- list(
  R = R.version.string,
  lme4 = format(packageVersion("lme4")),
  lmerTest = format(packageVersion("lmerTest")),
  AER = format(packageVersion("AER")),
  sandwich = format(packageVersion("sandwich")),
  numDeriv = format(packageVersion("numDeriv"))
)

write_data <- function(df, name) {
  path <- file.path(out, paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE, na = "", quote = FALSE)
  read.csv(path, na.strings = "", stringsAsFactors = FALSE)
}
write_expected <- function(x, name) {
  x$versions <- versions
  write_json(x, file.path(out, paste0(name, ".expected.json")),
             digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
}

# ---------------------------------------------------------------------------------------------
# Data generators
# ---------------------------------------------------------------------------------------------

# Two correlated normal effects with SDs sd and correlation r.
mvn2 <- function(sd, r) {
  s <- matrix(c(sd[1]^2, r * sd[1] * sd[2], r * sd[1] * sd[2], sd[2]^2), 2)
  if (all(sd == 0)) return(c(0, 0))
  drop(rnorm(2) %*% chol(s))
}

# Longitudinal trial: patients nested in therapists; `design` is "nested" (therapists nested in
# arms), "crossed" (each therapist sees patients of both arms) or "partial" (treatment arm with
# therapists, a waitlist arm without). time = weeks 0..(n_sessions-1). With dropout, 35% of
# patients leave after a uniformly drawn session and 8% of the remaining sessions are missed.
gen_long <- function(seed, design, caseloads, n_waitlist = 0, n_sessions = 12,
                     ther_sd = c(1.5, 0.15), ther_cor = 0.2, pat_sd = c(4, 0.35),
                     pat_cor = -0.3, sigma = 2.5, dropout = TRUE) {
  set.seed(seed)
  n_ther <- length(caseloads)
  pats <- list()
  pid <- 0
  for (t in seq_len(n_ther)) {
    u <- mvn2(ther_sd, ther_cor)
    for (k in seq_len(caseloads[t])) {
      pid <- pid + 1
      arm <- switch(design,
        nested = if (t <= n_ther / 2) "control" else "treatment",
        crossed = sample(c("control", "treatment"), 1),
        partial = "treatment")
      pats[[pid]] <- data.frame(patient = sprintf("P%03d", pid), therapist = sprintf("T%02d", t),
                                arm = arm, u0 = u[1], u1 = u[2])
    }
  }
  for (k in seq_len(n_waitlist)) {
    pid <- pid + 1
    pats[[pid]] <- data.frame(patient = sprintf("P%03d", pid), therapist = NA_character_,
                              arm = "waitlist", u0 = 0, u1 = 0)
  }
  pats <- do.call(rbind, pats)
  rows <- vector("list", nrow(pats))
  for (i in seq_len(nrow(pats))) {
    v <- mvn2(pat_sd, pat_cor)
    last <- n_sessions - 1
    if (dropout && runif(1) < 0.35) last <- sample(1:(n_sessions - 2), 1)
    time <- 0:last
    if (dropout) time <- time[time == 0 | runif(length(time)) > 0.08]
    treat <- as.integer(pats$arm[i] == "treatment")
    slope <- -0.30 - 0.25 * treat + v[2] + pats$u1[i]
    score <- 18 + v[1] + pats$u0[i] + slope * time + rnorm(length(time), 0, sigma)
    rows[[i]] <- data.frame(patient = pats$patient[i], therapist = pats$therapist[i],
                            arm = pats$arm[i], treat = treat, time = time,
                            score = round(score, 3))
  }
  do.call(rbind, rows)
}

# One row per patient: intake and end scores, therapists nested in two arms, caseloads 2..14.
gen_ri <- function(seed, n_ther = 30, tau = 1.5, sigma = 4) {
  set.seed(seed)
  caseloads <- sample(2:14, n_ther, replace = TRUE)
  u <- rnorm(n_ther, 0, tau)
  th <- rep(seq_len(n_ther), caseloads)
  n <- length(th)
  arm <- ifelse(th <= n_ther / 2, "control", "treatment")
  intake <- round(rnorm(n, 16, 5), 3)
  end <- 5 + 0.6 * intake - 2.5 * (arm == "treatment") + u[th] + rnorm(n, 0, sigma)
  data.frame(patient = sprintf("P%03d", seq_len(n)), therapist = sprintf("T%02d", th), arm = arm,
             intake = intake, end = round(end, 3))
}

# ---------------------------------------------------------------------------------------------
# Model summaries
# ---------------------------------------------------------------------------------------------

# Tight optimiser settings: the reference optimum must be far more precise than the tolerances
# of the tests. Both BOBYQA implementations are run and the lower REML criterion is kept.
ctrl_nlopt <- lmerControl(optimizer = "nloptwrap", calc.derivs = FALSE,
                          optCtrl = list(algorithm = "NLOPT_LN_BOBYQA", xtol_abs = 1e-12,
                                         ftol_abs = 1e-14, xtol_rel = 1e-12, ftol_rel = 1e-15,
                                         maxeval = 1e5))
ctrl_minqa <- lmerControl(optimizer = "bobyqa", calc.derivs = FALSE,
                          optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

fit_lmer <- function(formula, data) {
  a <- lmerTest::lmer(formula, data = data, REML = TRUE, control = ctrl_nlopt)
  b <- lmerTest::lmer(formula, data = data, REML = TRUE, control = ctrl_minqa)
  da <- REMLcrit(a); db <- REMLcrit(b)
  cat(sprintf("  REML criterion nloptwrap %.10f  minqa %.10f  diff %.2e\n", da, db, da - db))
  if (db < da) b else a
}

lmm_expected <- function(m, data_file, formula_text) {
  s <- summary(m, ddf = "Satterthwaite")
  co <- s$coefficients
  p <- nrow(co)
  ci <- t(vapply(seq_len(p), function(j) {
    L <- numeric(p); L[j] <- 1
    r <- contest(m, L, joint = FALSE, confint = TRUE, level = 0.95)
    c(r$lower, r$upper)
  }, numeric(2)))
  vc <- as.data.frame(VarCorr(m))
  vc$var1[is.na(vc$var1)] <- ""
  vc$var2[is.na(vc$var2)] <- ""
  list(
    data = data_file,
    formula = formula_text,
    n_obs = nobs(m),
    ngrps = as.list(ngrps(m)),
    fixef = list(names = rownames(co), estimate = unname(co[, 1]), se = unname(co[, 2]),
                 df = unname(co[, 3]), t = unname(co[, 4]), p = unname(co[, 5]),
                 ci_lower = ci[, 1], ci_upper = ci[, 2]),
    varcorr = list(grp = vc$grp, var1 = vc$var1, var2 = vc$var2, vcov = vc$vcov, sdcor = vc$sdcor),
    theta = unname(getME(m, "theta")),
    sigma = sigma(m),
    reml_criterion = unname(REMLcrit(m)),
    singular = isSingular(m)
  )
}

coef_table <- function(est, V, df) {
  se <- sqrt(diag(V))
  tval <- est / se
  q <- qt(0.975, df)
  list(estimate = unname(est), se = unname(se), t = unname(tval),
       p = unname(2 * pt(abs(tval), df, lower.tail = FALSE)),
       ci_lower = unname(est - q * se), ci_upper = unname(est + q * se))
}

# ---------------------------------------------------------------------------------------------
# 1. OLS / ANCOVA with classical and HC standard errors; correlation; effect sizes; RCI
# ---------------------------------------------------------------------------------------------
cat("ols\n")
set.seed(101)
n <- 150
arm <- rep(c("control", "cbt", "ipt"), length.out = n)
intake <- round(rnorm(n, 16, 5), 3)
e <- rnorm(n, 0, 1) * (1.5 + 0.25 * abs(intake - 16))   # heteroscedastic
end <- round(10 + 0.5 * intake - 3 * (arm == "cbt") - 2 * (arm == "ipt") + e, 3)
ols <- write_data(data.frame(patient = sprintf("P%03d", seq_len(n)), arm = arm, intake = intake,
                             end = end), "ols")
ols$arm <- factor(ols$arm, levels = c("control", "cbt", "ipt"))
m <- lm(end ~ intake + arm, data = ols)
dfr <- df.residual(m)
hc <- lapply(c(HC0 = "HC0", HC1 = "HC1", HC2 = "HC2", HC3 = "HC3"),
             function(ty) coef_table(coef(m), vcovHC(m, type = ty), dfr))
ct <- cor.test(ols$intake, ols$end)
g1 <- ols$end[ols$arm == "cbt"]; g0 <- ols$end[ols$arm == "control"]
n1 <- length(g1); n0 <- length(g0)
sp <- sqrt(((n1 - 1) * var(g1) + (n0 - 1) * var(g0)) / (n1 + n0 - 2))
d <- (mean(g1) - mean(g0)) / sp
dfd <- n1 + n0 - 2
J <- exp(lgamma(dfd / 2) - log(sqrt(dfd / 2)) - lgamma((dfd - 1) / 2))
# Jacobson-Truax on the PHQ-9 preset of src/instrument.rs (sd 5.5, r_xx .84, cut-off 10, RC 6).
sem <- 5.5 * sqrt(1 - 0.84)
rci <- (ols$end - ols$intake) / (sqrt(2) * sem)
chg <- ols$end - ols$intake
cls <- ifelse(chg <= -6, ifelse(ols$intake >= 10 & ols$end < 10, "recovered", "improved"),
              ifelse(chg >= 6, "deteriorated", "unchanged"))
write_expected(list(
  data = "ols.csv",
  formula = "end ~ intake + arm (arm: control, cbt, ipt; treatment dummies vs control)",
  names = names(coef(m)), n = nobs(m), df_residual = dfr,
  classical = coef_table(coef(m), vcov(m), dfr),
  sigma = summary(m)$sigma, r_squared = summary(m)$r.squared,
  adj_r_squared = summary(m)$adj.r.squared,
  hc = hc,
  correlation = list(x = "intake", y = "end", r = unname(ct$estimate), t = unname(ct$statistic),
                     df = unname(ct$parameter), p = ct$p.value,
                     ci_lower = ct$conf.int[1], ci_upper = ct$conf.int[2]),
  effect_size = list(group1 = "cbt", group0 = "control", outcome = "end", n1 = n1, n0 = n0,
                     mean_diff = mean(g1) - mean(g0), pooled_sd = sp, cohens_d = d,
                     hedges_j = J, hedges_g = d * J),
  reliable_change = list(sd = 5.5, reliability = 0.84, cutoff = 10, rc_threshold = 6,
                         rci = rci,
                         counts = as.list(table(factor(cls, levels = c("recovered", "improved",
                                                                      "unchanged",
                                                                      "deteriorated"))))),
  criterion_c = list(m_clinical = 16, s_clinical = 5, m_functional = 4, s_functional = 3.5,
                     c = (3.5 * 16 + 5 * 4) / (5 + 3.5))
), "ols")

# ---------------------------------------------------------------------------------------------
# 2. Two-stage least squares with HC standard errors (AER::ivreg + sandwich)
# ---------------------------------------------------------------------------------------------
cat("iv\n")
set.seed(202)
n <- 300
z1 <- rbinom(n, 1, 0.5)
z2 <- round(rnorm(n), 3)
w <- round(rnorm(n, 0, 1), 3)
u <- rnorm(n)
x <- round(0.8 * z1 + 0.4 * z2 + 0.3 * w + u, 3)
y <- round(1 + 0.7 * x + 0.5 * w + 0.6 * u + rnorm(n) * (0.6 + 0.4 * abs(w)), 3)
iv <- write_data(data.frame(z1 = z1, z2 = z2, w = w, x = x, y = y), "iv")
m <- ivreg(y ~ x + w | z1 + z2 + w, data = iv)
dfr <- df.residual(m)
write_expected(list(
  data = "iv.csv",
  formula = "ivreg(y ~ x + w | z1 + z2 + w)",
  names = names(coef(m)), n = nobs(m), df_residual = dfr,
  classical = coef_table(coef(m), vcov(m), dfr),
  sigma = m$sigma,
  hc = lapply(c(HC0 = "HC0", HC1 = "HC1", HC2 = "HC2", HC3 = "HC3"),
              function(ty) coef_table(coef(m), vcovHC(m, type = ty), dfr))
), "iv")

# ---------------------------------------------------------------------------------------------
# 3. Random intercept: end ~ intake + arm + (1 | therapist); a regular and a singular data set
# ---------------------------------------------------------------------------------------------
cat("ri\n")
ri <- write_data(gen_ri(303), "ri")
m <- fit_lmer(end ~ intake + arm + (1 | therapist), ri)
x <- lmm_expected(m, "ri.csv", "end ~ intake + arm + (1 | therapist)")
vc <- as.data.frame(VarCorr(m))
x$icc <- vc$vcov[1] / (vc$vcov[1] + vc$vcov[2])
write_expected(x, "ri")

cat("ri_singular\n")
seed <- 400
repeat {
  d <- gen_ri(seed, tau = 0)
  if (isSingular(lmer(end ~ intake + arm + (1 | therapist), d, control = ctrl_nlopt))) break
  seed <- seed + 1
}
cat("  seed", seed, "\n")
ri0 <- write_data(d, "ri_singular")
m <- fit_lmer(end ~ intake + arm + (1 | therapist), ri0)
x <- lmm_expected(m, "ri_singular.csv", "end ~ intake + arm + (1 | therapist)")
x$seed <- seed
write_expected(x, "ri_singular")

# ---------------------------------------------------------------------------------------------
# 4. Three-level longitudinal models
# ---------------------------------------------------------------------------------------------
f3 <- score ~ time * arm + (1 + time | patient) + (1 + time | therapist)
f3_text <- "score ~ time * arm + (1 + time | patient) + (1 + time | therapist)"

cat("lmm3_nested\n")
set.seed(500)
cl <- sample(3:12, 24, replace = TRUE)
d <- write_data(gen_long(501, "nested", cl), "lmm3_nested")
write_expected(lmm_expected(fit_lmer(f3, d), "lmm3_nested.csv", f3_text), "lmm3_nested")

# The first seed (from `seed`, step 2) whose data set `make(seed)` gives a fit of `formula`
# that is singular (want = TRUE) or regular (want = FALSE).
first_seed <- function(seed, make, formula, want) {
  repeat {
    d <- make(seed)
    if (isSingular(lmer(formula, make_fit_data(d), control = ctrl_nlopt)) == want) {
      cat("  seed", seed, "\n")
      return(list(seed = seed, data = d))
    }
    seed <- seed + 2
  }
}
make_fit_data <- function(d) {
  d$therapist[is.na(d$therapist)] <- "none"
  d
}

cat("lmm3_crossed\n")
s <- first_seed(600, function(seed) {
  set.seed(seed)
  gen_long(seed + 1, "crossed", sample(6:14, 16, replace = TRUE))
}, f3, FALSE)
d <- write_data(s$data, "lmm3_crossed")
x <- lmm_expected(fit_lmer(f3, d), "lmm3_crossed.csv", f3_text)
x$seed <- s$seed
write_expected(x, "lmm3_crossed")

cat("lmm3_partial\n")
fp <- score ~ time * treat + (1 + time | patient) + (0 + treat + treat:time | therapist)
s <- first_seed(700, function(seed) {
  set.seed(seed)
  gen_long(seed + 1, "partial", sample(3:12, 12, replace = TRUE), n_waitlist = 60,
           ther_sd = c(1.5, 0.25))
}, fp, FALSE)
d <- write_data(s$data, "lmm3_partial")
# Waitlist patients have no therapist: they share one placeholder level whose random-effect
# columns (treat, treat:time) are zero for every one of their rows, so it adds nothing.
d$therapist[is.na(d$therapist)] <- "none"
fp_text <- "score ~ time * treat + (1 + time | patient) + (0 + treat + treat:time | therapist)"
x <- lmm_expected(fit_lmer(fp, d), "lmm3_partial.csv", fp_text)
x$seed <- s$seed
write_expected(x, "lmm3_partial")

cat("lmm3_singular\n")
s <- first_seed(800, function(seed) {
  set.seed(seed)
  gen_long(seed + 1, "nested", sample(4:10, 16, replace = TRUE), ther_sd = c(0, 0))
}, f3, TRUE)
d <- write_data(s$data, "lmm3_singular")
x <- lmm_expected(fit_lmer(f3, d), "lmm3_singular.csv", f3_text)
x$seed <- s$seed
write_expected(x, "lmm3_singular")

cat("lmm3_bench\n")
d <- write_data(gen_long(901, "nested", rep(8, 20), dropout = FALSE), "lmm3_bench")
write_expected(lmm_expected(fit_lmer(f3, d), "lmm3_bench.csv", f3_text), "lmm3_bench")

# ---------------------------------------------------------------------------------------------
# 5. Within-person cross-lagged model (alliance -> next-session symptoms)
# ---------------------------------------------------------------------------------------------
cat("crosslag\n")
set.seed(1001)
rows <- list()
for (i in 1:100) {
  a_i <- rnorm(1, 0, 0.6)          # stable alliance level
  s_i <- rnorm(1, 0, 3)            # stable symptom level
  n_s <- sample(6:12, 1)
  x <- numeric(n_s); y <- numeric(n_s)
  x[1] <- 4.5 + a_i + rnorm(1, 0, 0.5)
  y[1] <- 16 + s_i + rnorm(1, 0, 2)
  for (t in 2:n_s) {
    x[t] <- 4.5 + a_i + 0.3 * (x[t - 1] - 4.5 - a_i) - 0.03 * (y[t - 1] - 16 - s_i) +
      rnorm(1, 0, 0.5)
    y[t] <- 16 + s_i - 0.4 * (t - 1) + 0.45 * (y[t - 1] - 16 - s_i + 0.4 * (t - 2)) -
      1.2 * (x[t - 1] - 4.5 - a_i) - 1.5 * a_i + rnorm(1, 0, 2)
  }
  keep <- c(TRUE, runif(n_s - 1) > 0.1)   # missed sessions break lags
  rows[[i]] <- data.frame(patient = sprintf("P%03d", i), session = (1:n_s)[keep],
                          alliance = round(x[keep], 3), symptoms = round(y[keep], 3))
}
cl <- write_data(do.call(rbind, rows), "crosslag")
# Person-mean centring over each patient's observed sessions, then lags to the next session
# (only when that session was observed: session + 1).
cl$x_pm <- ave(cl$alliance, cl$patient)
cl$x_cw <- cl$alliance - cl$x_pm
cl$y_pm <- ave(cl$symptoms, cl$patient)
cl$y_cw <- cl$symptoms - cl$y_pm
key <- paste(cl$patient, cl$session)
nxt <- match(paste(cl$patient, cl$session + 1), key)
cl$y_next <- cl$symptoms[nxt]
lag <- cl[!is.na(cl$y_next), ]
m <- fit_lmer(y_next ~ x_cw + x_pm + y_cw + session + (1 | patient), lag)
x <- lmm_expected(m, "crosslag.csv", "y_next ~ x_cw + x_pm + y_cw + session + (1 | patient)")
x$centring <- list(x_pm = cl$x_pm, x_cw = cl$x_cw, y_cw = cl$y_cw)
x$n_lagged <- nrow(lag)
write_expected(x, "crosslag")
# ---------------------------------------------------------------------------------------------
# 6. Logistic random intercept: y ~ x + (1 | group), binomial, adaptive Gauss-Hermite (nAGQ 25)
#    and Laplace (nAGQ 1); latent-scale ICC sigma^2 / (sigma^2 + pi^2 / 3)
# ---------------------------------------------------------------------------------------------
cat("glmm\n")
set.seed(606)
n_g <- 60
sizes <- sample(5:30, n_g, replace = TRUE)
group <- rep(seq_len(n_g), sizes)
u <- rnorm(n_g, 0, 0.8)
x <- round(rnorm(length(group)), 3)
y <- rbinom(length(group), 1, plogis(-1 + 0.5 * x + u[group]))
gl <- write_data(data.frame(group = sprintf("G%02d", group), x = x, y = y), "glmm")
glmm_expected <- function(m) {
  s <- summary(m)$coefficients
  sigma <- sqrt(as.numeric(VarCorr(m)$group))
  list(names = rownames(s), estimate = unname(s[, 1]), se = unname(s[, 2]),
       sigma = sigma, loglik = as.numeric(logLik(m)),
       icc = sigma^2 / (sigma^2 + pi^2 / 3))
}
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
write_expected(list(
  data = "glmm.csv",
  formula = "glmer(y ~ x + (1 | group), family = binomial)",
  n = nrow(gl), groups = n_g,
  agq25 = glmm_expected(glmer(y ~ x + (1 | group), gl, family = binomial, nAGQ = 25,
                              control = ctrl)),
  laplace = glmm_expected(glmer(y ~ x + (1 | group), gl, family = binomial, nAGQ = 1,
                                control = ctrl))
), "glmm")
# ---------------------------------------------------------------------------------------------
# 7. Logistic regression with cluster-robust SEs: glm(y ~ intake + treat, binomial) and
#    sandwich::vcovCL(cluster = ~ therapist, type = "HC0" and the default "HC1"); patients in
#    therapists nested in two arms, a therapist effect on the logit scale
# ---------------------------------------------------------------------------------------------
cat("logistic\n")
set.seed(707)
n_t <- 40
caseload <- sample(3:15, n_t, replace = TRUE)
therapist <- rep(seq_len(n_t), caseload)
treat <- as.integer(therapist > n_t / 2)
u <- rnorm(n_t, 0, 0.5)
intake <- round(rnorm(length(therapist), 17, 5), 3)
y <- rbinom(length(therapist), 1, plogis(1.2 - 0.08 * intake + 0.6 * treat + u[therapist]))
lg <- write_data(data.frame(therapist = sprintf("T%02d", therapist), intake = intake,
                            treat = treat, y = y), "logistic")
m <- glm(y ~ intake + treat, data = lg, family = binomial)
se_of <- function(V) unname(sqrt(diag(V)))
write_expected(list(
  data = "logistic.csv",
  formula = "glm(y ~ intake + treat, family = binomial); sandwich::vcovCL(m, cluster = ~ therapist)",
  n = nrow(lg), clusters = n_t,
  names = names(coef(m)), estimate = unname(coef(m)),
  se_model = se_of(vcov(m)),
  se_cl_hc0 = se_of(vcovCL(m, cluster = ~ therapist, type = "HC0")),
  se_cl_hc1 = se_of(vcovCL(m, cluster = ~ therapist, type = "HC1")),
  loglik = as.numeric(logLik(m))
), "logistic")
cat("done\n")
