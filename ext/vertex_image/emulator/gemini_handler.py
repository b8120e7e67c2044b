"""Gemini image models: ``:generateContent`` and ``:streamGenerateContent`` (WIRE.md §5, §11)."""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from . import draw, signatures
from .call import (
    HALF_BLOCK,
    IMAGE_OTHER,
    NO_IMAGE,
    PROHIBITED,
    PROMPT_BLOCK,
    TEXT_ONLY,
    Call,
    response_id,
    triggered,
)
from .errors import (
    SIGNATURE_DOCS,
    UNPROCESSABLE_IMAGE,
    aspect_ratio_not_supported,
    image_search_not_supported,
    image_size_not_supported,
    invalid,
    invalid_enum,
    search_not_supported,
    thinking_level_not_supported,
    unknown_field,
)
from .wire import array, b64decode, boolean, get, integer, obj, snake, string, words

INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
MODALITIES = ("TEXT", "IMAGE")
VERTEX_INLINE_LIMIT = 7 * 1024 * 1024  # WIRE §7: 7 MB per inline image on Vertex
# google.genai ThinkingLevel values (the proto enum); which ones a model takes is in its ModelSpec
THINKING_LEVELS = ("THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH")
THINKING_LEVEL_ENUM = "type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel"
# how many times the thoughts of the lowest level a model thinks at each level (thoughtsTokenCount)
THINKING_EFFORT = {"": 1, "MINIMAL": 1, "LOW": 2, "MEDIUM": 4, "HIGH": 8, "XHIGH": 12}
# imageConfig fields only Vertex defines (MODELS §3: google-genai refuses them for the Gemini API)
VERTEX_ONLY_IMAGE_CONFIG = ("imageOutputOptions", "personGeneration", "prominentPeople")

IMAGE_SAFETY_MESSAGE = {
    "gemini-api": (
        "Unable to show the generated image. The image was filtered out because it violated Google's "
        "[Generative AI Prohibited Use policy](https://policies.google.com/terms/generative-ai/use-policy). "
        "You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an "
        "error, send feedback."
    ),
    "vertex": (
        "Unable to show the generated image. The image was filtered out because it violated Google's "
        "Responsible AI practices. Try rephrasing the prompt. If you think this was an error, send feedback. "
        "Support code: 11030041."
    ),
}
IMAGE_OTHER_MESSAGE = (
    "Unable to show the generated image. The model could not generate the image based on the prompt "
    "provided. You will not be charged for this request. Try rephrasing the prompt."
)
SAFETY_RATINGS = [
    {"category": category, "probability": "NEGLIGIBLE"}
    for category in (
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    )
]


@dataclass
class InPart:
    """One request part, decoded."""

    role: str
    content: int  # 0-based content index
    index: int  # 0-based part index
    text: str | None = None
    data: bytes | None = None  # decoded inline data
    mime: str = ""
    uri: str = ""
    thought: bool = False
    signature: bytes | None = None

    @property
    def is_image(self) -> bool:
        return (self.data is not None or bool(self.uri)) and self.mime.startswith("image/")


@dataclass
class Config:
    """The parsed generationConfig."""

    modalities: tuple[str, ...]
    aspect_ratio: str | None
    image_size: str
    mime: str
    quality: int | None
    seed: int | None
    candidates: int
    include_thoughts: bool | None
    thinking_level: str = ""  # the level asked for, or the model's default ("" for a model without levels)
    search: tuple[str, ...] = ()  # googleSearch types asked for: "web", "image"


@dataclass
class Outcome:
    """What the model 'answered', before it is shaped as one response or as stream events."""

    candidates: list[dict[str, Any]] = field(default_factory=list)
    prompt_feedback: dict[str, Any] | None = None
    usage: dict[str, Any] = field(default_factory=dict)


