"""``run``: Monte Carlo uncertainty of a scenario's results (or of an analysis' answer), with
sensitivity, as one reproducible call; ``fan``: quantile bands of an output across node counts;
``load_config``: the YAML file that drives ``dtsim uncertainty``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import MISSING, ScenarioError
from dtsim.montecarlo.analysis import parse_analysis
from dtsim.montecarlo.distributions import Choice
from dtsim.montecarlo.evaluation import (
    CHUNK,
    LOG_KEYS,
    NUMERIC_KEYS,
    Evaluation,
    Evaluator,
    Runner,
    ScenarioOutputs,
    Task,
    executor,
    run_tasks,
)
from dtsim.montecarlo.sampling import Design, chunks, parse_design
from dtsim.montecarlo.sensitivity import RankStore, SobolDesign, sobol_from_outputs, tornado_codes, tornado_rows
from dtsim.montecarlo.statistics import MAX_SAMPLES, Accumulator, OutputStats
from dtsim.scenario import Scenario, load_documents, parse_scenario

__all__ = [
    "DEFAULT_OUTPUTS",
    "DEFAULT_THRESHOLDS",
    "Block",
    "FanData",
    "UncertaintyResult",
    "fan",
    "load_config",
    "run",
]

#: Outputs summarised when none are named.
DEFAULT_OUTPUTS = ("c_local", "c_quality", "c_actual", "cost_usd", "wall_clock_days", "eta")
#: Compute thresholds whose exceedance probability is reported for the FLOP keys.
DEFAULT_THRESHOLDS = (1e24, 1e25, 1e26)
#: Keys measured in FLOP (the default thresholds apply to them).
FLOP_KEYS = frozenset({"c_actual", "c_local", "c_quality"})
#: Samples kept for the Spearman rank correlations (their standard error is below 0.001).
RANK_SAMPLES = 1_000_000
#: Base samples of a Sobol' analysis when ``sobol=True``.
SOBOL_SAMPLES = 1024

ScenarioLike = Scenario | Mapping[str, Any] | str | Path
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Block:
    """The statistics and sensitivity for one value of each choice shown side by side."""

    choice: dict[str, Any]
    infeasible_share: float
    outputs: dict[str, OutputStats]
    sensitivity: dict[str, Any]
    reached_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "choice": dict(self.choice),
            "infeasible_share": self.infeasible_share,
            "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
            "sensitivity": self.sensitivity,
        }
        if self.reached_share is not None:
            out["reached_share"] = self.reached_share
        return out


@dataclass(frozen=True)
class UncertaintyResult:
    """Monte Carlo statistics and sensitivity of a scenario (or of an analysis' answer).

    ``blocks`` holds one ``Block`` per value of the choices shown side by side (one block when
    there are none); ``infeasible_share``, ``outputs`` and ``sensitivity`` are the first block's
    (the first value of each such choice).
    """

    samples: int
    seed: int
    inputs: dict[str, dict[str, Any]]
    fixed: dict[str, Any]
    choices: dict[str, list[Any]]
    correlations: list[dict[str, Any]]
    thresholds: dict[str, list[float]]
    analysis: dict[str, Any] | None
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def infeasible_share(self) -> float:
        return self.blocks[0].infeasible_share

    @property
    def outputs(self) -> dict[str, OutputStats]:
        return self.blocks[0].outputs

    @property
    def sensitivity(self) -> dict[str, Any]:
        return self.blocks[0].sensitivity

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: ``samples``, ``seed``, ``infeasible_share``, ``outputs``
        ({key: {p5, p10, p50, p90, p95, mean, se, exceed, scale, count, cdf}}), ``sensitivity``
        ({tornado, spearman, sobol?}), then the inputs, fixed values, choices, correlations,
        thresholds, analysis and, with choices shown side by side, every ``blocks``."""
        first = self.blocks[0].to_dict()
        out: dict[str, Any] = {
            "samples": self.samples,
            "seed": self.seed,
            "infeasible_share": first["infeasible_share"],
            "outputs": first["outputs"],
            "sensitivity": first["sensitivity"],
            "inputs": self.inputs,
            "fixed": self.fixed,
            "choices": self.choices,
            "correlations": self.correlations,
            "thresholds": self.thresholds,
            "analysis": self.analysis,
        }
        if "reached_share" in first:
            out["reached_share"] = first["reached_share"]
        if self.choices:
            out["blocks"] = [b.to_dict() for b in self.blocks]
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per block and output: the quantiles, mean, se, count and the exceedance
        probability of every threshold (empty where a threshold is not the output's)."""
        thresholds = sorted({t for b in self.blocks for s in b.outputs.values() for t in s.exceed}, key=float)
        rows = []
        for block in self.blocks:
            for key, stats in block.outputs.items():
                row: dict[str, Any] = {}
                if self.choices:
                    row["block"] = ", ".join(f"{k}={v}" for k, v in block.choice.items())
                row.update({"output": key, "scale": stats.scale})
                row.update({k: v for k, v in stats.to_dict().items() if k not in ("exceed", "scale", "cdf")})
                row.update({f"P(>={t})": stats.exceed.get(t) for t in thresholds})
                row["infeasible_share"] = block.infeasible_share
                rows.append(row)
        return rows


# --------------------------------------------------------------------------------------------
# Argument checks


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise ScenarioError(field, value, f"expected a whole number in [{low:,}, {high:,}]")
    if not low <= value <= high:
        raise ScenarioError(field, value, f"expected a whole number in [{low:,}, {high:,}]")
    return int(value)


def _base(scenario: ScenarioLike, fill: Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        docs = load_documents(scenario)
        if len(docs) != 1:
            raise ScenarioError("scenario", str(scenario), f"the file holds {len(docs)} scenarios; give one")
        source, data = docs[0]
        if isinstance(data, Mapping):
            data = {**fill, **data}
        return parse_scenario(data, source=source)
    if not isinstance(scenario, Mapping):
        raise ScenarioError("scenario", scenario, "expected a scenario mapping or the path of a scenario file")
    try:
        return parse_scenario({**fill, **scenario})
    except ScenarioError as exc:
        raise ScenarioError(".".join(p for p in ("scenario", exc.field) if p), exc.value, exc.allowed) from None


def _outputs(outputs: Any, allowed: Sequence[str], default: Sequence[str]) -> tuple[str, ...]:
    if outputs is None:
        return tuple(default)
    if isinstance(outputs, str) or not isinstance(outputs, Sequence) or not outputs:
        raise ScenarioError("outputs", outputs, "expected a non-empty list of result keys")
    for i, key in enumerate(outputs):
        if key not in allowed:
            raise ScenarioError(f"outputs[{i}]", key, f"allowed: {', '.join(allowed)}")
    if len(set(outputs)) != len(outputs):
        raise ScenarioError("outputs", outputs, "each key once")
    return tuple(outputs)


def _threshold_list(field: str, values: Any) -> list[float]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ScenarioError(field, values, "expected a list of numbers")
    out = []
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(f"{field}[{i}]", value, "expected a finite number")
        out.append(float(value))
    return out


def _thresholds(thresholds: Any, outputs: Sequence[str]) -> dict[str, list[float]]:
    """{output: thresholds}: a list applies to the FLOP outputs, a mapping names each output."""
    flop = [k for k in outputs if k in FLOP_KEYS]
    if thresholds is None:
        return {k: list(DEFAULT_THRESHOLDS) for k in flop}
    if isinstance(thresholds, Mapping):
        out = {}
        for key, values in thresholds.items():
            if key not in outputs:
                raise ScenarioError(f"thresholds.{key}", MISSING, f"not an output; outputs: {', '.join(outputs)}")
            out[key] = _threshold_list(f"thresholds.{key}", values)
        return out
    values = _threshold_list("thresholds", thresholds)
    return {k: list(values) for k in flop}


def _sobol_samples(sobol: Any) -> int:
    if sobol is False or sobol is None:
        return 0
    if sobol is True:
        return SOBOL_SAMPLES
    n = _whole("sobol", sobol, 2, 2**20)
    if n & (n - 1):
        raise ScenarioError("sobol", sobol, "the number of Sobol' base samples must be a power of 2 (e.g. 1024)")
    return n


def _scaled(key: str, raw: NDArray[np.float64]) -> NDArray[np.float64]:
    """Values on the statistics' scale: log10 for FLOP and cost keys (NaN where ≤ 0)."""
    if key not in LOG_KEYS:
        return raw
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(raw)
    return np.where(np.isfinite(out), out, np.nan)


# --------------------------------------------------------------------------------------------
# The run


def run(
    scenario: ScenarioLike,
    distributions: Mapping[str, Any],
    *,
    samples: int = 10_000,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    analysis: Mapping[str, Any] | None = None,
    correlations: Sequence[Mapping[str, Any]] | None = None,
    mix: bool = False,
    sobol: bool | int = False,
    progress: Progress | None = None,
    client: Any = None,
    scheduler: str | None = None,
) -> UncertaintyResult:
    """Propagate the uncertainty of ``distributions`` through ``scenario`` by Monte Carlo.

    ``distributions``: {field path: distribution} (see ``dtsim.montecarlo.distributions``),
    optionally with ``correlations: [{fields: [A, B], rank: r}]`` (or pass ``correlations``).
    ``samples`` draws from ``numpy.random.default_rng`` seeded by ``seed`` (the same seed gives
    the same result). ``outputs``: result keys to summarise (or, with ``analysis``, its answer
    keys); sampled field paths may be outputs too. ``thresholds``: FLOP values whose exceedance
    probability is reported (a list for the FLOP outputs, or {output: list}); default 1e24, 1e25,
    1e26. ``analysis``: e.g. ``{"name": "nodes_for_target", "target": 1e25, "metric": "c_local"}``
    makes the answer of that analysis uncertain. Choices are shown side by side (one block per
    value) unless ``mix`` or their own ``mix: true``. ``sobol``: also compute Sobol' indices
    (True: 1,024 base samples, or a power of two). ``progress(done, total)`` is called as points
    are evaluated. ``client`` (a ``dask.distributed.Client``) or ``scheduler`` (its address)
    runs the chunks on a Dask cluster, with results identical to a local run.
    """
    if isinstance(samples, int | float) and not isinstance(samples, bool) and samples > MAX_SAMPLES:
        raise ScenarioError(
            "samples",
            samples,
            f"at most {MAX_SAMPLES:,}: exact quantiles hold every sample in memory (8 bytes per sample and "
            "output); use fewer samples",
        )
    samples = _whole("samples", samples, 1, MAX_SAMPLES)
    seed = _whole("seed", seed, 0, 2**63 - 1)
    parsed = parse_analysis(analysis)
    fill = parsed[1].scenario_fill if parsed else {}
    base = _base(scenario, fill)
    design = parse_design(
        base, distributions, correlations, mix=mix, fixed_paths=parsed[1].fixed_paths if parsed else ()
    )
    if parsed:
        keys = _outputs(outputs, parsed[1].keys, parsed[1].default_outputs)
    else:
        keys = _outputs(outputs, (*NUMERIC_KEYS, *design.paths), DEFAULT_OUTPUTS)
    limits = _thresholds(thresholds, keys)
    sobol_n = _sobol_samples(sobol)
    blocks = design.blocks()
    answer = parsed[1].answer_key if parsed else None
    evaluated = tuple(dict.fromkeys((*keys, answer))) if answer else keys  # the answer is always evaluated
    evaluators: list[Evaluator] = []
    for choice in blocks:
        block_base = design.base.with_values(**choice) if choice else design.base
        evaluators.append(
            parsed[1].build(block_base, parsed[2], evaluated) if parsed else ScenarioOutputs(block_base, evaluated)
        )

    d = len(design.inputs)
    sobol_points = sobol_n * (d + 2) if d else 0
    total = len(blocks) * (samples + (1 + 2 * d if d else 0) + sobol_points)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    seeds = np.random.SeedSequence(seed).spawn(3)
    with executor(client, scheduler) as runner:
        accumulators, infeasible, reached, ranks = _monte_carlo(
            design, evaluators, keys, limits, samples, seeds[0], runner, advance, answer
        )
        results = []
        for b, choice in enumerate(blocks):
            sensitivity: dict[str, Any] = {"tornado": _tornado(design, evaluators[b], keys, runner) if d else {}}
            sensitivity["spearman"] = ranks[b].result(design.paths)
            advance(1 + 2 * d if d else 0)
            if sobol_n:
                sensitivity["sobol"] = _sobol(design, evaluators[b], keys, sobol_n, seeds[1], seeds[2], runner)
                advance(sobol_points)
            stats = {k: accumulators[b][k].result() for k in keys}
            share = reached[b] / samples if answer else None
            results.append(Block(choice, infeasible[b] / samples, stats, sensitivity, share))

    return UncertaintyResult(
        samples=samples,
        seed=seed,
        inputs={inp.path: inp.describe() for inp in design.inputs},
        fixed=dict(design.fixed),
        choices={s.path: list(s.dist.values) for s in design.structural if isinstance(s.dist, Choice)},
        correlations=[{"fields": [a, b], "rank": r} for a, b, r in design.correlations],
        thresholds=limits,
        analysis={"name": parsed[0], **parsed[2]} if parsed else None,
        blocks=tuple(results),
    )


def _monte_carlo(
    design: Design,
    evaluators: Sequence[Evaluator],
    keys: tuple[str, ...],
    limits: Mapping[str, Sequence[float]],
    samples: int,
    seed: np.random.SeedSequence,
    runner: Runner | None,
    advance: Callable[[int], None],
    answer: str | None,
) -> tuple[list[dict[str, Accumulator]], list[int], list[int], list[RankStore]]:
    """Draw chunk by chunk, evaluate every block on the same draws, accumulate in order; count
    the infeasible samples and, for an analysis, those with an ``answer``."""
    rng = np.random.default_rng(seed)
    accumulators = [{k: Accumulator(k, samples, limits.get(k, ()), k in LOG_KEYS) for k in keys} for _ in evaluators]
    ranks = [RankStore(min(samples, RANK_SAMPLES), len(design.inputs), keys) for _ in evaluators]
    infeasible = [0] * len(evaluators)
    reached = [0] * len(evaluators)
    drawn: deque[NDArray[np.float64]] = deque()

    def tasks() -> Iterator[Task]:
        for start, stop in chunks(samples, CHUNK):
            codes = design.codes(design.draw(rng, stop - start))
            axes = design.axes(codes)
            for evaluator in evaluators:
                drawn.append(codes)
                yield (evaluator, axes, stop - start)

    for i, evaluation in enumerate(run_tasks(runner, tasks())):
        b = i % len(evaluators)
        codes = drawn.popleft()
        for key in keys:
            accumulators[b][key].add(evaluation.columns[key])
        infeasible[b] += int(np.count_nonzero(~evaluation.feasible))
        if answer:
            reached[b] += int(np.count_nonzero(np.isfinite(evaluation.columns[answer])))
        ranks[b].add(codes, {k: _scaled(k, evaluation.columns[k]) for k in keys})
        advance(len(codes))
    return accumulators, infeasible, reached, ranks


def _evaluate(
    evaluator: Evaluator, design: Design, codes: NDArray[np.float64], runner: Runner | None
) -> dict[str, NDArray[np.float64]]:
    """Outputs (on the statistics' scale) of an evaluator at a matrix of codes, chunk by chunk."""
    parts: list[Evaluation] = list(
        run_tasks(
            runner,
            ((evaluator, design.axes(codes[start:stop]), stop - start) for start, stop in chunks(len(codes), CHUNK)),
        )
    )
    return {k: _scaled(k, np.concatenate([p.columns[k] for p in parts])) for k in evaluator.keys}


def _tornado(design: Design, evaluator: Evaluator, keys: tuple[str, ...], runner: Runner | None) -> dict[str, Any]:
    outputs = _evaluate(evaluator, design, tornado_codes(design), runner)
    return tornado_rows(design, {k: outputs[k] for k in keys})


def _sobol(
    design: Design,
    evaluator: Evaluator,
    keys: tuple[str, ...],
    n: int,
    design_seed: np.random.SeedSequence,
    bootstrap_seed: np.random.SeedSequence,
    runner: Runner | None,
) -> dict[str, Any]:
    sobol_design = SobolDesign.build(design.codes, len(design.inputs), n, np.random.default_rng(design_seed))
    outputs = _evaluate(evaluator, design, sobol_design.points, runner)
    chosen = {k: outputs[k] for k in keys}
    result = sobol_from_outputs(sobol_design, chosen, design.paths, np.random.default_rng(bootstrap_seed))
    return {
        "n": n,
        "points": len(sobol_design.points),
        "independent_inputs": True,
        "indices": result,
    }


# --------------------------------------------------------------------------------------------
# Fan chart data


@dataclass(frozen=True)
class FanData:
    """P5, P50 and P95 of ``key`` at each node count, one band per block (side-by-side choice)."""

    key: str
    nodes: tuple[float, ...]
    samples: int
    bands: dict[str, dict[str, list[float | None]]]


def fan(
    scenario: ScenarioLike,
    distributions: Mapping[str, Any],
    *,
    nodes: Sequence[float] | None = None,
    key: str = "c_quality",
    samples: int = 1_000,
    seed: int = 0,
    correlations: Sequence[Mapping[str, Any]] | None = None,
    mix: bool = False,
) -> FanData:
    """Quantile bands of ``key`` across ``nodes`` (default 25 log-spaced counts from 1 to
    10,000): the same ``samples`` draws are evaluated at every node count."""
    samples = _whole("samples", samples, 1, 100_000)
    seed = _whole("seed", seed, 0, 2**63 - 1)
    if key not in NUMERIC_KEYS:
        raise ScenarioError("key", key, f"allowed: {', '.join(NUMERIC_KEYS)}")
    grid = np.unique(np.round(np.logspace(0, 4, 25))) if nodes is None else np.asarray(nodes, dtype=float)
    design = parse_design(_base(scenario, {"nodes": 1}), distributions, correlations, mix=mix, fixed_paths=("nodes",))
    codes = design.codes(design.draw(np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[0]), samples))
    tiled = np.tile(codes, (len(grid), 1))
    node_axis = np.repeat(grid, samples)
    bands = {}
    for choice in design.blocks():
        block_base = design.base.with_values(**choice) if choice else design.base
        evaluator = ScenarioOutputs(block_base, (key,))
        axes = {**design.axes(tiled), "nodes": node_axis}
        parts = [evaluator({p: v[a:b] for p, v in axes.items()}, b - a) for a, b in chunks(len(node_axis), CHUNK)]
        values = np.concatenate([p.columns[key] for p in parts]).reshape(len(grid), samples)
        band: dict[str, list[float | None]] = {"p5": [], "p50": [], "p95": []}
        for row in values:
            row = row[np.isfinite(row)]
            for name, p in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
                band[name].append(float(np.quantile(row, p, method="inverted_cdf")) if len(row) else None)
        bands[", ".join(f"{k}={v}" for k, v in choice.items())] = band
    return FanData(key, tuple(float(g) for g in grid), samples, bands)


# --------------------------------------------------------------------------------------------
# Configuration files

_CONFIG_KEYS = (
    "scenario",
    "distributions",
    "correlations",
    "samples",
    "seed",
    "outputs",
    "thresholds",
    "analysis",
    "mix",
    "sobol",
)


def load_config(path: str | Path) -> dict[str, Any]:
    """Read an uncertainty file (YAML or JSON) into ``run`` keyword arguments plus ``scenario``.

    Keys: ``scenario`` (a mapping, or the path of a scenario file relative to this file),
    ``distributions`` (required), ``correlations``, ``samples``, ``seed``, ``outputs``,
    ``thresholds``, ``analysis``, ``mix``, ``sobol``.
    """
    path = Path(path)
    docs = load_documents(path)
    if len(docs) != 1 or not isinstance(docs[0][1], Mapping):
        raise ScenarioError("", str(path), "expected one mapping with scenario: and distributions:")
    source, data = docs[0]
    for key in data:
        if key not in _CONFIG_KEYS:
            allowed = ", ".join(_CONFIG_KEYS)
            raise ScenarioError(str(key), MISSING, f"unknown key; allowed here: {allowed}", source=source)
    for key in ("scenario", "distributions"):
        if key not in data:
            raise ScenarioError(key, MISSING, "required", source=source)
    config = dict(data)
    if isinstance(config["scenario"], str):
        config["scenario"] = path.parent / config["scenario"]
    return config
