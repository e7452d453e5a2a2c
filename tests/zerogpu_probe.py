"""Run in a subprocess with SPACES_ZERO_GPU=true (spaces reads it at import): the real `spaces.GPU` wraps the app's
bound tasks, and twin tasks run end to end through its forked worker and pickling queues. Prints one JSON report.

spaces' CUDA emulation (`spaces.zero.torch`) patches a CUDA build of torch and cannot load on this CPU-only torch,
so it is replaced by the no-op module spaces itself falls back to when torch is absent; the ZeroGPU scheduler is a
web service, so `client.schedule/allow/release` answer here (recording the duration each call asked for). The
decorator's choice of wrapper, the fork, and the pickling of arguments and results are spaces' own code.
"""

import inspect
import json
import os
import sys
import types

torch_stub = types.ModuleType("spaces.zero.torch")
for _name in ("enter_mode", "patch", "unpatch", "init", "move"):
    setattr(torch_stub, _name, lambda *args, **kwargs: None)
torch_stub.pack = torch_stub.size = lambda *args, **kwargs: 0
torch_stub.is_in_bad_fork = lambda: False
sys.modules["spaces.zero.torch"] = torch_stub

from aigc_demo import zerogpu  # noqa: E402 - imports spaces, as app.py does, before torch

assert zerogpu.spaces is not None and zerogpu.ON_ZEROGPU, "spaces did not load in ZeroGPU mode"
from spaces.zero import client, decorator  # noqa: E402

durations: list[float] = []


def schedule(task_id, request=None, duration=None, gpu_size=None, **kwargs):
    durations.append(duration.total_seconds() if duration is not None else None)
    return types.SimpleNamespace(allowToken="token", nvidiaIndex=0, nvidiaUUID="uuid", idle=True)


client.schedule = schedule
client.allow = lambda *args, **kwargs: None
client.release = lambda *args, **kwargs: None

from aigc_demo import ui  # noqa: E402
from aigc_demo.manager import ModelManager  # noqa: E402
from aigc_demo.tasks.image import text_to_image  # noqa: E402
from aigc_demo.tasks.text import text_generation  # noqa: E402

manager = ModelManager(mode="tiny", device="cpu")
ui.build_demo(manager)
wrapped = {}
for task, decorated in decorator.decorated_cache.items():
    if task is decorated:
        continue
    wrapped[task.__wrapped__.__name__] = {
        "task_is_generator_function": inspect.isgeneratorfunction(task.__wrapped__),
        "received_generator_function": inspect.isgeneratorfunction(task),
        "wrapper": decorated.__code__.co_qualname.split(".")[0],
    }

report = {"wrapped": wrapped, "runs": {}}
if os.environ.get("PROBE_RUN") == "1":
    manager.preload(["gpt2", "sd-turbo"])  # on ZeroGPU models are live before the first request (start-up)
    generate = ui.bind_text_generation(manager)
    updates = list(
        generate(
            text_generation.TextRequest(
                "Once upon a time", "gpt2", text_generation.GenerationParams(max_new_tokens=6), 1
            )
        )
    )
    report["runs"]["generate"] = {
        "updates": len(updates),
        "done": updates[-1].done,
        "new_tokens": updates[-1].new_tokens,
        "text": updates[-1].texts[0],
        "seconds_asked": durations[-1],
    }
    generate_images = zerogpu.bind(text_to_image.generate_images, manager, zerogpu.image_seconds)
    request = text_to_image.ImageRequest("a red apple", model="sd-turbo", num_inference_steps=2, width=64, height=64)
    images = list(generate_images(request, previews=False))
    report["runs"]["generate_images"] = {
        "updates": len(images),
        "size": list(images[-1].images[0].size),
        "seconds_asked": durations[-1],
    }
    report["schedules"] = len(durations)
print("PROBE " + json.dumps(report))
