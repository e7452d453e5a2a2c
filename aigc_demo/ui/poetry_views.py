"""What the poetry tab shows around its controls: the form list and rules, each poem's check, the examples."""

from aigc_demo.tasks.poetry.forms import FORMS, get_form
from aigc_demo.tasks.poetry.poetry import PoemResult
from aigc_demo.ui.common import tr
from aigc_demo.ui.i18n import t

EXAMPLES = [
    ["明月", "wuyan-jueju", ""],
    ["春风又绿江南岸", "qiyan-jueju", ""],
    ["山水田园", "wuyan-lushi", "春夏秋冬风花雪月"],
    ["思乡", "qiyan-jueju", "月是故乡"],
    ["autumn rain on a quiet street", "haiku", ""],
    ["the sea at night", "english-quatrain", "MOON"],
    ["a city waking up", "english-free", ""],
]
EXAMPLE_LABELS = [
    "🌕 明月 · 五言绝句",
    "🌿 首句 · 七言绝句",
    "🏞️ 藏头 · 五言律诗",
    "🏠 藏头 · 七言绝句",
    "🍂 Haiku (EN)",
    "🌊 Acrostic quatrain (EN)",
    "🏙️ Free verse (EN)",
]


def form_choices() -> list[tuple]:
    """Dropdown entries: Chinese forms show their Chinese name in both languages, English ones say "English"."""
    choices = []
    for form in FORMS.values():
        if form.language == "zh":
            text = t(f"poem.form.{form.key}", f"{form.label_zh} · {form.label_en}", form.label_zh)
        else:
            text = t(f"poem.form.{form.key}", f"{form.label_en} (English)", f"{form.label_zh}（英文）")
        choices.append((text, form.key))
    return choices


def form_rules(lang: str, form_key: str) -> str:
    form = get_form(form_key)
    return tr(lang, form.rules_en, form.rules_zh)


def checker_markdown(lang: str, result: PoemResult, i: int) -> str:
    """The form checker under poem `i`: empty while writing, then ✓/✗ per line in the user's language."""
    if i >= len(result.reports):
        return tr(lang, "*Writing…*", "*写作中……*") if i < len(result.poems) else ""
    title = tr(lang, "**Form check**", "**格律检查**")
    return f"{title}  \n{result.reports[i].to_markdown(lang, details=True)}"


def poem_names(lang: str, n: int) -> list[str]:
    return [tr(lang, f"Poem {i + 1}", f"第 {i + 1} 首") for i in range(n)]
