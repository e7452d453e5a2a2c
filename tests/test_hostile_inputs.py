"""Careless and hostile input through the real app (issue #12): one clear sentence each, never a generic failure."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from gradio_client.exceptions import AppError

from aigc_demo import settings
from aigc_demo.errors import UserError, echo
from aigc_demo.tasks.common.validation import check_bool, check_number
from aigc_demo.ui import models_tab
from aigc_demo.ui.common import safe_message

GENERIC = "Something went wrong"


def refusal(client, api_name: str, *args, **kwargs) -> str:
    """The sentence a call is refused with (it must be refused, and not with gradio's generic message)."""
    with pytest.raises(AppError) as caught:
        client.submit(*args, api_name=api_name, **kwargs).result(timeout=120)
    message = str(caught.value)
    assert message and GENERIC not in message and "upstream Gradio app" not in message, message
    return message


def api_data(client, api_name: str, **given) -> list:
    """Every input of an endpoint, in order: the given ones, else the endpoint's defaults (a raw call needs all)."""
    parameters = client.view_api(print_info=False, return_format="dict")["named_endpoints"][api_name]["parameters"]
    return [given.get(p["parameter_name"], p.get("parameter_default")) for p in parameters]


def test_a_huge_number_gets_one_sentence(app_client):
    message = refusal(app_client, "/generate_text", "Hello", max_new_tokens=10**400)
    assert "max_new_tokens" in message and "digits" in message, message
    assert len(message) < 400


def test_a_list_as_model_gets_one_sentence(app_client):
    message = refusal(app_client, "/generate_text", "Hello", model=["gpt2", "x"])
    assert "model" in message, message


def test_lone_surrogates_are_refused_up_front(app_client):
    """Sent as JSON escapes (gradio_client cannot even encode them): the answer is one sentence, not a lost stream."""
    body = json.dumps(
        {"data": api_data(app_client, "/generate_text", prompt="Hello \ud800 there")}
    ).encode()  # ensure_ascii: "\\ud800" on the wire
    headers = {"content-type": "application/json"}
    posted = httpx.post(f"{app_client.url}gradio_api/call/generate_text", content=body, headers=headers, timeout=30)
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    answer = httpx.get(f"{app_client.url}gradio_api/call/generate_text/{event_id}", timeout=60).text
    assert "event: error" in answer and "lone surrogates" in answer and GENERIC not in answer, answer[:500]


def test_an_echoed_value_is_short_and_html_is_escaped(app_client):
    hostile = "<img src=x onerror=alert(1)>" + "A" * 5000
    message = refusal(app_client, "/write_poem", "moon", form=hostile)
    assert "<img" not in message and "&lt;img" in message, message
    assert "A" * 100 not in message and len(message) < 1000, message


def test_echo_and_escaping_units():
    shown = echo("x" * 10_000)
    assert len(shown) <= 82 and shown.endswith("…”")
    assert echo("bad \udc80 text") == "“bad \ufffd text”"
    assert echo(10**400).startswith("a number of about 401 digits")
    assert safe_message("<form>&") == "&lt;form&gt;&amp;"
    with pytest.raises(UserError, match="must be true or false"):
        check_bool("strict_rhyme", "no")
    with pytest.raises(UserError, match="digits"):
        check_number("seed", 10**400, 0, 10)


def test_unload_is_refused_unless_the_operator_allows_it(monkeypatch):
    monkeypatch.setattr(settings, "ALLOW_UNLOAD", False)
    with pytest.raises(UserError, match="AIGC_ALLOW_UNLOAD=1"):
        models_tab._check_unload_allowed()
    monkeypatch.setattr(settings, "ALLOW_UNLOAD", True)
    models_tab._check_unload_allowed()


def test_a_cpu_image_over_the_cost_cap_is_refused_at_once_naming_the_largest(app_client):
    message = refusal(
        app_client,
        "/generate_image",
        "a cat",
        model="sd-turbo",
        num_inference_steps=4,
        width=1024,
        height=1024,
        num_images=4,
    )
    assert "AIGC_CPU_IMAGE_WORK" in message and "at most" in message and "x" in message, message


def test_one_session_cannot_queue_past_its_job_limit(app_client):
    """Launched app, real queue: past AIGC_MAX_JOBS_PER_SESSION waiting or running, a request is refused at once.

    Joined by plain HTTP, to see the answer itself: a 422 in gradio's validation shape, which both clients show.
    """
    limit = settings.MAX_JOBS_PER_SESSION
    data = api_data(app_client, "/generate_text", prompt="Tell me a long story.", max_new_tokens=512)
    fn_index = app_client._infer_fn_index("/generate_text", None)
    join = {"data": data, "fn_index": fn_index, "session_hash": "limit-test-session"}
    answers = [httpx.post(f"{app_client.url}gradio_api/queue/join", json=join, timeout=30) for _ in range(limit + 1)]
    assert [a.status_code for a in answers] == [200] * limit + [422], [a.text for a in answers]
    (error,) = answers[-1].json()["detail"]
    assert error["__type__"] == "validate" and error["is_valid"] is False, error
    detail = error["message"]
    assert f"You already have {limit} requests" in detail and "AIGC_MAX_JOBS_PER_SESSION" in detail, detail
    other = httpx.post(f"{app_client.url}gradio_api/queue/join", json={**join, "session_hash": "another"}, timeout=30)
    assert other.status_code == 200, "another visitor is not refused"


def test_gradio_client_users_see_the_job_limit_sentence_not_queue_is_full(app_client):
    """gradio_client turns any 503 into "Queue is full!"; the limit's sentence must reach its users as written."""
    from gradio_client.exceptions import ValidationError
    from gradio_client.utils import Status

    from aigc_demo.ui import limits

    slots = [limits.MODEL_SLOTS.acquire(timeout=60) for _ in range(max(1, settings.CONCURRENCY))]
    assert all(slots), "the model slots stayed busy"
    try:  # with every model slot held here, the client's first requests stay waiting or running
        jobs = [
            app_client.submit(f"Story {i}.", api_name="/generate_text") for i in range(settings.MAX_JOBS_PER_SESSION)
        ]
        deadline = time.monotonic() + 60
        while any(job.status().code == Status.STARTING for job in jobs) and time.monotonic() < deadline:
            time.sleep(0.05)  # until both are in the queue
        with pytest.raises(ValidationError, match="AIGC_MAX_JOBS_PER_SESSION") as caught:
            app_client.submit("One too many.", api_name="/generate_text").result(timeout=120)
        assert "Queue is full" not in str(caught.value), caught.value
    finally:
        for _ in slots:
            limits.MODEL_SLOTS.release()
    for job in jobs:
        job.result(timeout=120)


@pytest.mark.parametrize(
    "recipe",
    ['["not", "a", "dict"]', "{not json", '{"model": ["sd-turbo"]}', '{"model": "sd-turbo", "width": "wide"}'],
)
def test_a_gallery_image_with_crafted_metadata_gets_one_sentence(tmp_path, recipe):
    from PIL import Image, PngImagePlugin

    from aigc_demo.tasks.image.metadata import RECIPE_KEY
    from aigc_demo.ui.image_controls import restore_values

    info = PngImagePlugin.PngInfo()
    info.add_text(RECIPE_KEY, recipe)
    path = tmp_path / "crafted.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    with pytest.raises(UserError, match="cannot be restored"):
        restore_values(str(path), "en")
