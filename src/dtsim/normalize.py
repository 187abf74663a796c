"""From scenarios to columns, and every default filled in, per point.

A batch is a table of *columns* keyed by the registry's dotted paths, in user units: numbers,
integers and booleans as float arrays (NaN = not given), choices, quality tables and text as
object arrays (None = not given), plus ``reliability`` (the section is present). A column has
the batch length n, or length 1 when it is the same for every point (a sweep's fixed fields).

``normalize`` fills what the user left out, per point and vectorised, in this order: the
``physics`` preset; the node (a ``hardware.preset``, the reference node, the largest node of a
GPU under the registration threshold); precision-dependent widths; the budget; and every other
field from its own default (``physics: revised`` where it differs). A field given explicitly
always wins; a partially given section keeps the defaults of the keys it omits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import ScenarioError
from dtsim.fields import FIELDS
from dtsim.physics.hardware import gpu_catalogue, max_gpus_under_threshold, node_presets
from dtsim.scenario import Scenario
from dtsim.units import DEFAULT_BUDGET_DAYS, YEAR_DAYS

__all__ = ["Columns", "given", "given_leaves", "groups", "normalize", "stack_scenarios"]

Columns = dict[str, np.ndarray]

#: The column that says whether the ``reliability`` section is present (the layer is on).
RELIABILITY_ON = "reliability"

#: GPUs of the reference node when the scenario gives no node (model.md §1.2; variants.md §8).
REFERENCE_GPU = "A100-80GB"
REFERENCE_GPUS_SEED = 48
REFERENCE_GPUS_REVISED = 50

#: Widths that follow the training precision (model.md §1.4): fp16, fp8.
_BY_PRECISION = {
    "hardware.bytes_per_param": (16.0, 14.0),
    "compression.pseudo_gradient_bits": (16.0, 8.0),
    "pipeline.activation_bytes": (2.0, 1.0),
}

#: Straggler coefficient per doubling when not given, by mode (variants.md §7).
_STRAGGLER_PER_DOUBLING = {"log2": 0.05, "relay": 0.02}


def _field_tree() -> dict[str, Any]:
    """The registry's paths as nested dicts (a leaf is None), in registry order."""
    tree: dict[str, Any] = {}
    for path in FIELDS:
        *sections, leaf = path.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = None
    return tree


_FIELD_TREE = _field_tree()


def _leaves(obj: Any, prefix: str, tree: Mapping[str, Any], row: dict[str, Any]) -> None:
    """Copy the given (not None) leaves of a validated model into ``row``."""
    for name, value in obj.__dict__.items():
        if value is not None:
            sub = tree[name]
            if sub is None:
                row[prefix + name] = value
            else:
                _leaves(value, f"{prefix}{name}.", sub, row)


def given_leaves(scenario: Scenario) -> dict[str, Any]:
    """Only the leaves the scenario gives, by dotted path (``training.inner_steps: auto`` is not
    a value), and ``reliability`` when that section is present."""
    row: dict[str, Any] = {}
    _leaves(scenario, "", _FIELD_TREE, row)
    if row.get("training.inner_steps") == "auto":
        del row["training.inner_steps"]
    if scenario.reliability is not None:
        row[RELIABILITY_ON] = True
    return row


def stack_scenarios(scenarios: Sequence[Scenario]) -> Columns:
    """The scenarios as raw columns: each field's values by dotted path, exactly as given (NaN
    or None where a scenario does not give it), plus whether each has a reliability section.
    The float columns are the rows of one contiguous block (read-only views)."""
    return _stack_given([given_leaves(s) for s in scenarios])


def _stack_given(rows: Sequence[Mapping[str, Any]]) -> Columns:
    n = len(rows)
    block = np.full((len(_NUMERIC_PATHS), n), np.nan)
    where: list[int] = []
    points: list[int] = []
    values: list[Any] = []
    objects: dict[str, np.ndarray] = {}
    for i, row in enumerate(rows):
        for path, value in row.items():
            index = _NUMERIC_INDEX.get(path)
            if index is not None:
                where.append(index)
                points.append(i)
                values.append(value)
            elif path != RELIABILITY_ON:
                column = objects.get(path)
                if column is None:
                    column = objects[path] = np.empty(n, dtype=object)  # None throughout
                column[i] = value
    if values:
        block[where, points] = np.array(values, dtype=float)
    block.flags.writeable = False
    columns: Columns = {}
    for path in FIELDS:
        index = _NUMERIC_INDEX.get(path)
        if index is not None:
            columns[path] = block[index]
        else:
            column = objects.get(path)
            columns[path] = np.empty(n, dtype=object) if column is None else column
    columns[RELIABILITY_ON] = np.array([RELIABILITY_ON in row for row in rows], dtype=bool)
    return columns


