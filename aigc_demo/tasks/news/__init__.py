"""The news tab's task: extractive and abstractive summaries, article fetching, ROUGE and support maps."""