def parse_parts(call: Call, body: dict[str, Any]) -> list[InPart]:
    """Every part of ``contents``, validated: roles, oneof data, base64, MIME types, inline size limits."""
    contents = array(get(body, "contents"), "contents")
    if not contents:
        raise invalid("* GenerateContentRequest.contents: contents is not specified\n", field="contents")
    parts: list[InPart] = []
    for ci, content in enumerate(contents):
        content = obj(content, f"contents[{ci}]")
        role = string(get(content, "role"), f"contents[{ci}].role") or "user"
        if role not in ("user", "model"):
            raise invalid(
                f"Please use a valid role: user, model. Got {role!r} at contents[{ci}].role.",
                field=f"contents[{ci}].role",
            )
        raw_parts = array(get(content, "parts"), f"contents[{ci}].parts")
        if not raw_parts:
            raise invalid(
                f"* GenerateContentRequest.contents[{ci}].parts: contents.parts must not be empty.\n",
                field=f"contents[{ci}].parts",
            )
        for pi, raw in enumerate(raw_parts):
            parts.append(_part(call, role, ci, pi, obj(raw, f"contents[{ci}].parts[{pi}]")))
    return parts


def _part(call: Call, role: str, ci: int, pi: int, raw: dict[str, Any]) -> InPart:
    path = f"contents[{ci}].parts[{pi}]"
    part = InPart(role=role, content=ci, index=pi)
    part.thought = bool(boolean(get(raw, "thought"), f"{path}.thought"))
    signature = get(raw, "thoughtSignature")
    if signature is not None:
        part.signature = b64decode(signature, f"{path}.thought_signature")
    inline, file = get(raw, "inlineData"), get(raw, "fileData")
    part.text = string(get(raw, "text"), f"{path}.text")
    if inline is not None:
        inline = obj(inline, f"{path}.inline_data")
        part.mime = (string(get(inline, "mimeType"), f"{path}.inline_data.mime_type") or "").lower()
        part.data = b64decode(get(inline, "data", ""), f"{path}.inline_data.data")
        if call.dialect == "vertex" and len(part.data) > VERTEX_INLINE_LIMIT:
            raise invalid(
                f"Inline data at '{path}.inline_data' is {len(part.data)} bytes; the limit is 7 MB per inline "
                "image. Upload larger images to Cloud Storage and pass a fileData gs:// URI.",
                field=f"{path}.inline_data",
            )
    elif file is not None:
        file = obj(file, f"{path}.file_data")
        part.mime = (string(get(file, "mimeType"), f"{path}.file_data.mime_type") or "image/png").lower()
        part.uri = string(get(file, "fileUri"), f"{path}.file_data.file_uri") or ""
    elif part.text is None:
        raise invalid(
            f"* GenerateContentRequest.{path}.data: required oneof field 'data' must have one initialized field\n",
            field=f"{path}.data",
        )
    if part.mime.startswith("image/") and part.mime not in INPUT_MIME_TYPES:
        raise invalid(f"Unsupported MIME type: {part.mime}", field=f"{path}.inline_data.mime_type")
    return part


def check_signatures(call: Call, parts: list[InPart]) -> None:
    """Gemini API + Gemini 3 image models: replayed model turns must carry the emulator's signatures.

    In each model turn (consecutive model contents, as a streamed chat replays them), the first non-empty,
    non-thought text part and every non-thought image part need a valid signature. Positions are 1-based.
    """
    if call.dialect != "gemini-api" or not call.model.thinks:
        return
    previous_role = ""
    text_seen = False
    for part in parts:
        if part.role != "model":
            previous_role = part.role
            continue
        if previous_role != "model":
            text_seen = False
        previous_role = "model"
        if part.thought:
            continue
        if part.is_image and part.data is not None:
            _require(part, "Image", "image", part.data)
        elif part.text and not text_seen:
            text_seen = True
            _require(part, "Text", "text", part.text.encode("utf-8"))


def _require(part: InPart, label: str, kind: str, content: bytes) -> None:
    where = f"content position {part.content + 1}, part position {part.index + 1}"
    if part.signature is None:
        raise invalid(f"{label} part is missing a thought_signature in {where}. {SIGNATURE_DOCS}")
    if not signatures.verify(part.signature, kind, content):
        raise invalid(f"{label} part has an invalid thought_signature in {where}. {SIGNATURE_DOCS}")


