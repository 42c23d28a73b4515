"""The one configuration of a ReST / ReST-EM run: a dataclass tree, loadable from a TOML file.

Every paper knob is a named field whose help text gives the paper's value (Singh et al. 2023, ReST-EM;
Gulcehre et al. 2023, ReST). A TOML file mirrors the tree: top-level keys plus one table per section
(`[model]`, `[data]`, `[sampling]`, ...). Unknown keys and bad values are a `ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from rest_verify.dtypes import DTYPES
from rest_verify.errors import RestEmError
from rest_verify.records import HUB_SCHEME, HubDataset


class ConfigError(RestEmError, ValueError):
    """A configuration key is unknown or its value is out of range; the message names the key."""


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass
class ModelConfig:
    path: str = field(default="", metadata=_help(
        "Base checkpoint: a directory `from_pretrained` reads, relative to the config file, or a hub model "
        "by name, hf://Qwen/Qwen2.5-Math-1.5B (downloaded into the Hugging Face cache when the run starts)."))
    device: str = field(default="auto", metadata=_help(
        "Where generation and training run: 'auto' (cuda when available), 'cpu', 'cuda' or 'cuda:N'."))
    dtype: str = field(default="auto", metadata=_help(
        "Numeric type the model samples and fine-tunes in (also vLLM's dtype): 'auto', 'float32', 'bfloat16' "
        "or 'float16'. 'auto': on a GPU the checkpoint's type (float16 where the card lacks bf16); on a CPU "
        "bfloat16 only for a bf16 checkpoint on a processor with native bf16 (AVX512-BF16 or AMX), else "
        "float32, which CPUs without it compute tens of times faster. The choice and its reason are written "
        "to run.json."))


@dataclass
class DataConfig:
    task: str = field(default="", metadata=_help(
        "Registered task that loads problems and formats prompts (`rest-em plugins` lists them), e.g. "
        "math_jsonl, gsm8k_jsonl, apps, arith."))
    train_path: str | None = field(default=None, metadata=_help(
        "Training problems (the E-step samples solutions for these): a file or folder relative to the config "
        "file, or a data set by name, hf://openai/gsm8k (a local folder in the hub's layout: hf://./gsm8k)."))
    eval_path: str | None = field(default=None, metadata=_help(
        "Held-out problems for pass@k / maj@k, as train_path."))
    train_name: str | None = field(default=None, metadata=_help(
        "hf:// train_path only: the data set's config name (openai/gsm8k: 'main'; None: its default)."))
    eval_name: str | None = field(default=None, metadata=_help("hf:// eval_path only: as train_name."))
    train_split: str = field(default="train", metadata=_help("hf:// train_path only: the split to read."))
    eval_split: str = field(default="test", metadata=_help("hf:// eval_path only: the split to read."))
    train_revision: str | None = field(default=None, metadata=_help(
        "hf:// train_path only: the data set's git revision (a commit pins the data; None: the main branch)."))
    eval_revision: str | None = field(default=None, metadata=_help("hf:// eval_path only: as train_revision."))
    train_options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Keyword options for the task's load() on the training split, e.g. {exclude = 'math500.jsonl'}."))
    eval_options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Keyword options for the task's load() on the held-out split."))
    train_limit: int | None = field(default=None, metadata=_help(
        "Use only the first N training problems (None: all).", minimum=1))
    eval_limit: int | None = field(default=None, metadata=_help(
        "Use only the first N held-out problems (None: all).", minimum=1))

    def source(self, split: Literal["train", "eval"], *, streaming: bool = False) -> str | None:
        """What the task's load() reads for `split`: the path, or for hf:// the data set with its config
        name, split and revision (`streaming`: rows as they arrive, for a look at the first few)."""
        path = getattr(self, f"{split}_path")
        if not is_hub_path(path):
            return path
        return HubDataset(path[len(HUB_SCHEME):], name=getattr(self, f"{split}_name"),
                          split=getattr(self, f"{split}_split"), revision=getattr(self, f"{split}_revision"),
                          streaming=streaming).url()


def is_hub_path(path: str | None) -> bool:
    return path is not None and path.startswith(HUB_SCHEME)


@dataclass
class SamplingConfig:
    samples_per_problem: int = field(default=32, metadata=_help(
        "K, solutions sampled per training problem in each E-step (paper: 32 for MATH, 64 for APPS).",
        minimum=1))
    temperature: float = field(default=1.0, metadata=_help(
        "Sampling temperature (paper: 1.0). 0 means greedy decoding.", minimum=0.0))
    top_k: int = field(default=40, metadata=_help(
        "Sample among the k most likely tokens (paper: 40); 0 disables the cut.", minimum=0))
    top_p: float = field(default=1.0, metadata=_help(
        "Nucleus sampling mass (paper: not used, 1.0).", minimum=0.0, maximum=1.0, exclusive_minimum=True))
    max_new_tokens: int = field(default=512, metadata=_help(
        "Longest completion in tokens.", minimum=1))
    stop: list[str] | None = field(default=None, metadata=_help(
        "Strings that end a completion (cut off, not kept). None: the task's own stop strings."))


@dataclass
class ChatConfig:
    template: bool = field(default=False, metadata=_help(
        "Format prompts with the tokenizer's chat template (instruct models): the problem's prompt becomes "
        "the user turn, the completion the assistant turn, and the M-step learns that turn only."))
    system: str | None = field(default=None, metadata=_help(
        "System message placed first (None: none, or whatever the template itself adds)."))
    shots: list[dict[str, str]] = field(default_factory=list, metadata=_help(
        "Few-shot turns before the problem, each a table {user = '...', assistant = '...'}."))


@dataclass
class GenerationConfig:
    backend: str = field(default="transformers", metadata=_help(
        "Registered generator backend (`register_generators`); built in: transformers, vllm, openai (servers)."))
    batch_size: int = field(default=64, metadata=_help(
        "Sequences decoded together (prompts x samples). Larger is faster until memory runs out.", minimum=1))
    options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Extra keyword options for the backend's factory (vllm: python, data_parallel_size, "
        "tensor_parallel_size and any vllm.LLM argument but dtype, which is model.dtype; openai: "
        "base_urls = [...])."))


@dataclass
class GradingConfig:
    verifier: str | None = field(default=None, metadata=_help(
        "Registered verifier giving the reward the run trains on (None: the task's verifier, e.g. math for "
        "MATH); in mode 'rest-em' it also gives pass@k."))
    verifier_options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Options for the `configure` of the verifier that judges correctness (e.g. extraction = 'strict' for "
        "math): grading.verifier in mode 'rest-em', the task's verifier (pass@k) in mode 'rest'."))
    workers: int = field(default=2, metadata=_help(
        "Grading worker processes; 0 grades in-process without deadline (trusted verifiers only).", minimum=0))
    timeout: float | None = field(default=None, metadata=_help(
        "Wall-clock seconds per verdict before its worker is killed and the verdict is a timeout. None: the "
        "verifier's own deadline (apps: its sandbox budget plus a margin), else 10.",
        minimum=0.0, exclusive_minimum=True))
    backend: Literal["local", "ray"] = field(default="local", metadata=_help(
        "'local': this machine's worker pool; 'ray': a Ray cluster, each node with its own pool of `workers` "
        "(pip install 'rest-em[ray]')."))
    address: str | None = field(default=None, metadata=_help(
        "Ray cluster to join with backend = 'ray' (HOST:PORT or ray://HOST:PORT; None: start a local one)."))
    sandbox_options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Options for the sandbox of every verifier of the run that runs one (e.g. runtime = 'runsc': Docker "
        "under gVisor), checked before the run starts."))


@dataclass
class FilterConfig:
    max_per_problem: int = field(default=10, metadata=_help(
        "Most kept solutions per problem, so easy problems do not dominate (paper: 10).", minimum=1))
    thresholds: list[float] | None = field(default=None, metadata=_help(
        "Reward threshold of each iteration, not decreasing; samples with reward >= threshold are kept. "
        "None: ReST-EM's binary filter, reward >= 1. (ReST proper, one Grow dataset filtered at rising "
        "thresholds: mode = 'rest' and the [rest] section.)"))
    dedupe: bool = field(default=True, metadata=_help(
        "Drop repeated identical completions of the same problem before capping."))


@dataclass
class TrainConfig:
    init_from: Literal["base", "previous"] = field(default="base", metadata=_help(
        "M-step start: 'base' fine-tunes the base model every iteration (ReST-EM, less overfitting); "
        "'previous' continues from the last iterate (ReST)."))
    loss: Literal["nll", "reward_weighted"] = field(default="nll", metadata=_help(
        "'nll': negative log-likelihood of the kept completions (ReST-EM; ReST's best, behaviour cloning); "
        "'reward_weighted': each example's NLL times its reward (for real-valued rewards)."))
    learning_rate: float = field(default=1e-5, metadata=_help(
        "Peak learning rate (paper: tuned per model size; ~1e-5 range for PaLM-2 fine-tuning).",
        minimum=0.0, exclusive_minimum=True))
    epochs: float = field(default=2.0, metadata=_help(
        "Passes over the kept solutions per M-step.", minimum=0.0, exclusive_minimum=True))
    batch_size: int = field(default=8, metadata=_help("Per-device training batch size.", minimum=1))
    gradient_accumulation_steps: int = field(default=1, metadata=_help(
        "Batches accumulated per optimiser step.", minimum=1))
    warmup_ratio: float = field(default=0.0, metadata=_help(
        "Fraction of steps with a linear learning-rate warm-up.", minimum=0.0, maximum=1.0))
    weight_decay: float = field(default=0.0, metadata=_help("AdamW weight decay.", minimum=0.0))
    max_length: int = field(default=2048, metadata=_help(
        "Prompt + completion tokens kept per example (longer ones are cut).", minimum=2))
    deepspeed: str | None = field(default=None, metadata=_help(
        "DeepSpeed JSON config path, passed to TrainingArguments.deepspeed (multi-GPU runs via accelerate)."))
    trainer_args: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "Extra TrainingArguments fields passed through as-is (bf16, fsdp, gradient_checkpointing, ...)."))
    peft: dict[str, Any] | None = field(default=None, metadata=_help(
        "LoRA through peft, as a table [train.peft]: r, alpha, dropout, target_modules, or any other "
        "peft.LoraConfig field by its own name (an empty table: peft's defaults). Each M-step trains an adapter "
        "(from the base with init_from = 'base', ReST-EM; the previous iteration's adapter, continued, with "
        "'previous', ReST) and merges it into a full checkpoint for sampling. None: full fine-tuning."))


@dataclass
class EvalConfig:
    ks: list[int] = field(default_factory=lambda: [1, 4, 16], metadata=_help(
        "k values for pass@k and maj@k on held-out problems (paper: pass@k and maj@k up to 64)."))
    samples_per_problem: int | None = field(default=None, metadata=_help(
        "n samples per held-out problem for the unbiased estimators (None: the largest k).", minimum=1))


@dataclass
class RestConfig:
    grow_steps: int = field(default=1, metadata=_help(
        "mode 'rest': Grow steps; each samples one dataset from the current policy (paper: 1 to 2).", minimum=1))
    improve_steps: int = field(default=3, metadata=_help(
        "mode 'rest': Improve steps per Grow step; each filters that Grow dataset at the next threshold and "
        "fine-tunes from the previous step's model (paper: up to 4 or 5).", minimum=1))
    thresholds: list[float] = field(default_factory=lambda: [0.5, 0.7, 0.9], metadata=_help(
        "mode 'rest': one threshold per Improve step, strictly rising (tau_1 < tau_2 < ...); a sample is "
        "kept when its reward reaches it (paper: rising from 0 to about 0.9 on rewards in [0, 1])."))
    threshold_kind: Literal["quantile", "absolute"] = field(default="quantile", metadata=_help(
        "'quantile': each threshold is a quantile in [0, 1] of the Grow dataset's rewards, so every step "
        "keeps a known share; 'absolute': thresholds are reward values."))
    normalise: Literal["none", "zscore"] = field(default="none", metadata=_help(
        "'zscore': rewards become per-prompt z-scores over the Grow dataset before thresholds apply, so one "
        "threshold means 'better than this prompt's typical sample' for easy and hard prompts alike."))
    reward_options: dict[str, Any] = field(default_factory=dict, metadata=_help(
        "mode 'rest': options for the reward source's (grading.verifier's) configure(), e.g. "
        "{checkpoint = 'rm/', normalise = 'sigmoid'} for the rm plugin's reward model."))


@dataclass
class TrackingConfig:
    report_to: list[Literal["tensorboard", "mlflow", "wandb"]] = field(default_factory=list, metadata=_help(
        "Experiment trackers that receive each iteration's held-out metrics, kept counts, verdict status counts, "
        "stage times and M-step loss curve, with the config as parameters: any of 'tensorboard', 'mlflow', "
        "'wandb' (pip install 'rest-em[tracking]'). Empty: none."))
    dir: str | None = field(default=None, metadata=_help(
        "Folder for TensorBoard event files, W&B's files and the default MLflow store. None: "
        "<output_dir>/tracking. Relative to the config file."))
    mlflow_uri: str | None = field(default=None, metadata=_help(
        "MLflow tracking URI (http://host:5000, sqlite:///path/mlflow.db, ...). None: a SQLite store "
        "mlflow.db in tracking.dir."))
    experiment: str = field(default="rest-em", metadata=_help("MLflow experiment and W&B project name."))
    run_name: str | None = field(default=None, metadata=_help(
        "Name of the tracked run (None: the output directory's name)."))


@dataclass
class RunConfig:
    mode: Literal["rest-em", "rest"] = field(default="rest-em", metadata=_help(
        "'rest-em': E-step, binary filter, M-step per iteration (Singh et al. 2023). 'rest': Grow / Improve "
        "(Gulcehre et al. 2023): rewards from grading.verifier (e.g. the rm reward model), pass@k from the "
        "task's verifier; the [rest] section sets the schedule and `iterations` is not used."))
    output_dir: str = field(default="rest-em-run", metadata=_help(
        "Run directory; rerunning with the same directory resumes. Relative to the config file."))
    iterations: int = field(default=3, metadata=_help(
        "EM iterations (paper: most gain in 1-2; APPS overfits by 2).", minimum=0))
    seed: int = field(default=0, metadata=_help("Seed of every sampling and training stage."))
    model: ModelConfig = field(default_factory=ModelConfig, metadata=_help("The base model."))
    data: DataConfig = field(default_factory=DataConfig, metadata=_help("Problems and their task."))
    sampling: SamplingConfig = field(default_factory=SamplingConfig, metadata=_help("E-step sampling."))
    chat: ChatConfig = field(default_factory=ChatConfig, metadata=_help("Prompts for instruct models."))
    generation: GenerationConfig = field(default_factory=GenerationConfig, metadata=_help("Generation backend."))
    grading: GradingConfig = field(default_factory=GradingConfig, metadata=_help("Reward computation."))
    filter: FilterConfig = field(default_factory=FilterConfig, metadata=_help("Which samples are kept."))
    train: TrainConfig = field(default_factory=TrainConfig, metadata=_help("M-step fine-tuning."))
    eval: EvalConfig = field(default_factory=EvalConfig, metadata=_help("Held-out evaluation."))
    rest: RestConfig = field(default_factory=RestConfig, metadata=_help("mode 'rest': Grow / Improve schedule."))
    tracking: TrackingConfig = field(default_factory=TrackingConfig, metadata=_help("Experiment tracking."))

    def __post_init__(self) -> None:
        validate(self)

    @property
    def eval_samples(self) -> int:
        return self.eval.samples_per_problem or max(self.eval.ks)

    def threshold(self, iteration: int) -> float:
        """The reward a sample needs to be kept in `iteration` (1-based)."""
        if self.filter.thresholds is None:
            return 1.0
        return self.filter.thresholds[iteration - 1]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path) -> RunConfig:
    """Read a TOML config; relative paths in it resolve against the file's directory."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    config = from_dict(data)
    return resolve_paths(config, path.parent)


