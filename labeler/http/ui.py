"""The Gradio page at /: Gradio hosts the page, our annotator view renders inside it.

Why custom HTML/JS inside Gradio: videos playing in lock-step under one control bar, keyboard
labelling and instant pair switching need direct control of <video> elements, which Gradio's
components do not give. So `static/annotator/main.js` renders the whole annotator into
`#pgt-annotator` (an empty column) and talks to /api itself. Not a gr.HTML block: Gradio compiles
its content as a template with `new Function`, which the page's CSP (no 'unsafe-eval') forbids.
"""
from __future__ import annotations

import gradio as gr

# head tags: our CSS/JS (the script mounts itself once #pgt-annotator appears)
HEAD = (
    '<link rel="stylesheet" href="/static/annotator/style.css">'
    '<script type="module" src="/static/annotator/main.js"></script>'
)
CSS = "footer { display: none !important; } .gradio-container { max-width: 1200px !important; }"


def theme() -> gr.themes.Base:
    """System fonts only: the page must not wait on font downloads (often offline/loopback)."""
    return gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def build_ui() -> gr.Blocks:
    with gr.Blocks(title="PGT Studio", analytics_enabled=False) as demo:
        gr.Column(elem_id="pgt-annotator", elem_classes=["pgt-root"])
    return demo