def parse_config(call: Call, body: dict[str, Any], base: Image.Image | None) -> Config:
    """generationConfig with per-model acceptance of aspect ratio, size, modalities and output format."""
    model = call.model
    gen = obj(get(body, "generationConfig"), "generation_config")
    raw_modalities = array(get(gen, "responseModalities"), "generation_config.response_modalities")
    modalities = tuple(str(m).upper() for m in raw_modalities) or MODALITIES
    for modality in modalities:
        if modality not in MODALITIES:
            raise invalid(
                f"Model {model.id} does not support the requested response modalities: {modality.lower()}",
                field="generation_config.response_modalities",
            )
    image_config = obj(get(gen, "imageConfig"), "generation_config.image_config")
    if call.dialect == "gemini-api":
        for name in VERTEX_ONLY_IMAGE_CONFIG:
            for spelling in (name, snake(name)):
                if spelling in image_config:
                    raise unknown_field(spelling, "generation_config.image_config")
    ratio = string(get(image_config, "aspectRatio"), "generation_config.image_config.aspect_ratio")
    size = (
        string(get(image_config, "imageSize"), "generation_config.image_config.image_size") or model.default_size
    )
    if size not in model.sizes:
        raise image_size_not_supported(call.dialect, size, list(model.sizes))
    if ratio is not None and ratio not in model.sizes[size]:
        raise aspect_ratio_not_supported(call.dialect, ratio, list(model.sizes[size]))
    if ratio is None:
        ratio = _closest_ratio(list(model.sizes[size]), base) if base is not None else "1:1"
    mime, quality = model.default_mime, None
    if call.dialect == "vertex":
        output = obj(
            get(image_config, "imageOutputOptions"), "generation_config.image_config.image_output_options"
        )
        mime = (string(get(output, "mimeType"), "image_output_options.mime_type") or mime).lower()
        quality = integer(get(output, "compressionQuality"), "image_output_options.compression_quality")
        if mime not in OUTPUT_MIME_TYPES:
            raise invalid(
                f"Unsupported output MIME type {mime!r}. Supported: image/png, image/jpeg.",
                field="generation_config.image_config.image_output_options.mime_type",
            )
    count = integer(get(gen, "candidateCount"), "generation_config.candidate_count") or 1
    if not 1 <= count <= model.max_candidates:
        raise invalid(
            f"candidateCount must be between 1 and {model.max_candidates}, but got {count}.",
            field="generation_config.candidate_count",
        )
    thinking = obj(get(gen, "thinkingConfig"), "generation_config.thinking_config")
    return Config(
        modalities=modalities,
        aspect_ratio=ratio,
        image_size=size,
        mime=mime,
        quality=quality,
        seed=integer(get(gen, "seed"), "generation_config.seed"),  # None: no seed was set
        candidates=count,
        include_thoughts=boolean(get(thinking, "includeThoughts"), "thinking_config.include_thoughts"),
        thinking_level=_thinking_level(call, thinking),
        search=search_types(call, body),
    )


def _thinking_level(call: Call, thinking: dict[str, Any]) -> str:
    """``thinkingConfig.thinkingLevel``, checked against the levels the model takes (MODELS §2)."""
    path = "generation_config.thinking_config.thinking_level"
    raw = get(thinking, "thinkingLevel")
    if raw is None:
        return call.model.default_thinking_level
    if not isinstance(raw, str) or raw.upper() not in THINKING_LEVELS:
        raise invalid_enum(path, THINKING_LEVEL_ENUM, raw)
    level = raw.upper()
    if level == "THINKING_LEVEL_UNSPECIFIED":
        return call.model.default_thinking_level
    if not call.model.thinking_levels:  # e.g. gemini-3-pro-image (always thinks) or gemini-2.5-flash-image
        raise thinking_level_not_supported(call.dialect, None)
    if level not in call.model.thinking_levels:
        raise thinking_level_not_supported(call.dialect, level)
    return level