def from_dict(data: Mapping[str, Any]) -> RunConfig:
    """Build a validated config from nested mappings (a parsed TOML file, or run.json's record)."""
    return _build(RunConfig, data, prefix="")


def resolve_paths(config: RunConfig, base: Path) -> RunConfig:
    """The config with its relative file paths made absolute against `base`."""
    def absolute(value: str | None) -> str | None:
        if not value:
            return value
        candidate = Path(value).expanduser()
        return str(candidate if candidate.is_absolute() else (base / candidate).resolve())

    def data(value: str | None) -> str | None:
        """A local folder named by hf:// (`hf://./gsm8k`) resolves as any path; a hub name stays a name."""
        if not is_hub_path(value):
            return absolute(value)
        repo = value[len(HUB_SCHEME):]
        return f"{HUB_SCHEME}{absolute(repo)}" if repo.startswith(".") else value

    return dataclasses.replace(
        config,
        output_dir=absolute(config.output_dir),
        model=dataclasses.replace(config.model, path=data(config.model.path) or ""),
        data=dataclasses.replace(config.data, train_path=data(config.data.train_path),
                                 eval_path=data(config.data.eval_path)),
        train=dataclasses.replace(config.train, deepspeed=absolute(config.train.deepspeed)),
        tracking=dataclasses.replace(config.tracking, dir=absolute(config.tracking.dir)),
    )


