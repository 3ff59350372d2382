#!/usr/bin/env python3
"""Share of courses with a V-shaped episode in the patient's WAI-SR (issue 18, section 2).

A V-shaped episode: the rated alliance drops by at least DROP points from one attended session
to the next, and returns to at least the earlier level within three sessions. Usage:
  scripts/v_episodes.py RUN_DIR [DROP]     (RUN_DIR holds a `bordin run`'s sessions.csv)
DROP defaults to 8 points, the one-sided 95% reliable-change criterion of a WAI-SR total from its
published test-retest reliability (about .83) and SD (about 8): 1.645 * sqrt(2) * 8 * sqrt(.17).
tests/ruptures.rs computes the same share (switching_ruptures_off_halves_v_shaped_episodes).
"""
import csv
import sys
from collections import defaultdict

run = sys.argv[1]
drop = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
series = defaultdict(list)
with open(f"{run}/sessions.csv") as f:
    for r in csv.DictReader(f):
        if r["attended"] == "1" and r["wai_patient"]:
            series[(r["replicate"], r["patient_id"])].append(float(r["wai_patient"]))
courses = [s for s in series.values() if len(s) >= 4]
with_v = 0
for s in courses:
    for t in range(1, len(s)):
        if s[t - 1] - s[t] >= drop and any(x >= s[t - 1] for x in s[t + 1 : t + 4]):
            with_v += 1
            break
n = len(courses)
p = with_v / n
print(f"courses with >= 4 sessions: {n}; with a V-shaped episode (drop >= {drop}): "
      f"{p:.3f} (SE {(p * (1 - p) / n) ** 0.5:.3f})")
