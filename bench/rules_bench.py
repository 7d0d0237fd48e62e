"""Rule evaluations per second (pure Python, no Django, one core).

    python bench/rules_bench.py            # 10,000 answers, 300,000 evaluations
    python bench/rules_bench.py --quick    # 2,000 answers, 40,000 evaluations

Builds a seeded, realistic mix of valid answers (complete and routine, complete
with IOP indications, high risk, and partial ones with unanswered questions),
then times:

1. a first pass over fresh answers with empty caches (cold);
2. `evaluate()` over the mix, repeated (the figure DESIGN.md asks for);
3. `answers_from_dict()` + `evaluate()`, the work one API request does.

Prints plain figures; the goal is >= 100,000 evaluations per second.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from levelofcare.rules import (
    ANSWER_KEYS,
    CSSRS_QUESTIONS,
    DEFAULT_CRITERIA,
    Answers,
    Criteria,
    answers_from_dict,
    clear_caches,
    evaluate,
)

GOAL_PER_SECOND = 100_000


def _items(rng: random.Random, count: int, target: int) -> list[int]:
    """`count` items 0-3 whose total is near `target`."""
    items = [0] * count
    for _ in range(max(0, min(target, 3 * count))):
        i = rng.randrange(count)
        while items[i] == 3:
            i = rng.randrange(count)
        items[i] += 1
    return items


def _cssrs(rng: random.Random, risk: str) -> dict[str, bool]:
    c = dict.fromkeys(("wish_dead", "suicidal_thoughts", "behavior_ever"), False)
    if risk in ("low", "moderate", "high"):
        c["wish_dead"] = True
        c["suicidal_thoughts"] = rng.random() < 0.7
    if c["suicidal_thoughts"]:
        c |= {"method": False, "intent": False, "plan": False}
    if risk == "moderate":
        if c["suicidal_thoughts"] and rng.random() < 0.6:
            c["method"] = True
        else:
            c["behavior_ever"] = True
    if risk == "high":
        if c["suicidal_thoughts"]:
            c[rng.choice(("intent", "plan"))] = True
        else:
            c["behavior_ever"] = True
            c["behavior_past_3_months"] = True
    if c["behavior_ever"]:
        c.setdefault("behavior_past_3_months", False)
    return c


def answers_dict(rng: random.Random, kind: str) -> dict[str, object]:
    """One valid answers JSON object of a kind: routine, iop, high or partial."""
    severe = kind == "iop"
    d: dict[str, object] = {
        "cssrs": _cssrs(
            rng,
            "high"
            if kind == "high"
            else rng.choice(("none", "low", "moderate"))
            if severe
            else rng.choice(("none", "none", "none", "low")),
        ),
        "harm_to_others": "intent"
        if kind == "high" and rng.random() < 0.2
        else rng.choice(("none", "none", "none", "thoughts"))
        if severe
        else "none",
        "phq9": _items(rng, 9, rng.randint(8, 25) if severe else rng.randint(0, 12)),
        "gad7": _items(rng, 7, rng.randint(6, 20) if severe else rng.randint(0, 11)),
        "impaired_judgement": kind == "high" and rng.random() < 0.3,
        "can_care_for_self": not (kind == "high" and rng.random() < 0.2),
        "safe_housing": rng.random() > (0.15 if severe else 0.05),
        "support_at_home": rng.random() > 0.2,
        "needs_medical_detox": kind == "high" and rng.random() < 0.1,
        "needs_24h_medical_monitoring": kind == "high" and rng.random() < 0.1,
        "work_or_school_commitment": rng.random() < 0.6,
        "can_attend_3_days_week": rng.random() < 0.7,
        "discharged_inpatient_days_ago": rng.choice(
            (None, 5, 25, 40, 200) if severe else (None, None, None, 45, 200, 400)
        ),
        "weeks_weekly_therapy_without_improvement": rng.choice(
            (None, 2, 6, 8, 12) if severe else (None, None, None, 2, 4, 8)
        ),
    }
    if kind == "partial":
        for key in rng.sample(ANSWER_KEYS, rng.randint(1, 4)):
            d.pop(key, None)
        cssrs = d.get("cssrs")
        if isinstance(cssrs, dict) and rng.random() < 0.3:
            cssrs.pop(rng.choice(CSSRS_QUESTIONS), None)
    return d


MIX = (("routine", 45), ("iop", 20), ("high", 10), ("partial", 25))


def make_mix(n: int, seed: int = 20_260_101) -> list[tuple[str, dict[str, object]]]:
    """`n` (kind, valid answers dict) pairs in the MIX proportions, reproducibly."""
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    return [(kind, answers_dict(rng, kind)) for kind in rng.choices(kinds, k=n)]


def make_answers(n: int, seed: int = 20_260_101) -> list[dict[str, object]]:
    """`n` valid answers dicts in the MIX proportions, reproducibly."""
    return [d for _, d in make_mix(n, seed)]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _reference_us() -> float:
    """Microseconds for sum(range(1000)): how fast this machine runs Python."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2_000):
            sum(range(1_000))
        runs.append((time.perf_counter() - start) / 2_000 * 1e6)
    return min(runs)


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    gc.collect()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def _report(label: str, calls: int, runs: list[float]) -> float:
    best = calls / min(runs)
    median = calls / statistics.median(runs)
    print(
        f"{label:<34} {best:>10,.0f} /s best  {median:>10,.0f} /s median  "
        f"{1e6 / best:6.2f} us/call"
    )
    return best


