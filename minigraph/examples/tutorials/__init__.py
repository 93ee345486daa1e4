"""TF1's ``tensorflow.examples.tutorials`` data helpers, at the same path under minigraph."""
