"""Abstractive summary with one loaded model: token budget, prompts, cancellable generation, and map-reduce.

An article longer than the model's input window is cut into chunks on sentence boundaries (news_chunks), each chunk is
summarised, then the chunk summaries are summarised together until one remains. The generators here yield Progress
events while they work, and keep yielding while a generation runs, so that closing them (the Stop button) stops it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aigc_demo.errors import UserError
from aigc_demo.manager import LoadedModel
from aigc_demo.tasks.common.streaming import StopOnEvent
from aigc_demo.tasks.common.worker import SUMMARIZE_THREAD, Worker
from aigc_demo.tasks.news.chunks import chunk_sentences

MAX_REDUCE_LEVELS = 4  # rounds of summarising summaries before giving up and showing the part summaries in order
HEARTBEAT_S = 0.5  # how often a running generation yields, so a Stop button can end it between decoding steps
MIN_INPUT_BUDGET = 64  # tokens of article a chunk must hold at least

PROMPT_MARGIN = 8  # tokens kept free in a chat model's window: the text may merge with the prompt's last token
PROMPTS = {  # chat models read the instruction, a blank line, then the article, a part of it, or the part summaries
    ("article", "en"): "Summarize the following news article in a few sentences. Use only facts stated in it.",
    ("article", "zh"): "请用几句话概括下面这篇新闻的要点，只使用文中写明的事实。",
    ("part", "en"): "Summarize this part of a news article in a few sentences. Use only facts stated in it.",
    ("part", "zh"): "请用几句话概括下面这段新闻的要点，只使用文中写明的事实。",
    ("reduce", "en"): "These are summaries of consecutive parts of one news article. Combine them into one short "
    "summary of the whole article, using only facts stated in them.",
    ("reduce", "zh"): "下面是同一篇新闻各部分的摘要。请把它们合并成一段简短的全文摘要，只使用其中写明的事实。",
}


@dataclass(frozen=True)
class Progress:
    """One step of a run: `stage` is load, extract, map (one chunk) or reduce (combining summaries)."""

    stage: str
    done: int
    total: int
    en: str
    zh: str

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.lower().startswith("zh") else self.en


class AbstractiveWriter:
    """Summarises with one loaded model: token budget, prompts, generation, and the map-reduce over chunks."""

    def __init__(self, lm: LoadedModel, language: str, max_new_tokens: int, min_new_tokens: int, cap: int | None):
        self.lm, self.tok, self.language = lm, lm.tokenizer, language
        self.max_new_tokens, self.min_new_tokens = max_new_tokens, min_new_tokens
        self.seq2seq = lm.spec.kind == "seq2seq"
        self.window = lm.spec.context_window or lm.model.config.max_position_embeddings
        if self.seq2seq:
            overhead = self.tok.num_special_tokens_to_add()
        else:  # the prompt around the text and the reply share a decoder-only model's window
            overhead = max(len(self._inputs("", stage)["input_ids"][0]) for stage in ("article", "part", "reduce"))
            overhead += max_new_tokens + PROMPT_MARGIN
        self.budget = min(self.window - overhead, cap or self.window)
        if self.budget < MIN_INPUT_BUDGET:
            raise UserError(
                f"max_new_tokens ({max_new_tokens}) leaves too little room for the article in {lm.key}'s window "
                f"of {self.window:,} tokens; lower it.",
                f"最大生成长度（{max_new_tokens}）过大，{lm.key} 的上下文（{self.window:,} 个词元）放不下文章，请调低。",
            )
        self.joiner = "" if language == "zh" else " "
        self.warnings: list[tuple[str, str]] = []
        self.current = Progress("map", 0, 1, "Writing the summary…", "正在生成摘要……")

    def map_reduce(self, sentences: list[str]):
        """Summarise the sentences (as several chunks if they do not fit); returns (summary, chunks, levels)."""
        chunks, oversized = chunk_sentences(sentences, self.tok, self.budget, self.joiner)
        n = len(chunks)
        if oversized:
            self.warnings.append(
                (
                    f"{oversized} sentence(s) were longer than the model's input window ({self.budget:,} tokens) and "
                    "were split mid-sentence; nothing was left out.",
                    f"有 {oversized} 个句子超过模型的输入长度（{self.budget:,} 个词元），已从句中拆开，没有内容被丢弃。",
                )
            )
        summaries, hits = [], []
        for i, chunk in enumerate(chunks):
            yield self._progress(
                "map",
                i,
                n,
                f"Summarising part {i + 1} of {n}…" if n > 1 else "Writing the summary…",
                f"正在摘要第 {i + 1}/{n} 部分……" if n > 1 else "正在生成摘要……",
            )
            text, hit = yield from self.write(chunk.text, "article" if n == 1 else "part")
            summaries.append(text)
            hits.append(hit)
        levels = all_hits = 0
        while len(summaries) > 1:
            groups, _ = chunk_sentences(summaries, self.tok, self.budget, "\n")
            if len(groups) >= len(summaries) or levels >= MAX_REDUCE_LEVELS:
                self.warnings.append(
                    (
                        "The part summaries were too long to combine into one, so they are shown one after another.",
                        "各部分的摘要太长，无法合并为一段，因此依次列出。",
                    )
                )
                break
            levels += 1
            all_hits += sum(hits)
            summaries, hits = [], []
            for j, group in enumerate(groups):
                yield self._progress(
                    "reduce",
                    j,
                    len(groups),
                    f"Combining the summaries of {n} parts (round {levels}, {j + 1} of {len(groups)})…",
                    f"正在合并 {n} 个部分的摘要（第 {levels} 轮，{j + 1}/{len(groups)}）……",
                )
                text, hit = yield from self.write(group.text, "reduce")
                summaries.append(text)
                hits.append(hit)
        self._warn_limits(all_hits, sum(hits))
        return self.joiner.join(summaries), chunks, levels

    def write(self, text: str, prompt: str):
        """One generation for `text` (which fits the budget); yields while it runs, returns (summary, hit the limit)."""
        inputs = self._inputs(text, prompt)
        length = int(inputs["input_ids"].shape[1])
        needed = length if self.seq2seq else length + self.max_new_tokens
        if needed > self.window:  # chunking guarantees this never happens; if it did, the model would cut silently
            raise RuntimeError(f"{needed} tokens exceed {self.lm.key}'s window of {self.window}.")
        out = yield from self._generate(inputs)
        new = out[0, 1:] if self.seq2seq else out[0, length:]  # seq2seq output starts with the decoder start token
        ids = [int(t) for t in new if int(t) != self.tok.pad_token_id]
        config = self.lm.model.generation_config
        eos = set(config.eos_token_id) if isinstance(config.eos_token_id, list) else {config.eos_token_id}
        # BART forces eos as the last token when it runs out of room, so a final eos does not prove a natural end.
        ended = bool(eos & set(ids[:-1])) or (bool(ids) and ids[-1] in eos and config.forced_eos_token_id is None)
        hit = len(ids) >= self.max_new_tokens and not ended
        return self.tok.decode(ids, skip_special_tokens=True).strip(), hit

    def _progress(self, *args) -> Progress:
        self.current = Progress(*args)  # repeated while the model runs, so the caller can stop it between steps
        return self.current

    def _inputs(self, text: str, prompt: str) -> dict:
        tok = self.tok
        if self.seq2seq:
            return dict(tok(text, return_tensors="pt"))
        instruction = PROMPTS[prompt, self.language]
        if tok.chat_template:
            messages = [{"role": "user", "content": f"{instruction}\n\n{text}"}]
            enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            return dict(enc)
        return dict(tok(f"{instruction}\n\n{text}\n\n", return_tensors="pt"))

    def _generate_kwargs(self) -> dict:
        defaults = self.lm.spec.defaults
        kwargs = {"max_new_tokens": self.max_new_tokens, "min_new_tokens": self.min_new_tokens, "do_sample": False}
        kwargs["min_length"] = 0  # distilbart's generation_config sets min_length 56, which would override the user
        if self.seq2seq:
            for name in ("num_beams", "length_penalty", "no_repeat_ngram_size"):
                if name in defaults:
                    kwargs[name] = defaults[name]
            kwargs["early_stopping"] = kwargs.get("num_beams", 1) > 1
        else:  # greedy keeps the summary close to the article; the chat defaults are tuned for conversation
            kwargs |= {"temperature": None, "top_p": None, "top_k": None}
            kwargs["repetition_penalty"] = defaults.get("repetition_penalty", 1.0)
        if self.tok.pad_token_id is None:
            kwargs["pad_token_id"] = self.tok.eos_token_id
        return kwargs

    def _generate(self, inputs: dict):
        """model.generate in a worker thread; yields every HEARTBEAT_S so that closing this generator stops it."""
        from transformers import StoppingCriteriaList

        worker = Worker(SUMMARIZE_THREAD, join_s=30)
        inputs = {k: v.to(self.lm.device) for k, v in inputs.items()}
        kwargs = self._generate_kwargs() | {"stopping_criteria": StoppingCriteriaList([StopOnEvent(worker.stop)])}

        def work():
            import torch

            with torch.inference_mode():
                return self.lm.model.generate(**inputs, **kwargs)

        with worker.start(work):
            while not worker.wait(HEARTBEAT_S):
                yield self.current
        return worker.result()

    def _warn_limits(self, intermediate: int, final: int) -> None:
        if intermediate:
            self.warnings.append(
                (
                    f"{intermediate} part summaries reached max_new_tokens ({self.max_new_tokens}) and may have left "
                    "out the end of their part.",
                    f"有 {intermediate} 个部分摘要达到最大生成长度（{self.max_new_tokens}），可能漏掉了该部分的结尾。",
                )
            )
        if final:
            self.warnings.append(
                (
                    f"The summary reached max_new_tokens ({self.max_new_tokens}) and may end mid-sentence; raise it "
                    "for a complete summary.",
                    f"摘要达到最大生成长度（{self.max_new_tokens}），可能在句中被截断；调高该值可得到完整摘要。",
                )
            )
