"""Offline prompt translation for the image tab: the catalogue's instruct model, through its chat template.

The image models read English best; a Chinese (or other non-English) prompt can be translated first, and the person
sees and edits the English before any image is drawn.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common.language import EAST_ASIAN
from aigc_demo.tasks.common.validation import check_text

TRANSLATION_MODEL = "qwen2.5-0.5b-instruct"
SYSTEM_PROMPT = (
    "You translate descriptions of pictures into English for an image generator. Reply with the English "
    "translation only: no quotes, no notes, no explanations."
)
MAX_NEW_TOKENS = 160  # an image prompt longer than this is cut by the image model's 77-token text encoder anyway


@dataclass
class Translation:
    text: str
    model: str
    is_twin: bool


def looks_non_english(text: str) -> bool:
    """Whether `text` has any CJK character (each is about a word), or mostly non-Latin letters (Cyrillic...)."""
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    if not letters:
        return False
    if EAST_ASIAN.search(text):  # kana, CJK, hangul
        return True
    foreign = sum(1 for c in letters if not ("LATIN" in unicodedata.name(c, "") or c.isascii()))
    return foreign / len(letters) > 0.3


def translate_to_english(manager: ModelManager, text: str, model: str = TRANSLATION_MODEL) -> Translation:
    """`text` in English, by greedy decoding with the instruct model `model`."""
    import torch

    text = check_text("prompt", text, max_chars=settings.MAX_PROMPT_CHARS)
    with manager.use(model) as lm:
        if lm.spec.kind != "instruct" or not lm.tokenizer.chat_template:
            raise UserError(f"{model} cannot translate: it is not a chat model.", f"{model} 不是对话模型，无法翻译。")
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]
        inputs = lm.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        inputs = {k: v.to(lm.device) for k, v in inputs.items()}
        with torch.inference_mode():
            out = lm.model.generate(
                **inputs,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                max_new_tokens=MAX_NEW_TOKENS,
                pad_token_id=lm.tokenizer.pad_token_id or lm.tokenizer.eos_token_id,
            )
        new_tokens = out[0, inputs["input_ids"].shape[1] :]
        english = " ".join(lm.tokenizer.decode(new_tokens, skip_special_tokens=True).split())
        if not english:
            raise UserError(
                "The translation came back empty; please write the English prompt yourself.",
                "翻译结果为空，请自行填写英文提示词。",
            )
        return Translation(english, model, lm.is_twin)
