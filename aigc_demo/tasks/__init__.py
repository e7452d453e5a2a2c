"""Task functions: pure Python, no gradio import, one package per tab (text, poetry, news, image) and common."""