def search_types(call: Call, body: dict[str, Any]) -> tuple[str, ...]:
    """The Google Search types a request's ``tools`` ask for, checked against the model (MODELS §2, §3).

    ``{googleSearch: {}}`` (no ``searchTypes``) is web search, as the SDK documents; other tools are ignored.
    """
    wanted: list[str] = []
    for index, raw in enumerate(array(get(body, "tools"), "tools")):
        tool = obj(raw, f"tools[{index}]")
        search = get(tool, "googleSearch")
        if search is None:
            continue
        search = obj(search, f"tools[{index}].google_search")
        types = obj(get(search, "searchTypes"), f"tools[{index}].google_search.search_types")
        chosen = [kind for kind in ("web", "image") if get(types, f"{kind}Search") is not None] or ["web"]
        wanted += [kind for kind in chosen if kind not in wanted]
    if wanted and not call.model.search_types:
        raise search_not_supported(call.dialect)
    if "image" in wanted and "image" not in call.model.search_types:
        raise image_search_not_supported(call.dialect)
    return tuple(wanted)


def _closest_ratio(ratios: list[str], base: Image.Image) -> str:
    target = base.width / base.height

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(w / h - target)

    return min(ratios, key=distance)


def _image_of(part: InPart) -> Image.Image:
    if part.data is None:
        return draw.placeholder(part.uri)
    try:
        return draw.decode(part.data)
    except ValueError:
        raise invalid(UNPROCESSABLE_IMAGE) from None


def answer(call: Call, body: dict[str, Any]) -> Outcome:
    """Validate the request and decide the model's answer."""
    parts = parse_parts(call, body)
    check_signatures(call, parts)
    user_images = [p for p in parts if p.role == "user" and p.is_image]
    if len(user_images) > call.model.max_input_images:
        raise invalid(
            f"Too many input images: {len(user_images)}. {call.model.id} accepts at most "
            f"{call.model.max_input_images} images per request."
        )
    last_user = max((p.content for p in parts if p.role == "user"), default=-1)
    prompt = " ".join(p.text for p in parts if p.content == last_user and p.text and not p.thought).strip()
    images = [p for p in parts if p.is_image and not p.thought]
    base = _image_of(images[-1]) if images else None
    config = parse_config(call, body, base)
    usage = _prompt_usage(call, body, parts)
    if triggered(prompt, PROMPT_BLOCK):
        feedback: dict[str, Any] = {"blockReason": "SAFETY", "safetyRatings": _blocked_ratings()}
        if call.dialect == "vertex":
            feedback["blockReasonMessage"] = "The prompt was blocked due to safety reasons."
        return Outcome(prompt_feedback=feedback, usage=_total(call, usage, 0, 0, []))
    outcome = Outcome()
    image_tokens = call.model.image_tokens.get(config.image_size, 1290)
    out_tokens = thoughts = 0
    details: list[dict[str, Any]] = []
    for index in range(config.candidates):
        candidate, tokens, thought_tokens = _candidate(call, prompt, base, config, index, image_tokens)
        outcome.candidates.append(candidate)
        out_tokens += tokens
        thoughts += thought_tokens
    images_out = sum(
        1
        for c in outcome.candidates
        for p in (c.get("content") or {}).get("parts") or []
        if "inlineData" in p and not p.get("thought")
    )
    if images_out:
        details.append({"modality": "IMAGE", "tokenCount": images_out * image_tokens})
    if out_tokens - images_out * image_tokens:
        details.append({"modality": "TEXT", "tokenCount": out_tokens - images_out * image_tokens})
    outcome.usage = _total(call, usage, out_tokens, thoughts, details)
    return outcome


