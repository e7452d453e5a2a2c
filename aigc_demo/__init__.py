"""aigc-demo: a browser demo of generative AI (text, poetry, news summary, text-to-image)."""

__version__ = "0.1.0"
