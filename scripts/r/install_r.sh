#!/usr/bin/env bash
# Installs R and the packages that scripts/r/make_fixtures.R needs (Debian packages: lme4,
# lmerTest, AER, sandwich, jsonlite). Only needed to regenerate tests/fixtures/stats/; the Rust
# tests read the committed fixtures and never call R.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    r-base-core r-cran-lme4 r-cran-lmertest r-cran-aer r-cran-sandwich r-cran-jsonlite r-cran-numderiv
Rscript -e 'for (p in c("lme4", "lmerTest", "AER", "sandwich", "jsonlite")) cat(p, format(packageVersion(p)), "\n"); cat(R.version.string, "\n")'
