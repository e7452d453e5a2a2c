"""The "About these outputs" note: what the models are, that they can be wrong, how outputs are labelled."""

from __future__ import annotations

import gradio as gr

from aigc_demo.ui.i18n import t

ABOUT_EN = """\
- **What answers.** Small open models, picked in each tab (by default Qwen2.5 Instruct for text and Chinese summaries,
  GPT-2 for completions and classical Chinese poems, DistilBART for English news, SD-Turbo for images); each model's
  licence is shown under its list. When a model cannot be loaded, an untrained offline stand-in answers and the tab
  says so: its output is random.
- **It can be wrong.** Generated text can state false facts, invent names and quotes, or repeat itself; an image can
  show what never happened. Check anything that matters. An extractive summary copies the article's sentences and
  invents nothing; an abstractive one can get facts wrong.
- **How outputs are labelled.** Every text says "🤖 AI-generated · model · seed" (an extractive summary: "✂️ Extracted
  by an algorithm"), and so does its download, in a header with the settings used. Images are PNG files with their
  settings in text chunks, an IPTC "AI-generated" (trainedAlgorithmicMedia) marker and a signed C2PA manifest. The API
  returns the same label beside each text.
- **How to check a file.** `python -m aigc_demo inspect FILE` (add `--json` for a machine) prints the AI marker, the
  model, seed and settings, and whether the C2PA signature verifies: an image changed after signing fails. A
  self-signed signature proves the file is unchanged, not who made it.
- **Safe mode** refuses prompts on a block list (English and Chinese) before any model runs. It is a floor, not a
  guarantee.
"""

ABOUT_ZH = """\
- **谁在作答。** 各标签页中可选的小型开源模型（默认：文本与中文摘要用 Qwen2.5 Instruct，续写与古诗用 GPT-2，英文新闻用
  DistilBART，图片用 SD-Turbo）；每个模型的许可证显示在模型列表下方。模型无法加载时，由未经训练的离线替身作答，页面会注明：
  其输出是随机的。
- **可能出错。** 生成的文字可能陈述错误的事实、编造人名和引语，或者重复；图片可能呈现从未发生的事。重要的内容请自行核实。
  抽取式摘要照录原文句子，不会编造；生成式摘要可能把事实写错。
- **如何标识。** 每段文字都标有“🤖 AI 生成 · 模型 · 种子”（抽取式摘要标为“✂️ 算法摘录”），下载的文件也在文件头中带有同样的
  标识和所用设置。图片为 PNG 文件，文本块中记有生成设置，并带有 IPTC“AI 生成”（trainedAlgorithmicMedia）标记和经签名的
  C2PA 清单。API 在每段文字旁返回同样的标识。
- **如何核验文件。** 运行 `python -m aigc_demo inspect 文件`（加 `--json` 输出机器可读格式），可显示 AI 标记、模型、种子和
  设置，以及 C2PA 签名是否有效：签名后被改动过的图片无法通过验证。自签名只能证明文件未被改动，不能证明是谁生成的。
- **安全模式** 会在任何模型运行之前拒绝命中屏蔽词表（中英文）的提示词。它只是底线，并非保证。
"""


def create_section() -> None:
    """A closed accordion under the header."""
    with gr.Accordion(t("about.title", "ℹ️ About these outputs", "ℹ️ 关于这些输出"), open=False, elem_id="about"):
        gr.Markdown(t("about.body", ABOUT_EN, ABOUT_ZH), elem_id="about-body")
