"""aigc-demo entry point: `python app.py` serves the app; Hugging Face Spaces imports `demo` from here."""

# zerogpu must be imported before anything touches CUDA (ZeroGPU); settings imports neither torch nor gradio.
from aigc_demo import logs, settings, zerogpu
from aigc_demo.manager import get_manager
from aigc_demo.ui import build_demo, launch_kwargs

logs.configure()
manager = get_manager()
# ZeroGPU wants every model placed on cuda at start-up (one loaded inside a GPU worker is lost when it exits);
# elsewhere only what AIGC_PRELOAD names loads before a request.
manager.preload(zerogpu.startup_keys() if zerogpu.ON_ZEROGPU else settings.PRELOAD)
demo = build_demo(manager)

if __name__ == "__main__":
    demo.launch(**launch_kwargs())
