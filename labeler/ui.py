"""The Gradio page at /: the annotator view, plus tabs later issues add (researcher view).

Why custom HTML/JS inside Gradio: two videos playing in lock-step under one control bar,
keyboard labeling and instant pair switching need direct control of <video> elements,
which Gradio's components do not give. So `static/annotator.js` renders the whole
annotator into `#pgt-annotator` and talks to /api itself; Gradio hosts the page and is
where tabs built with ordinary Gradio components (issue 6) go.
"""
from __future__ import annotations

from typing import Callable, Sequence

import gradio as gr

ANNOTATOR_HTML = '<div id="pgt-annotator" class="pgt-root"></div>'
# head tags: our CSS/JS (the script mounts itself once #pgt-annotator appears)
HEAD = (
    '<link rel="stylesheet" href="/static/annotator/style.css">'
    '<script type="module" src="/static/annotator/main.js"></script>'
)
CSS = "footer { display: none !important; } .gradio-container { max-width: 1200px !important; }"


def theme() -> gr.themes.Base:
    """System fonts only: the page must not wait on font downloads (often offline/loopback)."""
    return gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def build_ui(tabs: Sequence[tuple[str, Callable[[], None]]] = ()) -> gr.Blocks:
    """Blocks with the annotator; each (title, build) in `tabs` adds a tab after it."""
    with gr.Blocks(title="PGT Studio", analytics_enabled=False) as demo:
        if not tabs:
            gr.HTML(ANNOTATOR_HTML, js_on_load=None, padding=False, apply_default_css=False)
        else:
            with gr.Tabs():
                with gr.Tab("Annotate"):
                    gr.HTML(ANNOTATOR_HTML, js_on_load=None, padding=False, apply_default_css=False)
                for title, build in tabs:
                    with gr.Tab(title):
                        build()
    return demo
