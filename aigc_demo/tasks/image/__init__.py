"""The image tab's task: text-to-image pipelines, prompt translation, safety, PNG metadata and C2PA provenance."""