def _blocked_ratings() -> list[dict[str, Any]]:
    ratings = [dict(r) for r in SAFETY_RATINGS]
    ratings[0] = {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH", "blocked": True}
    return ratings


def _candidate(
    call: Call, prompt: str, base: Image.Image | None, config: Config, index: int, image_tokens: int
) -> tuple[dict[str, Any], int, int]:
    """One candidate with its output and thought token counts."""
    blocked = _block_reason(call, prompt, index)
    if blocked is not None:
        return blocked, 0, 0
    parts: list[dict[str, Any]] = []
    thought_tokens = 0
    size = call.model.size_for(config.aspect_ratio or "1:1", config.image_size)
    wants_image = "IMAGE" in config.modalities and not triggered(prompt, TEXT_ONLY)
    if call.model.thinks and config.include_thoughts is not False:
        thought = (
            f'**Planning the image**\n\nI\'m planning a {config.aspect_ratio} composition for "{prompt}": '
            "a palette taken from the request, a few bold shapes, and the words written across the middle."
        )
        parts.append({"text": thought, "thought": True})
        thought_tokens += (len(words(thought)) + 64) * THINKING_EFFORT.get(config.thinking_level, 1)
        if wants_image:
            sketch = draw.draft(call.model.id, prompt, seed=config.seed, size=size)
            parts.append({"inlineData": _inline(sketch, config.mime, config.quality), "thought": True})
    tokens = 0
    if "TEXT" in config.modalities or not wants_image:
        text = _reply_text(prompt, base is not None, wants_image)
        parts.append({"text": text})
        tokens += len(words(text))
    if wants_image:
        if base is not None:
            picture = draw.edit(base, prompt, size=size, index=index)
        else:
            picture = draw.generate(call.model.id, prompt, seed=config.seed, index=index, size=size)
        parts.append({"inlineData": _inline(picture, config.mime, config.quality)})
        tokens += image_tokens
    _sign(parts)
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": parts},
        "finishReason": "STOP",
        "index": index,
    }
    if config.search:
        candidate["groundingMetadata"] = grounding_metadata(prompt, config.search)
    return candidate, tokens, thought_tokens


def grounding_metadata(prompt: str, search: tuple[str, ...]) -> dict[str, Any]:
    """Deterministic ``groundingMetadata`` for a grounded answer: the queries run and one source per type.

    The URIs are placeholders on example.com / example.org (nothing is searched)."""
    query = prompt or "image"
    slug = "-".join(words(query.lower())[:6]) or "image"
    digest = response_id("grounding", query)
    chunks: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    if "web" in search:
        metadata["webSearchQueries"] = [query]
        chunks.append({"web": {"uri": f"https://www.example.com/search/{digest}", "title": "example.com"}})
    if "image" in search:
        metadata["imageSearchQueries"] = [query]
        chunks.append(
            {
                "image": {
                    "sourceUri": f"https://www.example.org/{slug}",
                    "imageUri": f"https://www.example.org/images/{digest}.jpg",
                    "title": f"{query} - example.org",
                    "domain": "example.org",
                }
            }
        )
    metadata["groundingChunks"] = chunks
    metadata["searchEntryPoint"] = {
        "renderedContent": f'<div class="container"><a class="chip" href="https://www.example.com/search/{digest}">'
        f"{query}</a></div>"
    }
    return metadata


def _reply_text(prompt: str, editing: bool, with_image: bool) -> str:
    if not with_image:
        return f"I can describe it instead of drawing it: {prompt or 'an empty request'}."
    if editing:
        return f"Here is the edited image: {prompt}."
    return f"Here is an image of {prompt}."


def _inline(img: Image.Image, mime: str, quality: int | None) -> dict[str, str]:
    data = draw.encode(img, mime, quality)
    return {"mimeType": mime, "data": base64.b64encode(data).decode("ascii")}


def _sign(parts: list[dict[str, Any]]) -> None:
    """Signatures on the first non-thought part and on every non-thought image part (WIRE §5.4)."""
    first = True
    for part in parts:
        if part.get("thought"):
            continue
        if "inlineData" in part:
            part["thoughtSignature"] = signatures.sign_image(base64.b64decode(part["inlineData"]["data"]))
        elif first:
            part["thoughtSignature"] = signatures.sign_text(part["text"])
        first = False


