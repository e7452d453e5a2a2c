"""What every task shares: input validation, language detection, labels, evaluation, Stop and worker threads."""