def validate(config: RunConfig) -> None:
    """Range checks across fields; each failure names the key."""
    for section_name, section in [("", config)] + [(f.name, getattr(config, f.name))
                                                   for f in dataclasses.fields(config)
                                                   if dataclasses.is_dataclass(getattr(config, f.name))]:
        for item in dataclasses.fields(section):
            value = getattr(section, item.name)
            key = f"{section_name}.{item.name}" if section_name else item.name
            _check_range(key, value, item.metadata)
    if not config.eval.ks or any(k < 1 for k in config.eval.ks):
        raise ConfigError(f"eval.ks must be a non-empty list of positive integers, got {config.eval.ks}")
    if config.eval_samples < max(config.eval.ks):
        raise ConfigError(f"eval.samples_per_problem ({config.eval_samples}) must be at least the largest "
                          f"k in eval.ks ({max(config.eval.ks)})")
    thresholds = config.filter.thresholds
    if thresholds is not None:
        if len(thresholds) < config.iterations:
            raise ConfigError(f"filter.thresholds has {len(thresholds)} values but iterations is "
                              f"{config.iterations}: give one threshold per iteration")
        if any(b < a for a, b in zip(thresholds, thresholds[1:])):
            raise ConfigError(f"filter.thresholds must not decrease (ReST raises them), got {thresholds}")
    for index, shot in enumerate(config.chat.shots):
        if set(shot) != {"user", "assistant"}:
            raise ConfigError(f"chat.shots[{index}] must have exactly the keys user and assistant, "
                              f"got {', '.join(sorted(shot)) or 'none'}")
    if config.model.dtype not in DTYPES:
        raise ConfigError(f"model.dtype must be one of {', '.join(map(repr, DTYPES))}, got {config.model.dtype!r}")
    if "dtype" in config.generation.options:
        raise ConfigError("generation.options.dtype is set; the model's numeric type is model.dtype now "
                          "(the same for every backend and for fine-tuning): move it there")
    if config.train.deepspeed and "deepspeed" in config.train.trainer_args:
        raise ConfigError("train.deepspeed and train.trainer_args.deepspeed are both set; keep one")
    if len(set(config.tracking.report_to)) != len(config.tracking.report_to):
        raise ConfigError(f"tracking.report_to names a tracker twice: {config.tracking.report_to}")
    _validate_data(config.data)
    if config.mode == "rest":
        _validate_rest(config.rest)