def _block_reason(call: Call, prompt: str, index: int) -> dict[str, Any] | None:
    """A blocked or empty candidate (WIRE §5.6 shapes), or None for a normal answer."""
    if call.blocked(prompt) or (triggered(prompt, HALF_BLOCK) and index % 2 == 1):
        if call.dialect == "vertex":
            content: dict[str, Any] = {"role": "model"}
            return {
                "content": content,
                "finishReason": "IMAGE_SAFETY",
                "finishMessage": IMAGE_SAFETY_MESSAGE["vertex"],
                "index": index,
            }
        return {
            "content": {"parts": None},
            "finishReason": "IMAGE_SAFETY",
            "finishMessage": IMAGE_SAFETY_MESSAGE["gemini-api"],
            "index": index,
        }
    if triggered(prompt, PROHIBITED):
        return {
            "content": {"role": "model"},
            "finishMessage": IMAGE_SAFETY_MESSAGE["vertex"],
            "finishReason": "IMAGE_PROHIBITED_CONTENT",
            "index": index,
        }
    if triggered(prompt, IMAGE_OTHER):
        return {"content": {}, "finishReason": "IMAGE_OTHER", "finishMessage": IMAGE_OTHER_MESSAGE, "index": index}
    if triggered(prompt, NO_IMAGE):
        return {"finishReason": "NO_IMAGE", "index": index}
    return None


def _prompt_usage(call: Call, body: dict[str, Any], parts: list[InPart]) -> dict[str, int]:
    system = obj(get(body, "systemInstruction"), "system_instruction")
    system_words = sum(
        len(words(str(get(p, "text") or ""))) for p in array(get(system, "parts"), "system_instruction.parts")
    )
    text = system_words + sum(len(words(p.text)) for p in parts if p.text)
    images = sum(call.model.input_image_tokens for p in parts if p.is_image)
    return {"TEXT": text, "IMAGE": images}


def _total(
    call: Call, prompt: dict[str, int], out: int, thoughts: int, details: list[dict[str, Any]]
) -> dict[str, Any]:
    prompt_total = sum(prompt.values())
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_total,
        "totalTokenCount": prompt_total + out + thoughts,
        "promptTokensDetails": [
            {"modality": modality, "tokenCount": count} for modality, count in prompt.items() if count
        ],
    }
    if out:
        usage["candidatesTokenCount"] = out
        usage["candidatesTokensDetails"] = details
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if call.dialect == "vertex":
        usage["trafficType"] = "ON_DEMAND"
    return usage


def _envelope(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    top: dict[str, Any] = {"modelVersion": call.model.id, "responseId": response_id(call.model.id, body)}
    if call.dialect == "vertex":
        now = datetime.datetime.now(datetime.timezone.utc)
        top["createTime"] = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return top


def unary(call: Call, body: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The one-shot GenerateContentResponse."""
    response: dict[str, Any] = {}
    if outcome.candidates:
        response["candidates"] = outcome.candidates
    if outcome.prompt_feedback is not None:
        response["promptFeedback"] = outcome.prompt_feedback
    response["usageMetadata"] = outcome.usage
    response.update(_envelope(call, body))
    return response


def stream(call: Call, body: dict[str, Any], outcome: Outcome) -> list[dict[str, Any]]:
    """The SSE events: one part per event, whole images, finishReason and full usage on the last event."""
    top = _envelope(call, body)
    if outcome.prompt_feedback is not None:
        return [{"promptFeedback": outcome.prompt_feedback, "usageMetadata": outcome.usage, **top}]
    prompt_usage = {
        "promptTokenCount": outcome.usage["promptTokenCount"],
        "totalTokenCount": outcome.usage["promptTokenCount"],
    }
    events: list[dict[str, Any]] = []
    for candidate in outcome.candidates:
        parts = (candidate.get("content") or {}).get("parts")
        if candidate.get("finishReason") != "STOP" or not parts:
            events.append({"candidates": [candidate], **top})
            continue
        for part in parts:
            chunk = {"content": {"role": "model", "parts": [part]}, "index": candidate["index"]}
            events.append({"candidates": [chunk], **top})
        last = {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}
        if "groundingMetadata" in candidate:
            last["groundingMetadata"] = candidate["groundingMetadata"]
        events.append({"candidates": [{**last, "index": candidate["index"]}], **top})
    events[0] = {**events[0], "usageMetadata": prompt_usage}
    events[-1] = {**events[-1], "usageMetadata": outcome.usage}
    return events