#: Paths stored as float columns (numbers, integers, booleans), and the others (object).
_NUMERIC_PATHS = tuple(path for path, spec in FIELDS.items() if spec.kind in ("number", "integer", "boolean"))


_NUMERIC_INDEX = {path: i for i, path in enumerate(_NUMERIC_PATHS)}


def given(column: np.ndarray) -> NDArray[np.bool_]:
    """Where a column holds a value (not NaN, not None)."""
    if column.dtype == object:
        return np.asarray(column != None, dtype=bool)  # noqa: E711 - elementwise on an object array
    if column.dtype == bool:
        return np.ones(column.shape, dtype=bool)
    return ~np.isnan(column)


def _all_given(column: np.ndarray) -> bool:
    """Every entry holds a value (a one-entry column is read without array work)."""
    if len(column) == 1:
        value = column[0]
        if column.dtype == object:
            return value is not None
        return bool(value == value)  # NaN is the only value unequal to itself
    return bool(given(column).all())


#: Length-1 read-only columns of one default value, by (type, value, object column?).
_CONSTANTS: dict[tuple[type, Any, bool], np.ndarray] = {}
#: The same columns as zero-stride views (as ``np.broadcast_to`` makes them), by ``id`` of the
#: column: they live as long as the process, so an ``id`` names one of them for good.
BROADCAST_CONSTANTS: dict[int, np.ndarray] = {}


def _constant(value: str | float, as_object: bool) -> np.ndarray:
    """A read-only length-1 column holding ``value`` (float, or object), built once."""
    key = (type(value), value, as_object)
    column = _CONSTANTS.get(key)
    if column is None:
        column = _constant_object(value) if as_object else np.array([float(value)])
        column.flags.writeable = False
        _CONSTANTS[key] = column
        BROADCAST_CONSTANTS[id(column)] = np.broadcast_to(column, (1,))
    return column


def _fill(column: np.ndarray, default: Any) -> np.ndarray:
    """The column with its missing entries replaced by ``default`` (a value or an array)."""
    if len(column) == 1:
        if _all_given(column):
            return column
        if isinstance(default, str | float | int):
            return _constant(default, column.dtype == object)
    mask = given(column)
    if mask.all():
        return column
    if column.dtype == object and isinstance(default, str) and not mask.any():
        return _constant(default, True)  # a choice nobody gave: one value, broadcast later
    if column.dtype == object:
        default_column = default if isinstance(default, np.ndarray) else _constant_object(default)
        length = max(len(column), len(default_column))
        out = np.empty(length, dtype=object)
        out[:] = np.where(np.broadcast_to(mask, (length,)), np.broadcast_to(column, (length,)), default_column)
        return out
    return np.where(mask, column, default)


def _constant_object(value: Any) -> np.ndarray:
    out = np.empty(1, dtype=object)
    out[0] = value
    return out


def groups(column: np.ndarray) -> Iterator[tuple[Any, NDArray[np.bool_]]]:
    """(value, mask) for each distinct value of an object column, in first-seen order."""
    if len(column) == 1 or (column.ndim == 1 and column.strides[0] == 0):
        yield column[0], np.ones(len(column), dtype=bool)
        return
    values = column.tolist()
    head = values[0]
    if all(v is head for v in values) or (isinstance(head, str) and all(v == head for v in values)):
        # one value throughout (a default, a fixed field, one name given per point)
        yield head, np.ones(len(column), dtype=bool)
        return
    try:
        # hashable values (names, numbers, None): distinct values and codes in C loops
        labels = {value: code for code, value in enumerate(dict.fromkeys(values))}
    except TypeError:
        pass  # a dict among them: keyed by its sorted items below
    else:
        if len(labels) == 1:
            yield head, np.ones(len(column), dtype=bool)
            return
        codes = np.fromiter(map(labels.__getitem__, values), dtype=np.intp, count=len(values))
        for value, code in labels.items():
            yield value, codes == code
        return
    keys: dict[Any, int] = {}
    first: list[int] = []
    codes = np.empty(len(column), dtype=np.intp)
    for i, value in enumerate(values):
        key = _key(value)
        if key not in keys:
            keys[key] = len(first)
            first.append(i)
        codes[i] = keys[key]
    if len(first) == 1:
        yield column[0], np.ones(len(column), dtype=bool)
        return
    for code, i in enumerate(first):
        yield column[i], codes == code


