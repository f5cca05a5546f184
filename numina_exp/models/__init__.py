"""Models: load by hub id / path at real scale, or build the tiny twin and offline tokenizer on CPU."""
from .chat_template import CHAT_TEMPLATES, render_prompt
from .load import is_tiny, load_model, load_tokenizer, resolve_model_source

__all__ = ["CHAT_TEMPLATES", "render_prompt", "is_tiny", "load_model", "load_tokenizer", "resolve_model_source"]
