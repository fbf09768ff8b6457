"""Names of languages, for the detail page and the bibliography ("In Russian.")."""

from __future__ import annotations

NAMES = {
    "en": "English", "ja": "Japanese", "ru": "Russian", "kk": "Kazakh", "ky": "Kyrgyz", "tg": "Tajik",
    "tk": "Turkmen", "uz": "Uzbek", "zh": "Chinese", "ko": "Korean", "fr": "French", "de": "German",
    "es": "Spanish", "it": "Italian", "tr": "Turkish", "pt": "Portuguese", "fa": "Persian", "ar": "Arabic",
}


def language_name(tag: str) -> str:
    """`en-GB` → `English`; a language without a name here shows its tag."""
    return NAMES.get(tag.split("-")[0].lower(), tag)
