"""The text tab's task: streamed generation on a local model or a serving engine."""
