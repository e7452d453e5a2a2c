"""Property-based fuzzing of every endpoint's parameters through gradio_client: each call ends in a result or a
clear error (AppError with a sentence), and the server answers afterwards."""

from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FULL

EXAMPLES = 60 if FULL else 8

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    # JSON cannot carry NaN or infinity, so the client sends them as text, which the server must reject clearly.
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["nan", "inf", "-inf", "1e309"]),
    st.text(max_size=60),
    st.lists(st.integers(), max_size=3),
)
texts = st.one_of(st.text(max_size=200), st.sampled_from(["", " ", "明月几时有", "a cat", "x" * 5000]))


@pytest.fixture(scope="module")
def client(served):
    url, _ = served
    c = Client(url, verbose=False, download_files=False)
    yield c
    c.close()


def call_must_end_cleanly(client, api_name, *args, **kwargs):
    try:
        client.submit(*args, api_name=api_name, **kwargs).result(timeout=120)
    except AppError as exc:
        message = str(exc)
        assert message and "upstream Gradio app has raised an exception" not in message, message
        # The app's catch-all for an unexpected exception: a bug, however politely worded, not a clear message.
        assert "Something went wrong" not in message and "出错了（" not in message, message
    assert client.predict(api_name="/model_status") is not None


fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@fuzz
@given(prompt=texts, max_new_tokens=anything, temperature=anything, top_k=anything, top_p=anything, seed=anything)
def test_generate_text(client, prompt, max_new_tokens, temperature, top_k, top_p, seed):
    if isinstance(max_new_tokens, int) and max_new_tokens > 64:
        max_new_tokens = 8  # valid but slow: long runs belong to the load test, not the fuzzer
    call_must_end_cleanly(
        client,
        "/generate_text",
        prompt,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
    )


@fuzz
@given(
    prompt=texts,
    form=st.one_of(st.sampled_from(["wuyan-jueju", "haiku", "qiyan-lushi", "nope", ""]), anything),
    acrostic=st.one_of(texts, anything),
    seed=anything,
)
def test_write_poem(client, prompt, form, acrostic, seed):
    call_must_end_cleanly(client, "/write_poem", prompt, form=form, acrostic=acrostic, seed=seed)


@fuzz
@given(
    article=texts,
    method=st.one_of(st.sampled_from(["extractive", "abstractive", "x"]), anything),
    max_new_tokens=anything,
)
def test_summarize(client, article, method, max_new_tokens):
    call_must_end_cleanly(client, "/summarize", article, method=method, max_new_tokens=max_new_tokens)


@fuzz
@given(
    prompt=texts,
    steps=anything,
    guidance=anything,
    width=st.one_of(st.sampled_from([64, 63, 0, 4096]), anything),
    height=st.sampled_from([64, 72, -8]),
    seed=anything,
)
def test_generate_image(client, prompt, steps, guidance, width, height, seed):
    call_must_end_cleanly(
        client,
        "/generate_image",
        prompt,
        num_inference_steps=steps,
        guidance_scale=guidance,
        width=width,
        height=height,
        seed=seed,
    )
