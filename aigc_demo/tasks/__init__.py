"""Task functions: pure Python, no gradio import. Each takes the model manager explicitly."""
