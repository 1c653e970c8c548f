"""nbgrader preprocessors used by nbgrader_config.py."""
from nbgrader.preprocessors import NbGraderPreprocessor


class RemoveJupytextMetadata(NbGraderPreprocessor):
    """Drop jupytext pairing metadata so student notebooks are plain, unpaired notebooks."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("jupytext", None)
        return nb, resources