def _report_by_kind(
    mix: list[tuple[str, dict[str, object]]],
    answers: list[Answers],
    criteria: Criteria,
    *,
    rounds: int,
    repeat: int,
) -> None:
    """Evaluations per second of each kind of answers in the mix."""
    for kind, _ in MIX:
        subset = [a for (k, _), a in zip(mix, answers, strict=True) if k == kind]

        def evaluate_subset(subset: list[Answers] = subset) -> None:
            for _ in range(rounds):
                for a in subset:
                    evaluate(a, criteria)

        calls = len(subset) * rounds
        _report(f"  of which {kind}", calls, _time(evaluate_subset, repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    args = parser.parse_args(argv)
    n_answers, rounds, repeat = (2_000, 20, 3) if args.quick else (10_000, 30, 5)

    mix = make_mix(n_answers)
    dicts = [d for _, d in mix]
    answers: list[Answers] = [answers_from_dict(d) for d in dicts]
    criteria = DEFAULT_CRITERIA
    print(f"Python {platform.python_version()}, {_cpu()}; one process, one core")
    print(f"machine reference: sum(range(1000)) takes {_reference_us():.1f} us")
    print(f"{n_answers:,} answers: " + ", ".join(f"{k} {w}%" for k, w in MIX))

    clear_caches()
    cold = _time(lambda: [evaluate(a, criteria) for a in answers], 1)
    _report("evaluate, first pass (cold caches)", n_answers, cold)

    levels = Counter(
        "none" if (r := evaluate(a, criteria)).level is None else r.level.slug
        for a in answers
    )
    print("levels: " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items())))

    def evaluate_all() -> None:
        for _ in range(rounds):
            for a in answers:
                evaluate(a, criteria)

    calls = n_answers * rounds
    best = _report(f"evaluate x {calls:,}", calls, _time(evaluate_all, repeat))

    def parse_and_evaluate() -> None:
        for _ in range(max(1, rounds // 3)):
            for d in dicts:
                evaluate(answers_from_dict(d), criteria)

    calls = n_answers * max(1, rounds // 3)
    _report(
        f"answers_from_dict + evaluate x {calls:,}",
        calls,
        _time(parse_and_evaluate, repeat),
    )
    _report_by_kind(mix, answers, criteria, rounds=rounds, repeat=repeat)

    verdict = "meets" if best >= GOAL_PER_SECOND else "below"
    print(f"goal >= {GOAL_PER_SECOND:,} evaluations/s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
