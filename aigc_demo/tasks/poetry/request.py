"""One poem request: its fields' defaults, bounds and checks, named as transformers names the sampling ones."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from aigc_demo import settings
from aigc_demo.catalog import get_spec, models_for
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.safe_mode import check_prompt
from aigc_demo.tasks.common.validation import check_bool, check_number, check_text, resolve_seed
from aigc_demo.tasks.poetry.english_check import validate_english_request
from aigc_demo.tasks.poetry.forms import Form, get_form
from aigc_demo.tasks.poetry.rhyme_books import DEFAULT_RHYME_BOOK, get_rhyme_book

MAX_PROMPT_CHARS = 200  # a theme, keywords or a first line
DEFAULT_FORM = "wuyan-jueju"
DEFAULT_MODELS = {"zh": "gpt2-chinese-poem", "en": "qwen2.5-0.5b-instruct"}  # per form language


@dataclass(frozen=True)
class PoemRequest:
    """What to write. `validated()` is called once, where the task starts; the UI and /write_poem read the defaults
    and `BOUNDS` from here."""

    prompt: str  # a theme, keywords or a first line
    form: str = DEFAULT_FORM  # a key of forms.FORMS
    acrostic: str = ""  # one character (Chinese) or letter (English) at the head of each line; "" = none
    model: str = ""  # catalogue key; "" = the form's default (DEFAULT_MODELS)
    temperature: float = 1.0  # 1.0 = the model's own distribution, < 1 safer, > 1 more surprising, 0 = greedy
    top_k: int = 50  # keep the k likeliest characters or words; 0 = off
    top_p: float = 0.95  # keep the smallest set with this much probability; 1.0 = off
    seed: int = 0  # -1 = a random one; candidate i of a served model uses seed + i
    strict_rhyme: bool = True  # Chinese forms: the even lines rhyme, guaranteed while decoding
    enforce_tone: bool = False  # Chinese forms: characters 2/4/6 follow the 平仄 pattern
    num_candidates: int = 1  # poems written side by side
    fixed_lines: tuple[str, ...] = ()  # the poem's first lines, kept ("regenerate from line N")
    rhyme_book: str = DEFAULT_RHYME_BOOK  # "pingshui" or "xinyun": for the two rules above and the final check

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "temperature": (0, settings.MAX_TEMPERATURE),
        "top_k": (0, settings.MAX_TOP_K),
        "top_p": (0.01, 1.0),
        "num_candidates": (1, settings.MAX_CANDIDATES),
    }

    def validated(self) -> PoemRequest:
        """A checked copy: the acrostic and kept lines cleaned, the model and seed decided (UserError if not)."""
        prompt = check_text("prompt", self.prompt, max_chars=MAX_PROMPT_CHARS)
        form = get_form(self.form)
        if self.acrostic is not None and not isinstance(self.acrostic, str):
            raise UserError(f"`acrostic` must be text, but got {type(self.acrostic).__name__}.", "“藏头”必须是文本。")
        check_prompt(f"{prompt}\n{self.acrostic or ''}", "text")  # safe mode: refused before any model loads
        fixed_lines = [str(line) for line in self.fixed_lines or ()]
        if form.language == "zh":
            from aigc_demo.tasks.poetry.chinese_decoding import validate_poem_request

            _, acrostic, fixed_lines = validate_poem_request(None, form.key, self.acrostic, fixed_lines)
        else:
            _, acrostic = validate_english_request(form.key, self.acrostic)
        model = _check_model(self.model, form)
        numbers = {
            name: check_number(name, getattr(self, name), lo, hi, integer=name in ("top_k", "num_candidates"))
            for name, (lo, hi) in self.BOUNDS.items()
        }
        return replace(
            self,
            prompt=prompt,
            acrostic=acrostic or "",
            model=model,
            seed=resolve_seed(self.seed),
            strict_rhyme=check_bool("strict_rhyme", self.strict_rhyme),  # "no" or 0 must not quietly mean a rule
            enforce_tone=check_bool("enforce_tone", self.enforce_tone),
            fixed_lines=tuple(fixed_lines),
            rhyme_book=get_rhyme_book(self.rhyme_book).key,
            **numbers,
        )


def default_model(form_key: str) -> str:
    """The catalogue model that writes `form_key` poems when the user picks none."""
    return DEFAULT_MODELS[get_form(form_key).language]


def _check_model(model: str, form: Form) -> str:
    key = model or DEFAULT_MODELS[form.language]
    spec = get_spec(key)
    poets = ", ".join(s.key for s in models_for("poetry"))
    if "poetry" not in spec.tasks:
        raise UserError(
            f"{key} does not write poems; choose one of: {poets} (or leave the model empty).",
            f"{key} 不能写诗；可选：{poets}（或不选模型）。",
        )
    if form.language not in spec.languages:
        raise UserError(
            f"{key} cannot write {'Chinese' if form.language == 'zh' else 'English'} poems; "
            f"choose {DEFAULT_MODELS[form.language]} or leave the model empty.",
            f"{key} 不能写{'中文' if form.language == 'zh' else '英文'}诗；请选择 {DEFAULT_MODELS[form.language]} 或不选模型。",
        )
    return key