def _validate_data(data: DataConfig) -> None:
    """The hub fields belong to an hf:// path; the path names only the data set, its options are fields."""
    for split, default_split in (("train", "train"), ("eval", "test")):
        path = getattr(data, f"{split}_path")
        set_fields = [f"data.{split}_{key}" for key in ("name", "revision") if getattr(data, f"{split}_{key}")]
        if getattr(data, f"{split}_split") != default_split:
            set_fields.append(f"data.{split}_split")
        if is_hub_path(path):
            if "?" in path:
                raise ConfigError(f"data.{split}_path: {path!r} carries options; set data.{split}_name, "
                                  f"data.{split}_split and data.{split}_revision instead")
        elif set_fields:
            raise ConfigError(f"{set_fields[0]} applies only to a data set by name (data.{split}_path = "
                              f"'hf://...'), but data.{split}_path is {path!r}")


def _validate_rest(rest: RestConfig) -> None:
    thresholds = rest.thresholds
    if len(thresholds) != rest.improve_steps:
        raise ConfigError(f"rest.thresholds has {len(thresholds)} values but rest.improve_steps is "
                          f"{rest.improve_steps}: give one threshold per Improve step")
    if any(b <= a for a, b in zip(thresholds, thresholds[1:])):
        raise ConfigError(f"rest.thresholds must rise strictly (tau_1 < tau_2 < ...), got {thresholds}")
    if rest.threshold_kind == "quantile" and not all(0.0 <= t <= 1.0 for t in thresholds):
        raise ConfigError(f"rest.thresholds are quantiles (rest.threshold_kind = 'quantile') and must lie in "
                          f"[0, 1], got {thresholds}")