def _key(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def _is(column: np.ndarray, value: str) -> NDArray[np.bool_]:
    return np.asarray(column == value, dtype=bool)


def _seed_or_revised(path: str, revised: NDArray[np.bool_], any_revised: bool, all_revised: bool) -> Any:
    spec = FIELDS[path]
    if spec.revised is None or not any_revised:
        return spec.default
    if all_revised:
        return spec.revised
    if spec.kind in ("number", "integer", "boolean"):
        return np.where(revised, float(spec.revised), float(spec.default))
    out = np.empty(len(revised), dtype=object)
    out[:] = np.where(revised, spec.revised, spec.default)
    return out


#: Fields filled from their own default by the last step of ``normalize``.
_PLAIN_DEFAULTS = tuple(
    path for path, spec in FIELDS.items() if spec.default is not None and path != "training.inner_steps"
)


def _default_columns(revised: bool) -> dict[str, np.ndarray]:
    """Each field's default (``physics: revised`` where it differs) as a constant column."""
    out = {}
    for path in _PLAIN_DEFAULTS:
        spec = FIELDS[path]
        value = spec.revised if revised and spec.revised is not None else spec.default
        out[path] = _constant(value, spec.kind not in ("number", "integer", "boolean"))
    return out


_DEFAULT_COLUMNS = {False: _default_columns(False), True: _default_columns(True)}


def normalize(raw: Mapping[str, np.ndarray]) -> Columns:
    """Every field filled in for every point (user units); see the module docstring."""
    c: Columns = dict(raw)
    physics = _fill(c["physics"], "seed")
    c["physics"] = physics
    revised = _is(physics, "revised")
    any_revised = bool(revised.any())
    all_revised = any_revised and bool(revised.all())
    _normalize_node(c, revised, any_revised, all_revised)
    is_fp8 = _is(c["hardware.precision"], "fp8")
    for path, (fp16, fp8) in _BY_PRECISION.items():
        if not _all_given(c[path]):
            c[path] = _fill(c[path], np.where(is_fp8, fp8, fp16))
    _normalize_budget(c)
    wan_bandwidth = _fill(c["network.wan.bandwidth_mbps"], FIELDS["network.wan.bandwidth_mbps"].default)
    c["network.wan.bandwidth_mbps"] = wan_bandwidth
    c["network.wan.upload_mbps"] = _fill(c["network.wan.upload_mbps"], wan_bandwidth)
    c["network.wan.download_mbps"] = _fill(c["network.wan.download_mbps"], wan_bandwidth)
    straggler = _fill(c["network.straggler"], _seed_or_revised("network.straggler", revised, any_revised, all_revised))
    c["network.straggler"] = straggler
    if not _all_given(c["network.straggler_per_doubling"]):
        per_doubling = np.zeros(len(straggler))
        for mode, coefficient in _STRAGGLER_PER_DOUBLING.items():
            per_doubling = np.where(_is(straggler, mode), coefficient, per_doubling)
        c["network.straggler_per_doubling"] = _fill(c["network.straggler_per_doubling"], per_doubling)
    quality = _fill(c["compression.quality"], FIELDS["compression.quality"].default)
    c["compression.quality"] = quality
    if not _all_given(c["compression.activation_quality"]):
        named = np.empty(len(quality), dtype=object)
        named[:] = [q if isinstance(q, str) else "expected" for q in quality.tolist()]
        c["compression.activation_quality"] = _fill(c["compression.activation_quality"], named)
    # One scenario, or a sweep's fixed fields: the constant default columns, built once. A measured
    # speed copy of the loop below (about 6 % of one `simulate`); both give the same bits.
    if len(revised) == 1:
        defaults = _DEFAULT_COLUMNS[all_revised]
        for path in _PLAIN_DEFAULTS:
            column = c[path]
            if len(column) == 1:
                value = column[0]
                if value is None or value != value:
                    c[path] = defaults[path]
            elif column.dtype == object:
                if not _all_given(column):
                    c[path] = _fill(column, defaults[path][0])
            else:
                missing = np.isnan(column)
                if missing.any():
                    default = float(defaults[path][0])
                    c[path] = np.full(len(column), default) if missing.all() else np.where(missing, default, column)
        return c
    for path in _PLAIN_DEFAULTS:
        column = c[path]
        if not _all_given(column):
            c[path] = _fill(column, _seed_or_revised(path, revised, any_revised, all_revised))
    return c


def _normalize_node(c: Columns, revised: NDArray[np.bool_], any_revised: bool, all_revised: bool) -> None:
    """The node of each point: preset, then the reference node, then the largest node of a GPU
    under the registration threshold (model.md §1.2-1.3; variants.md §8)."""
    presets = node_presets()
    preset_column = c["hardware.preset"]
    if given(preset_column).any():
        for name, mask in groups(preset_column):
            if name is None:
                continue
            for key in ("gpu", "gpus_per_node", "precision"):
                path = f"hardware.{key}"
                value = presets[name][key]
                column = c[path]
                length = max(len(column), len(mask))
                where = np.broadcast_to(mask, (length,)) & ~np.broadcast_to(given(column), (length,))
                if where.any():
                    if column.dtype == object:
                        column = np.broadcast_to(column, (length,)).copy()
                        column[where] = value
                    else:
                        column = np.where(where, float(value), column)
                    c[path] = column
    gpu = c["hardware.gpu"]
    custom = given(c["hardware.node_pflops"]) | given(c["hardware.node_memory_gb"])
    reference = ~given(gpu) & ~custom
    if reference.any():
        reference_gpu = np.empty(len(reference), dtype=object)
        reference_gpu[reference] = REFERENCE_GPU
        c["hardware.gpu"] = gpu = _fill(gpu, reference_gpu)
        reference_count = np.where(revised, REFERENCE_GPUS_REVISED, REFERENCE_GPUS_SEED)
        c["hardware.gpus_per_node"] = np.where(
            reference & ~given(c["hardware.gpus_per_node"]), reference_count, c["hardware.gpus_per_node"]
        )
    c["hardware.precision"] = _fill(c["hardware.precision"], "fp16")
    count = c["hardware.gpus_per_node"]
    if not given(count).all() and given(gpu).any():
        threshold = _fill(c["reporting.registration_threshold_h100_eq"], 16.0)
        unit = _fill(c["reporting.h100_equivalent_tflops"], 990.0)
        fp16 = gpu_columns(gpu, "fp16_tflops")["fp16_tflops"]
        rule = max_gpus_under_threshold(fp16, threshold, h100_equivalent_tflops=unit)
        missing = given(gpu) & ~given(count)
        bad = missing & (rule < 1)
        if bad.any():
            i = int(np.argmax(np.broadcast_to(bad, (max(len(bad), 1),))))
            name = np.broadcast_to(gpu, bad.shape)[i]
            raise ScenarioError(
                "reporting.registration_threshold_h100_eq",
                float(np.broadcast_to(threshold, bad.shape)[i]),
                f"below one {name}: give hardware.gpus_per_node or a higher threshold",
            )
        c["hardware.gpus_per_node"] = np.where(missing, rule, count)
    c["hardware.prices"] = _fill(
        c["hardware.prices"], _seed_or_revised("hardware.prices", revised, any_revised, all_revised)
    )


def gpu_columns(gpu: np.ndarray, *attributes: str) -> dict[str, NDArray[np.float64]]:
    """Catalogue attributes of each point's GPU, the column grouped once (NaN where no GPU or
    no value)."""
    out = {attribute: np.full(len(gpu), np.nan) for attribute in attributes}
    for name, mask in groups(gpu):
        if name is None:
            continue
        entry = gpu_catalogue()[name]
        for attribute, column in out.items():
            value = getattr(entry, attribute)
            column[mask] = np.nan if value is None else value
    return out


def _normalize_budget(c: Columns) -> None:
    """days from years, or the default 1.5 years unless a token target is given (model.md §0)."""
    days, years, tokens = c["training.days"], c["training.years"], c["training.tokens"]
    from_years = years * YEAR_DAYS
    default = np.where(given(tokens), np.nan, DEFAULT_BUDGET_DAYS)
    c["training.days"] = np.where(given(days), days, np.where(given(years), from_years, default))
