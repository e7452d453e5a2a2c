"""What a generated PNG says about itself: its recipe, an AI-generated marker, and a small visible label.

The recipe travels as PNG text chunks, which survive gradio's PNG encoding (`gr.Image/Gallery(format="png")` copies
string-valued `img.info` into the file) and every download: an A1111-style `parameters` string that image tools read,
a JSON chunk for machines, and the IPTC "trained algorithmic media" digital source type in an XMP packet.
"""

from __future__ import annotations

import json
from typing import Any

RECIPE_KEY = "aigc_demo"  # the JSON chunk
PARAMETERS_KEY = "parameters"  # the A1111 chunk
AI_GENERATED_KEY = "ai_generated"
SOFTWARE = "aigc-demo"
# IPTC's term for media made by a trained model; C2PA and the big platforms read the same URI.
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
VISIBLE_LABEL = "AI-generated"

# How A1111-compatible tools name the diffusers schedulers; anything else keeps its class name.
SAMPLER_NAMES = {
    "EulerDiscreteScheduler": "Euler",
    "EulerAncestralDiscreteScheduler": "Euler a",
    "DPMSolverMultistepScheduler": "DPM++ 2M",
    "DPMSolverSinglestepScheduler": "DPM++ SDE",
    "KDPM2DiscreteScheduler": "DPM2",
    "KDPM2AncestralDiscreteScheduler": "DPM2 a",
    "HeunDiscreteScheduler": "Heun",
    "LMSDiscreteScheduler": "LMS",
    "DDIMScheduler": "DDIM",
    "PNDMScheduler": "PLMS",
    "UniPCMultistepScheduler": "UniPC",
    "LCMScheduler": "LCM",
}

_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}" xmp:CreatorTool="{SOFTWARE}"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
)


def parameters_text(recipe: dict) -> str:
    """The A1111 `parameters` string: prompt, optional negative prompt, then `Key: value` pairs."""
    negative = f"\nNegative prompt: {recipe['negative_prompt']}" if recipe.get("negative_prompt") else ""
    sampler = SAMPLER_NAMES.get(recipe["scheduler"], recipe["scheduler"])
    return (
        f"{recipe['prompt']}{negative}\nSteps: {recipe['num_inference_steps']}, Sampler: {sampler}, "
        f"CFG scale: {recipe['guidance_scale']}, Seed: {recipe['seed']}, Size: {recipe['width']}x{recipe['height']}, "
        f"Model hash: {recipe['revision'][:10]}, Model: {recipe['model']}, Version: {SOFTWARE}"
    )


def annotate(image: Any, recipe: dict, *, ai_generated: bool = True) -> Any:
    """Attach `recipe` (and, for generated pixels, the AI-generated marker) to `image.info` as PNG text chunks."""
    from PIL.PngImagePlugin import iTXt

    image.info[PARAMETERS_KEY] = parameters_text(recipe)
    image.info[RECIPE_KEY] = json.dumps(recipe, ensure_ascii=False, sort_keys=True)
    image.info["Software"] = SOFTWARE
    if ai_generated:
        image.info[AI_GENERATED_KEY] = "true"
        image.info["Comment"] = f"{VISIBLE_LABEL} by {recipe['model']} with {SOFTWARE}"
        image.info["XML:com.adobe.xmp"] = iTXt(_XMP, "", "")  # XMP belongs in an iTXt chunk
    return image


def read_recipe(image_or_path: Any) -> dict | None:
    """The JSON recipe stored in a PNG made by `annotate` (a PIL image or a path), or None if it has none."""
    from PIL import Image

    if isinstance(image_or_path, Image.Image):
        info = image_or_path.info
    else:
        with Image.open(image_or_path) as im:
            info = dict(im.info)
    raw = info.get(RECIPE_KEY)
    if not raw:
        return None
    try:
        recipe = json.loads(raw)
    except (ValueError, RecursionError):
        return {}  # a recipe, but unreadable: the caller says so
    return recipe if isinstance(recipe, dict) else {}


def is_marked_ai_generated(image: Any) -> bool:
    """Whether `image` carries the machine-readable AI-generated marker."""
    return image.info.get(AI_GENERATED_KEY) == "true" and DIGITAL_SOURCE_TYPE in image.info.get(
        "XML:com.adobe.xmp", ""
    )


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def stamp_label(image: Any) -> Any:
    """Draw a small 'AI-generated' tag in the bottom-right corner, so that the label survives any download."""
    from PIL import Image, ImageDraw

    image = image.convert("RGB")
    size = max(8, image.height // 40)
    font = _font(size)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), VISIBLE_LABEL, font=font)
    pad = max(2, size // 3)
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    if box_w > image.width // 2:  # too small an image for a legible tag: the text chunks still say it
        return image
    x0, y0 = image.width - box_w - pad, image.height - box_h - pad
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((x0, y0, x0 + box_w, y0 + box_h), fill=(0, 0, 0, 110))
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    ImageDraw.Draw(image).text((x0 + pad - left, y0 + pad - top), VISIBLE_LABEL, fill=(255, 255, 255), font=font)
    return image


def placeholder(width: int, height: int, message: str) -> Any:
    """A plain grey image with `message` in the middle: what safe mode shows instead of a flagged image."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (200, 200, 200))
    draw = ImageDraw.Draw(image)
    font = _font(max(8, min(width, height) // 16))
    lines = [message]
    if draw.textlength(message, font=font) > width * 0.9:  # wrap once at the middle space
        cut = message.rfind(" ", 0, len(message) // 2 + 1)
        lines = [message[:cut], message[cut + 1 :]] if cut > 0 else lines
    text = "\n".join(lines)
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, align="center")
    draw.multiline_text(
        ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top),
        text,
        fill=(60, 60, 60),
        font=font,
        align="center",
    )
    return image