def _check_range(key: str, value: Any, metadata: Mapping[str, Any]) -> None:
    if value is None or isinstance(value, (bool, str, list, dict)) or dataclasses.is_dataclass(value):
        return
    low, high = metadata.get("minimum"), metadata.get("maximum")
    if low is not None:
        if metadata.get("exclusive_minimum") and not value > low:
            raise ConfigError(f"{key} must be > {low}, got {value}")
        if value < low:
            raise ConfigError(f"{key} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ConfigError(f"{key} must be <= {high}, got {value}")


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix.rstrip('.') or 'the config'} must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"unknown config key {prefix + unknown[0]!r}; "
                          f"known keys here: {', '.join(sorted(known))}")
    values = {}
    for name, value in data.items():
        key = prefix + name
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, prefix=key + ".")
        else:
            values[name] = _convert(key, value, hint)
    return cls(**values)


def _convert(key: str, value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(key, value, options[0]) if len(options) == 1 else value
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{key} must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        return [_convert(f"{key}[{i}]", item, args[0]) for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} must be a table, got {value!r}")
        return dict(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    if hint is Any:
        return value
    raise ConfigError(f"{key} has a type the loader does not know: {hint}")


def describe() -> str:
    """Every key with its default and help text: the reference `rest-em run --help-config` prints."""
    lines = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[item.name]):
                lines.append(f"\n[{prefix}{item.name}]  {item.metadata['help']}")
                walk(hints[item.name], prefix + item.name + ".")
                continue
            default = item.default if item.default is not dataclasses.MISSING else item.default_factory()
            lines.append(f"  {item.name} = {default!r}\n      {item.metadata['help']}")

    walk(RunConfig, "")
    return "\n".join(lines).lstrip("\n")
