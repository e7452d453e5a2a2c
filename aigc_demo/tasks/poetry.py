"""Poetry: a theme, keywords or a first line in; a poem in the chosen form out."""

from __future__ import annotations

from aigc_demo import settings
from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.validation import check_number, check_text, resolve_seed

FORMS = {  # key -> (lines, characters per line); English forms have no character count
    "wuyan-jueju": (4, 5),
    "qiyan-jueju": (4, 7),
    "wuyan-lushi": (8, 5),
    "qiyan-lushi": (8, 7),
    "english-quatrain": (4, 0),
    "haiku": (3, 0),
    "english-free": (0, 0),
}


def write_poem(
    manager: ModelManager,
    prompt: str,
    form: str,
    acrostic: str = "",
    model: str = "",
    temperature: float = 1.0,
    top_k: int = 50,
    top_p: float = 0.95,
    seed: int = 0,
) -> str:
    """A poem in `form` about `prompt` (minimal version: sampling without form constraints)."""
    import torch

    prompt = check_text("prompt", prompt, max_chars=200)
    if form not in FORMS:
        raise UserError(
            f"Unknown form '{form}'. Choose one of: {', '.join(FORMS)}.",
            f"未知体裁“{form}”。可选：{'、'.join(FORMS)}。",
        )
    chinese = not form.startswith(("english", "haiku"))
    model = model or ("gpt2-chinese-poem" if chinese else "qwen2.5-0.5b-instruct")
    spec = get_spec(model)
    temperature = check_number("temperature", temperature, 0.05, settings.MAX_TEMPERATURE)
    top_k = check_number("top_k", top_k, 0, settings.MAX_TOP_K, integer=True)
    top_p = check_number("top_p", top_p, 0.01, 1.0)
    seed = resolve_seed(seed)
    lines, chars = FORMS[form]
    with manager.use(spec.key) as lm:
        tok = lm.tokenizer
        if spec.tokenizer_class == "BertTokenizer":
            text = "[CLS]" + " ".join(prompt)
            inputs = tok(text, return_tensors="pt", add_special_tokens=False)
            max_new = lines * (chars + 1)
        else:
            messages = [{"role": "user", "content": f"Write a {form.replace('-', ' ')} poem about: {prompt}"}]
            inputs = tok.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            max_new = 96
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = lm.model.generate(
                **inputs.to(lm.device),
                do_sample=True,
                temperature=temperature,
                top_k=top_k or None,
                top_p=top_p,
                max_new_tokens=max_new,
                pad_token_id=tok.pad_token_id,
            )
        new = out[0, inputs["input_ids"].shape[1] :]
        poem = tok.decode(new, skip_special_tokens=True)
        if spec.tokenizer_class == "BertTokenizer":
            poem = poem.replace(" ", "")
        return poem.strip()
